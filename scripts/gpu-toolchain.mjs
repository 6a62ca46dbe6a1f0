// What a GPU build needs beyond a C++ compiler and cmake, checked before cmake runs so that a missing piece is
// named in one line instead of failing deep inside ggml's configure step.
//   missingToolchain("cuda" | "vulkan" | "metal", probe?) -> string[] (empty: everything is there)
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The real machine; tests pass their own. */
export const systemProbe = {
  env: process.env,
  platform: process.platform,
  exists: (path) => existsSync(path),
};

function onPath(probe, program) {
  const suffixes = probe.platform === "win32" ? [".exe", ".bat", ""] : [""];
  return (probe.env.PATH ?? "").split(delimiter).filter(Boolean)
    .some((dir) => suffixes.some((suffix) => probe.exists(join(dir, program + suffix))));
}

function cudaRoots(probe) {
  return [probe.env.CUDA_PATH, probe.env.CUDA_HOME, probe.env.CUDAToolkit_ROOT, "/usr/local/cuda", "/opt/cuda", "/usr"].filter(Boolean);
}

const CUBLAS_LIBRARIES = ["lib64/libcublas.so", "lib/libcublas.so", "targets/x86_64-linux/lib/libcublas.so", "targets/sbsa-linux/lib/libcublas.so", "lib/x64/cublas.lib", "lib/x86_64-linux-gnu/libcublas.so"];
const CUBLAS_HEADERS = ["include/cublas_v2.h", "targets/x86_64-linux/include/cublas_v2.h", "targets/sbsa-linux/include/cublas_v2.h"];

function missingCuda(probe) {
  const missing = [];
  const roots = cudaRoots(probe);
  const nvcc = onPath(probe, "nvcc") || roots.some((root) => probe.exists(join(root, "bin", "nvcc")));
  if (!nvcc) missing.push("nvcc (the CUDA toolkit's compiler: not on PATH, nor in CUDA_PATH/bin)");
  const has = (relative) => roots.some((root) => relative.some((path) => probe.exists(join(root, path))));
  if (!has(CUBLAS_HEADERS) || !has(CUBLAS_LIBRARIES)) {
    missing.push(`cuBLAS (cublas_v2.h and libcublas, which ggml's CUDA backend links; looked in ${roots.join(", ")}): ` +
      "install the toolkit's cuBLAS development package (NVIDIA's libcublas-dev-<version>) or point CUDA_PATH at a full toolkit");
  }
  return missing;
}

function missingVulkan(probe) {
  const missing = [];
  const sdk = probe.env.VULKAN_SDK;
  const includeDirs = [sdk && join(sdk, "include"), sdk && join(sdk, "Include"), "/usr/include", "/usr/local/include", "/opt/homebrew/include"].filter(Boolean);
  const glslc = onPath(probe, "glslc") || (sdk && probe.exists(join(sdk, "bin", "glslc")));
  if (!glslc) missing.push("glslc (the shader compiler; Debian package glslc)");
  if (!includeDirs.some((dir) => probe.exists(join(dir, "vulkan", "vulkan.h")))) missing.push("the Vulkan headers and loader (Debian package libvulkan-dev)");
  const spirvConfigs = [sdk && join(sdk, "share", "cmake", "SPIRV-Headers"), sdk && join(sdk, "lib", "cmake", "SPIRV-Headers"), "/usr/share/cmake/SPIRV-Headers", "/usr/local/share/cmake/SPIRV-Headers", "/usr/lib/cmake/SPIRV-Headers"].filter(Boolean);
  if (!spirvConfigs.some((dir) => probe.exists(join(dir, "SPIRV-HeadersConfig.cmake")))) missing.push("SPIRV-Headers' cmake package (Debian package spirv-headers)");
  if (missing.length && probe.platform === "linux") missing.push("(on Debian/Ubuntu `scripts/system-deps.sh vulkan` installs all of them)");
  return missing;
}

function missingMetal(probe) {
  return probe.platform === "darwin" ? [] : [`Metal (macOS only; this is ${probe.platform})`];
}

const CHECKS = { cuda: missingCuda, vulkan: missingVulkan, metal: missingMetal };

export function missingToolchain(gpu, probe = systemProbe) {
  return CHECKS[gpu](probe);
}
