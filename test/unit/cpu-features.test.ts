// Which CPU code a source build carries (scripts/cpu-features.mjs): ggml's own variant list, filtered by the CPU.
import { describe, expect, it } from "vitest";
import { cpuFlags, ggmlX86Variants, sourceBuildVariants } from "../../scripts/cpu-features.mjs";

const flags = (line: string) => cpuFlags(`processor\t: 0\nflags\t\t: ${line}\n`)!;
const ZEN5 = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx f16c fma avx2 bmi2 avx_vnni avx512f avx512dq avx512vbmi avx512_vnni avx512_bf16 avx512_vp2intersect";
const SAPPHIRE_RAPIDS = "sse4_2 avx f16c fma avx2 bmi2 avx_vnni avx512f avx512vbmi avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8";

describe("CPU variants of a source build", () => {
  const variants = ggmlX86Variants();

  it("reads ggml's x86 variant list from the vendored tree, baseline first", () => {
    expect(variants[0]).toEqual({ tag: "x64", features: [] });
    expect(variants.map((v) => v.tag)).toEqual(expect.arrayContaining(["haswell", "skylakex", "icelake", "zen4", "sapphirerapids"]));
    expect(variants.find((v) => v.tag === "haswell")!.features).toEqual(["SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2"]);
  });

  it("carries the baseline and the supported variant with the most features", () => {
    expect(sourceBuildVariants(flags(ZEN5), variants)).toEqual(["x64", "zen4"]);
    expect(sourceBuildVariants(flags(SAPPHIRE_RAPIDS), variants)).toEqual(["x64", "sapphirerapids"]);
    expect(sourceBuildVariants(flags("sse4_2 avx f16c fma avx2 bmi2"), variants)).toEqual(["x64", "haswell"]);
    expect(sourceBuildVariants(flags("sse sse2"), variants)).toEqual(["x64"]);
  });

  it("a variant needs every one of its features: AVX-512 without VBMI is not icelake", () => {
    const skylake = flags("sse4_2 avx f16c fma avx2 bmi2 avx512f avx512_vnni");
    expect(sourceBuildVariants(skylake, variants)).toEqual(["x64", "cascadelake"]);
  });

  it("cannot tell without /proc/cpuinfo", () => {
    expect(cpuFlags("")).toBeUndefined();
    expect(sourceBuildVariants(undefined, variants)).toBeUndefined();
  });
});
