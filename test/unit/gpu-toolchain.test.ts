// A GPU build names what it lacks before cmake runs (scripts/gpu-toolchain.mjs, called by scripts/build-native.mjs).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { missingToolchain, type ToolchainProbe } from "../../scripts/gpu-toolchain.mjs";

const probe = (files: string[], env: Record<string, string> = { PATH: "/usr/bin" }, platform = "linux"): ToolchainProbe => ({
  env, platform, exists: (path) => files.includes(path),
});

describe("missingToolchain", () => {
  it("cuda: nvcc without cuBLAS names cuBLAS and where it looked", () => {
    const missing = missingToolchain("cuda", probe(["/usr/local/cuda/bin/nvcc", "/usr/local/cuda/lib64/libcudart.so"]));
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatch(/^cuBLAS .*looked in \/usr\/local\/cuda/);
  });

  it("cuda: a full toolkit in CUDA_PATH passes; no toolkit at all names nvcc too", () => {
    const full = ["/opt/cuda-13/bin/nvcc", "/opt/cuda-13/include/cublas_v2.h", "/opt/cuda-13/lib64/libcublas.so"];
    expect(missingToolchain("cuda", probe(full, { PATH: "/usr/bin", CUDA_PATH: "/opt/cuda-13" }))).toEqual([]);
    expect(missingToolchain("cuda", probe([])).map((line) => line.split(" ")[0])).toEqual(["nvcc", "cuBLAS"]);
  });

  it("vulkan: each missing piece is named with its Debian package", () => {
    const all = ["/usr/bin/glslc", "/usr/include/vulkan/vulkan.h", "/usr/share/cmake/SPIRV-Headers/SPIRV-HeadersConfig.cmake"];
    expect(missingToolchain("vulkan", probe(all))).toEqual([]);
    for (const [index, pkg] of ["glslc", "libvulkan-dev", "spirv-headers"].entries()) {
      const missing = missingToolchain("vulkan", probe(all.filter((_, i) => i !== index)));
      expect(missing[0]).toContain(pkg);
      expect(missing.at(-1)).toContain("scripts/system-deps.sh vulkan");
    }
  });

  it("metal is macOS only", () => {
    expect(missingToolchain("metal", probe([], {}, "darwin"))).toEqual([]);
    expect(missingToolchain("metal", probe([]))[0]).toMatch(/macOS only/);
  });
});

describe("build-native --gpu cuda on this machine", () => {
  const missing = missingToolchain("cuda");
  it.skipIf(missing.length === 0)("stops before cmake with the missing pieces, exit code 1 (a full CUDA toolkit is installed here otherwise)", () => {
    const run = spawnSync(process.execPath, ["scripts/build-native.mjs", "--gpu", "cuda", "--out", "build-cuda-preflight"], { encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("the cuda build cannot start; missing:");
    for (const line of missing) expect(run.stderr).toContain(line);
    expect(run.stdout).not.toContain("cmake-js");
  });
});
