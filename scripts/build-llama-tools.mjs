#!/usr/bin/env node
// Builds llama.cpp's own `llama-bench` and `llama-server` from vendor/llama.cpp into build/llama-tools/, the
// references the benchmark (scripts/bench.ts) compares the addon and the server against: the fastest llama.cpp this
// machine runs, i.e. built
// with -march=native, or (`without`, when that build dies on an instruction the CPU advertises but faults on) with
// every CPU feature but those, into build/llama-tools-without-<features>/. Static libraries, its own binary dir.
// Usage: node scripts/build-llama-tools.mjs [--force] [--without AMX_TILE,AMX_INT8,AMX_BF16]
// Environment: GPT_OSS_BUILD_JOBS (default: all cores).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { nativeDefines } from "./cpu-features.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "vendor", "llama.cpp");
/** Written by scripts/vendor.mjs whenever it (re)creates vendor/llama.cpp. */
const vendorStamp = join(source, ".gpt-oss-node-vendor.json");
const LLAMA_TOOLS_DIR = join(root, "build", "llama-tools");
const toolsDir = (without) => (without.length ? `${LLAMA_TOOLS_DIR}-without-${without.join("-").toLowerCase()}` : LLAMA_TOOLS_DIR);
const toolPath = (dir, tool) => join(dir, "bin", process.platform === "win32" ? `${tool}.exe` : tool);
/** The tools built, each one a CMake target and the binary of the same name. */
const TOOLS = ["llama-bench", "llama-server"];

const DEFINES = [
  "CMAKE_BUILD_TYPE=Release",
  "BUILD_SHARED_LIBS=OFF",
  "LLAMA_BUILD_COMMON=ON", // llama-bench links llama-common
  "LLAMA_BUILD_TOOLS=ON",
  "LLAMA_BUILD_TESTS=OFF",
  "LLAMA_BUILD_EXAMPLES=OFF",
  "LLAMA_BUILD_SERVER=ON",
  "LLAMA_BUILD_UI=OFF", // the API is measured, not the web page: no npm build,
  "LLAMA_USE_PREBUILT_UI=OFF", // and no download of a prebuilt one
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

/** Up to date: built after the vendor tree was (re)made, with the same definitions. */
function isUpToDate(dir, defines) {
  const stamp = join(dir, "gpt-oss-defines.json");
  if (!existsSync(vendorStamp) || !existsSync(stamp) || readFileSync(stamp, "utf8") !== JSON.stringify(defines)) return false;
  const vendored = statSync(vendorStamp).mtimeMs;
  return TOOLS.every((tool) => existsSync(toolPath(dir, tool)) && statSync(toolPath(dir, tool)).mtimeMs > vendored);
}

/**
 * Builds llama-bench and llama-server unless up-to-date ones exist; returns their paths and the CPU definitions they
 * were built with.
 */
export function buildLlamaTools({ force = false, without = [] } = {}) {
  if (!existsSync(join(source, "CMakeLists.txt"))) {
    console.error("[gpt-oss-node llama-tools] vendor/llama.cpp is missing: run `npm run vendor` first.");
    process.exit(1);
  }
  const dir = toolsDir(without);
  const cpuDefines = nativeDefines({ without });
  const defines = [...DEFINES, ...cpuDefines];
  if (!force && isUpToDate(dir, defines)) {
    log(`${relative(root, dir)} is up to date`);
    return { benchPath: toolPath(dir, "llama-bench"), serverPath: toolPath(dir, "llama-server"), cpuDefines };
  }
  const generator = spawnSync("ninja", ["--version"], { stdio: "ignore" }).status === 0 ? ["-G", "Ninja"] : [];
  const jobs = Number(process.env.GPT_OSS_BUILD_JOBS) || availableParallelism();
  log(`configuring ${relative(root, dir)} (${cpuDefines.join(" ")})`);
  run("cmake", ["-S", source, "-B", dir, ...generator, ...defines.map((d) => `-D${d}`)]);
  log(`building ${TOOLS.join(" and ")} (${jobs} jobs)`);
  const started = Date.now();
  run("cmake", ["--build", dir, "--config", "Release", "--target", ...TOOLS, "--parallel", String(jobs)]);
  writeFileSync(join(dir, "gpt-oss-defines.json"), JSON.stringify(defines));
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s -> ${relative(root, join(dir, "bin"))}`);
  return { benchPath: toolPath(dir, "llama-bench"), serverPath: toolPath(dir, "llama-server"), cpuDefines };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { force: { type: "boolean", default: false }, without: { type: "string" } } });
  buildLlamaTools({ force: values.force, without: values.without ? values.without.split(",") : [] });
}
