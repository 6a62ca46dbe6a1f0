#!/usr/bin/env node
// Builds llama.cpp's own `llama-bench` from vendor/llama.cpp into build/llama-tools/, the reference the
// benchmark (scripts/bench.ts) compares the addon against. Its own binary dir (the addon's cmake-js tree is
// build/), static libraries, and the same CPU feature flags as the addon so the comparison is like for like.
// Usage: node scripts/build-llama-tools.mjs [--force]
// Environment: GPT_OSS_BUILD_JOBS (default: all cores).
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuFeatureDefines } from "./cpu-features.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "vendor", "llama.cpp");
/** Written by scripts/vendor.mjs whenever it (re)creates vendor/llama.cpp. */
const vendorStamp = join(source, ".gpt-oss-node-vendor.json");
export const LLAMA_TOOLS_DIR = join(root, "build", "llama-tools");
export const LLAMA_BENCH_PATH = join(LLAMA_TOOLS_DIR, "bin", process.platform === "win32" ? "llama-bench.exe" : "llama-bench");

const DEFINES = [
  "CMAKE_BUILD_TYPE=Release",
  "BUILD_SHARED_LIBS=OFF",
  "LLAMA_BUILD_COMMON=ON", // llama-bench links llama-common
  "LLAMA_BUILD_TOOLS=ON",
  "LLAMA_BUILD_TESTS=OFF",
  "LLAMA_BUILD_EXAMPLES=OFF",
  "LLAMA_BUILD_SERVER=OFF",
  "LLAMA_BUILD_APP=OFF",
  "LLAMA_OPENSSL=OFF",
  "LLAMA_ALL_WARNINGS=OFF",
  // (LLAMA_CURL is only a deprecation stub at the pinned commit, so it is not set.)
];

// Progress goes to stderr (the benchmark keeps stdout for its results).
function log(message) {
  console.error(`[gpt-oss-node llama-tools] ${message}`);
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: ["ignore", 2, 2], cwd: root });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`\n[gpt-oss-node llama-tools] \`${command} ${args.join(" ")}\` failed (exit ${result.status}).` +
      " It needs cmake >= 3.19 and a C++17 compiler.");
    process.exit(result.status ?? 1);
  }
}

function isUpToDate() {
  if (!existsSync(LLAMA_BENCH_PATH) || !existsSync(vendorStamp)) return false;
  return statSync(LLAMA_BENCH_PATH).mtimeMs > statSync(vendorStamp).mtimeMs;
}

/** Builds llama-bench unless an up-to-date one exists; returns its path. */
export function buildLlamaBench({ force = false } = {}) {
  if (!existsSync(join(source, "CMakeLists.txt"))) {
    console.error("[gpt-oss-node llama-tools] vendor/llama.cpp is missing: run `npm run vendor` first.");
    process.exit(1);
  }
  if (!force && isUpToDate()) {
    log(`${relative(root, LLAMA_BENCH_PATH)} is up to date`);
    return LLAMA_BENCH_PATH;
  }
  const generator = spawnSync("ninja", ["--version"], { stdio: "ignore" }).status === 0 ? ["-G", "Ninja"] : [];
  const defines = [...DEFINES, ...cpuFeatureDefines()];
  const jobs = Number(process.env.GPT_OSS_BUILD_JOBS) || availableParallelism();
  log(`configuring ${relative(root, LLAMA_TOOLS_DIR)} (${defines.filter((d) => d.startsWith("GGML_")).join(" ")})`);
  run("cmake", ["-S", source, "-B", LLAMA_TOOLS_DIR, ...generator, ...defines.map((d) => `-D${d}`)]);
  log(`building llama-bench (${jobs} jobs)`);
  const started = Date.now();
  run("cmake", ["--build", LLAMA_TOOLS_DIR, "--config", "Release", "--target", "llama-bench", "--parallel", String(jobs)]);
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s -> ${relative(root, LLAMA_BENCH_PATH)}`);
  return LLAMA_BENCH_PATH;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { force: { type: "boolean", default: false } } });
  buildLlamaBench({ force: values.force });
}
