// Which ggml CPU code a build carries.
//
// The addon (source builds and prebuilt binaries alike) carries ggml CPU *variants* (libggml-cpu-<tag>), and ggml
// loads the best one the running CPU supports (each variant scores itself against CPUID at load). A portable build
// carries every variant; a source build only the baseline (x64) and the best variant this machine supports, to keep
// the build short. The variants and their features are read from the vendored ggml's own list, so they cannot drift.
//
// The benchmark's llama-bench reference is built natively (-march=native: the fastest llama.cpp on the machine),
// or, where that build dies on an instruction the CPU advertises but faults on (AMX under some hypervisors), with
// every feature flag the CPU reports except the ones named in `without`.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const GGML_CMAKE = join(root, "vendor", "llama.cpp", "ggml", "src", "CMakeLists.txt");

/** ggml's x86 feature options and the /proc/cpuinfo flag that says the CPU has each. */
const X86_FLAGS = {
  SSE42: "sse4_2", AVX: "avx", F16C: "f16c", FMA: "fma", AVX2: "avx2", BMI2: "bmi2", AVX_VNNI: "avx_vnni",
  AVX512: "avx512f", AVX512_VBMI: "avx512vbmi", AVX512_VNNI: "avx512_vnni", AVX512_BF16: "avx512_bf16",
  AMX_TILE: "amx_tile", AMX_INT8: "amx_int8", AMX_BF16: "amx_bf16",
};

/** The CPU's flags (Linux), or undefined where /proc/cpuinfo cannot tell. */
export function cpuFlags(cpuinfo = readCpuinfo()) {
  const line = cpuinfo?.match(/^flags\s*:(.*)$/m)?.[1];
  return line === undefined ? undefined : new Set(line.trim().split(/\s+/));
}

function readCpuinfo() {
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return undefined;
  }
}

/** ggml's x86 CPU variants in its own order: [{ tag, features }], from `ggml_add_cpu_backend_variant(tag FEAT...)`. */
export function ggmlX86Variants(cmakeText = readFileSync(GGML_CMAKE, "utf8")) {
  const block = cmakeText.slice(cmakeText.indexOf('if (GGML_SYSTEM_ARCH STREQUAL "x86")', cmakeText.indexOf("if (GGML_CPU_ALL_VARIANTS)")));
  const x86 = block.slice(0, block.indexOf("elseif(GGML_SYSTEM_ARCH"));
  return [...x86.matchAll(/ggml_add_cpu_backend_variant\((\w+)([^)]*)\)/g)].map((m) => ({ tag: m[1], features: m[2].trim().split(/\s+/).filter(Boolean) }));
}

/**
 * The variants a source build on this CPU carries: the baseline and the supported variant with the most features
 * (the later one on a tie, as ggml lists newer CPUs later). Undefined where the CPU cannot be read.
 */
export function sourceBuildVariants(flags, variants) {
  if (flags === undefined) return undefined;
  const supported = variants.filter((v) => v.features.every((feature) => flags.has(X86_FLAGS[feature])));
  const best = supported.reduce((a, b) => (b.features.length >= a.features.length ? b : a), supported[0]);
  return [...new Set([variants[0].tag, best.tag])];
}

/** `-D` definitions (without the -D) for the addon's CPU backend: see the top of this file. */
export function cpuFeatureDefines({ portable = false } = {}) {
  const isLinuxX64 = process.platform === "linux" && process.arch === "x64";
  if (portable) return ["GGML_NATIVE=OFF", "GGML_CPU_ALL_VARIANTS=ON", "GGML_CPU_VARIANTS="];
  if (!isLinuxX64 || !existsSync(GGML_CMAKE)) return ["GGML_NATIVE=OFF"];
  const variants = sourceBuildVariants(cpuFlags(), ggmlX86Variants());
  if (variants === undefined) return ["GGML_NATIVE=OFF", "GGML_CPU_ALL_VARIANTS=ON", "GGML_CPU_VARIANTS="];
  return ["GGML_NATIVE=OFF", "GGML_CPU_ALL_VARIANTS=ON", `GGML_CPU_VARIANTS=${variants.join(";")}`];
}

/**
 * `-D` definitions for the native llama-bench reference: -march=native, or, with `without` (ggml feature names such
 * as AMX_TILE), every feature this CPU reports except those.
 */
export function nativeDefines({ without = [] } = {}) {
  if (without.length === 0) return ["GGML_NATIVE=ON"];
  const flags = cpuFlags() ?? new Set();
  return ["GGML_NATIVE=OFF", ...Object.entries(X86_FLAGS).map(([feature, flag]) => `GGML_${feature}=${flags.has(flag) && !without.includes(feature) ? "ON" : "OFF"}`)];
}
