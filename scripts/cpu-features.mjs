// The ggml CPU feature flags for this build machine. GGML_NATIVE cannot be combined with dynamic backends
// (GGML_BACKEND_DL), so a source build names the features explicitly; llama-bench for the benchmark is built
// with the same list so the comparison is like for like.
import { readFileSync } from "node:fs";

const X86_FEATURES = [
  // [ggml option, /proc/cpuinfo flag]
  ["GGML_SSE42", "sse4_2"],
  ["GGML_AVX", "avx"],
  ["GGML_F16C", "f16c"],
  ["GGML_FMA", "fma"],
  ["GGML_AVX2", "avx2"],
  ["GGML_BMI2", "bmi2"],
  ["GGML_AVX_VNNI", "avx_vnni"],
  ["GGML_AVX512", "avx512f"],
  ["GGML_AVX512_VBMI", "avx512vbmi"],
  ["GGML_AVX512_VNNI", "avx512_vnni"],
  ["GGML_AVX512_BF16", "avx512_bf16"],
];

/** `-D` style definitions (without the -D) for the CPU backend of a source build on this machine. */
export function cpuFeatureDefines() {
  if (process.platform !== "linux" || process.arch !== "x64") return ["GGML_NATIVE=OFF"];
  let flags;
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    flags = new Set((info.match(/^flags\s*:(.*)$/m)?.[1] ?? "").trim().split(/\s+/));
  } catch {
    return ["GGML_NATIVE=OFF"];
  }
  return ["GGML_NATIVE=OFF", ...X86_FEATURES.map(([option, flag]) => `${option}=${flags.has(flag) ? "ON" : "OFF"}`)];
}
