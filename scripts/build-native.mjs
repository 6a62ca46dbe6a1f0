#!/usr/bin/env node
// Builds the addon and its ggml/llama libraries into <out>/Release with cmake-js (default out: build/).
// Usage: node scripts/build-native.mjs [--gpu cuda|vulkan|metal] [--portable] [--debug] [--out DIR]
// Environment: GPT_OSS_BUILD_JOBS (default: all cores), GPT_OSS_CMAKE_ARGS (extra -D flags, space separated).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuFeatureDefines } from "./cpu-features.mjs";
import { missingToolchain } from "./gpu-toolchain.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { gpu: { type: "string" }, debug: { type: "boolean" }, portable: { type: "boolean" }, out: { type: "string" } } });
const out = resolve(root, values.out ?? "build");

const gpuFlags = {
  cuda: ["GGML_CUDA=ON"],
  vulkan: ["GGML_VULKAN=ON"],
  metal: ["GGML_METAL=ON"],
};
if (values.gpu && !gpuFlags[values.gpu]) {
  console.error(`Expected one of ${Object.keys(gpuFlags).join(", ")} for --gpu but received ${values.gpu}`);
  process.exit(2);
}

const missing = values.gpu ? missingToolchain(values.gpu) : [];
if (missing.length > 0) {
  console.error(`[gpt-oss-node build] the ${values.gpu} build cannot start; missing:\n  - ${missing.join("\n  - ")}`);
  process.exit(1);
}

const vendor = spawnSync(process.execPath, [join(root, "scripts", "vendor.mjs")], { stdio: "inherit" });
if (vendor.status !== 0) process.exit(vendor.status ?? 1);

// CPU variants, the best one picked at load: every one with --portable (prebuilt binaries), else the baseline and
// the best this machine supports (scripts/cpu-features.mjs).
const cpuDefines = cpuFeatureDefines({ portable: values.portable });
// CPU backend modules of an earlier configuration would still be found (and scored) at load: remove them; the
// build links the wanted ones again from its objects.
const releaseDir = join(out, "Release");
if (existsSync(releaseDir)) {
  for (const file of readdirSync(releaseDir).filter((f) => /^(lib)?ggml-cpu[\w-]*\.(so|dylib|dll)$/.test(f))) rmSync(join(releaseDir, file));
}
const defines = [...cpuDefines, ...(values.gpu ? gpuFlags[values.gpu] : []), ...(process.env.GPT_OSS_CMAKE_ARGS ?? "").split(/\s+/).filter(Boolean)];
const jobs = Number(process.env.GPT_OSS_BUILD_JOBS) || availableParallelism();
const cmakeJs = join(root, "node_modules", "cmake-js", "bin", "cmake-js");
const args = (command) => [cmakeJs, command, "--directory", root, "--out", out, "--parallel", String(jobs), "--config", values.debug ? "Debug" : "Release",
  ...defines.map((d) => `--CD${d.startsWith("-D") ? d.slice(2) : d}`)];
console.log(`[gpt-oss-node build] cmake-js build (${jobs} jobs${values.gpu ? `, ${values.gpu}` : ""})`);
const started = Date.now();
// Configure every time (cheap), then build: `cmake-js build` alone keeps an existing cache, so changed options
// (another CPU variant list, say) would silently not apply to an existing build folder.
const cmake = (command) => spawnSync(process.execPath, args(command), { stdio: "inherit", cwd: root });
let build = cmake("configure");
if (build.status === 0) build = cmake("build");
if (build.status !== 0) {
  console.error("\n[gpt-oss-node build] native build failed. It needs cmake >= 3.19 and a C++17 compiler." +
    " See the output above for the failing step.");
  process.exit(build.status ?? 1);
}
console.log(`[gpt-oss-node build] done in ${((Date.now() - started) / 1000).toFixed(0)} s -> ${join(out, "Release")}`);
