#!/usr/bin/env node
// Produces the prebuilt binary folder for this platform: prebuilds/<platform>-<arch>/ with the addon
// (named the way node-gyp-build, prebuildify's loader, expects: `<name>.napi.node`) and the ggml/llama
// libraries and backend modules it loads from its own folder. CPU builds are portable (every CPU variant;
// ggml picks the best at load). `--gpu cuda|vulkan|metal` builds the variant for an optional GPU package.
// prebuildify itself copies only the .node file, and this addon needs its sidecar libraries, hence this script.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { gpu: { type: "string" } } });
const build = spawnSync(process.execPath, [join(root, "scripts", "build-native.mjs"), "--portable",
  ...(values.gpu ? ["--gpu", values.gpu] : [])], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);

const source = join(root, "build", "Release");
const suffix = values.gpu ? `-${values.gpu}` : "";
const target = join(root, "prebuilds", `${process.platform}-${process.arch}${suffix}`);
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const file of readdirSync(source)) {
  if (file === "gpt_oss_node.node") copyFileSync(join(source, file), join(target, "gpt-oss-node.napi.node"));
  else if (/\.(so(\.\d+)*|dylib|dll)$/.test(file)) copyFileSync(join(source, file), join(target, file));
}
console.log(`[gpt-oss-node prebuild] ${target}: ${readdirSync(target).join(", ")}`);
