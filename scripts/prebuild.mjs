#!/usr/bin/env node
// Builds this platform's binary package: packages/<id>/ = package.json (npm's os/cpu/libc fields, the main
// package's version) + bin/ with the addon and the ggml/llama libraries and backend modules it loads from its own
// folder ($ORIGIN / @loader_path rpaths). CPU packages carry every CPU variant (ggml picks the best at load);
// `--gpu cuda|vulkan` builds a GPU variant package. Checks the glibc baseline on Linux and prints the sizes.
//
// Usage: node scripts/prebuild.mjs [--gpu cuda|vulkan] [--from-build DIR] [--out DIR]
//   --from-build DIR  package an existing build (DIR/Release) instead of building the portable one: what
//                     `npm run test:pack` does in CI, where the 14-variant portable build would take too long.
//   --out DIR         where the package folder goes (default packages/).
// The package list and names live in src/native/platforms.ts (read here from dist/: run `npm run build` first).
// prebuildify copies only the .node file and its node-gyp run would clean build/; the sidecar libraries make
// this addon a folder, hence this script (same idea: one tagged folder per platform, loaded without install scripts).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { checkGlibcBaseline, GLIBC_BASELINE } from "./glibc-baseline.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { gpu: { type: "string" }, "from-build": { type: "string" }, out: { type: "string" } } });
const platformsModule = join(root, "dist", "native", "platforms.js");
if (!existsSync(platformsModule)) {
  console.error("[gpt-oss-node prebuild] dist/ is missing: run `npm run build` first.");
  process.exit(1);
}
const { ADDON_FILE, BINARY_DIR, currentPlatform, describePlatform, packageName, packagesFor } = await import(pathToFileURL(platformsModule).href);

const platform = currentPlatform();
const pkg = packagesFor(platform).find((p) => (values.gpu ? p.gpu === values.gpu : !p.gpu));
if (!pkg) {
  console.error(`[gpt-oss-node prebuild] no ${values.gpu ?? "CPU"} package is defined for ${describePlatform(platform)} (src/native/platforms.ts).`);
  process.exit(1);
}

let buildDir = values["from-build"] ? resolve(values["from-build"]) : join(root, `build-portable${values.gpu ? `-${values.gpu}` : ""}`);
if (!values["from-build"]) {
  const build = spawnSync(process.execPath, [join(root, "scripts", "build-native.mjs"), "--portable", "--out", buildDir, ...(values.gpu ? ["--gpu", values.gpu] : [])], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const source = join(buildDir, "Release");
if (!existsSync(join(source, "gpt_oss_node.node"))) {
  console.error(`[gpt-oss-node prebuild] ${source} holds no gpt_oss_node.node.`);
  process.exit(1);
}

const target = join(resolve(values.out ?? join(root, "packages")), pkg.id);
rmSync(target, { recursive: true, force: true });
mkdirSync(join(target, BINARY_DIR), { recursive: true });

/**
 * The names to ship: the addon, and one name per library file — the one its dependents ask for (the soname,
 * `libllama.so.0` / `libllama.0.dylib`) when a file has several; backend modules keep their only name.
 * npm does not pack symbolic links, so each shipped name is a real file.
 */
const byFile = new Map();
for (const name of readdirSync(source)) {
  if (name === "gpt_oss_node.node" || !/\.(so(\.\d+)*|dylib|dll)$/.test(name)) continue;
  const real = realpathSync(join(source, name));
  byFile.set(real, [...(byFile.get(real) ?? []), name]);
}
const soname = (names) => names.find((n) => /\.so\.\d+$/.test(n) || /\.\d+\.dylib$/.test(n)) ?? names.sort((a, b) => a.length - b.length)[0];
copyFileSync(join(source, "gpt_oss_node.node"), join(target, BINARY_DIR, ADDON_FILE));
for (const names of byFile.values()) {
  const name = names.length === 1 ? names[0] : soname(names);
  copyFileSync(join(source, name), join(target, BINARY_DIR, name));
}

const main = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const manifest = {
  name: packageName(pkg),
  version: main.version,
  description: `gpt-oss-node's native addon for ${pkg.id} (${values["from-build"] ? "this build machine's CPU only: a test package, not for publishing" : pkg.build}). Installed by gpt-oss-node; not used on its own.`,
  license: main.license,
  os: [pkg.os],
  cpu: [pkg.cpu],
  ...(pkg.libc && { libc: [pkg.libc] }),
  files: [BINARY_DIR],
  ...(platform.os === "linux" && { gptOssNode: { glibcBaseline: GLIBC_BASELINE } }),
};
writeFileSync(join(target, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);

if (platform.os === "linux" && pkg.libc === "glibc") {
  const newest = checkGlibcBaseline(join(target, BINARY_DIR));
  console.log(`[gpt-oss-node prebuild] newest glibc symbol: GLIBC_${newest} (baseline ${GLIBC_BASELINE})`);
}
const files = readdirSync(join(target, BINARY_DIR));
const bytes = files.reduce((sum, f) => sum + statSync(join(target, BINARY_DIR, f)).size, 0);
console.log(`[gpt-oss-node prebuild] ${target}: ${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB unpacked`);
console.log(`[gpt-oss-node prebuild] ${manifest.name}@${manifest.version} ready (npm pack ${target})`);
