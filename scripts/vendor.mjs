#!/usr/bin/env node
// Produces vendor/llama.cpp from the git bundle that node-llama-cpp ships, at the commit pinned in
// vendor/pin.json, then applies vendor/patches/*.patch. Idempotent: a tree already at the pin with the
// patches applied is left alone. Any mismatch is a hard failure with a message that says what to do.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pin = JSON.parse(readFileSync(join(root, "vendor", "pin.json"), "utf8"));
const bundle = join(root, pin.source);
const target = join(root, "vendor", "llama.cpp");
const patchDir = join(root, "vendor", "patches");
const stampFile = join(target, ".gpt-oss-node-vendor.json");

function fail(message) {
  console.error(`\n[gpt-oss-node vendor] ${message}\n`);
  process.exit(1);
}

function git(args, cwd = target) {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

const patches = existsSync(patchDir)
  ? readdirSync(patchDir).filter((f) => f.endsWith(".patch")).sort()
  : [];
// The pin and every patch's content: editing a patch re-vendors even when its length stays the same.
const sha256 = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");
const wantedStamp = JSON.stringify({ commit: pin.commit, patches: patches.map((p) => [p, sha256(join(patchDir, p))]) });

if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === wantedStamp) {
  console.log(`[gpt-oss-node vendor] vendor/llama.cpp already at ${pin.commit.slice(0, 12)}`);
  process.exit(0);
}

if (!existsSync(bundle)) {
  fail(`llama.cpp source bundle not found at ${pin.source}.\n` +
    `It ships inside ${pin.sourcePackage} (a devDependency): run \`npm install\` in the repository first.`);
}

rmSync(target, { recursive: true, force: true });
console.log(`[gpt-oss-node vendor] cloning ${pin.source} -> vendor/llama.cpp`);
try {
  execFileSync("git", ["clone", "--quiet", "--no-checkout", bundle, target], { stdio: "inherit" });
  git(["-c", "advice.detachedHead=false", "checkout", "--quiet", pin.commit]);
} catch (error) {
  fail(`could not check out commit ${pin.commit} from ${pin.source}: ${error.message}\n` +
    `The bundle in ${pin.sourcePackage} may not contain the pinned commit. See vendor/README.md to move the pin.`);
}
const head = git(["rev-parse", "HEAD"]);
if (head !== pin.commit) fail(`vendor/llama.cpp is at ${head}, expected ${pin.commit}.`);

for (const patch of patches) {
  const file = join(patchDir, patch);
  try {
    git(["apply", "--check", file]);
    git(["apply", file]);
    console.log(`[gpt-oss-node vendor] applied ${patch}`);
  } catch (error) {
    fail(`patch ${patch} does not apply to ${pin.commit}: ${error.stderr || error.message}`);
  }
}
writeFileSync(stampFile, wantedStamp);
console.log(`[gpt-oss-node vendor] vendor/llama.cpp ready at ${pin.commit.slice(0, 12)}`);
