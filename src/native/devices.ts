/** Chooses the ggml devices for a `gpu` option from what the loaded backends expose. */
import { GptOssError } from "../errors.js";
import type { NativeAddon, NativeDevice } from "./types.js";

/** The `gpu` option of loadModel: "auto" = the best GPU backend present, else CPU; false = CPU only. */
export type GpuChoice = "auto" | false | "cuda" | "vulkan" | "metal";

const GPU_BACKENDS = { cuda: "CUDA", vulkan: "Vulkan", metal: "Metal" } as const;

export interface DeviceSelection {
  /** ggml device names to offload to (empty = CPU only). */
  devices: string[];
  /** "CPU", "CUDA", "Vulkan" or "Metal". */
  backend: string;
  /** "off" where a device cannot run ggml's flash-attention kernels (see {@link flashAttentionFor}). */
  flashAttention: "auto" | "off";
}

/** Vulkan drivers that run on the CPU: Mesa's lavapipe (llvmpipe) and SwiftShader. */
const SOFTWARE_VULKAN = /llvmpipe|lavapipe|swiftshader/i;

/**
 * Flash attention for a set of devices: "auto" (llama.cpp decides), except on software Vulkan drivers, where Mesa
 * 22.3's lavapipe crashes (SIGSEGV in its shader threads) running ggml's single-token flash-attention shader.
 */
export function flashAttentionFor(devices: readonly NativeDevice[]): "auto" | "off" {
  return devices.some((d) => d.backend === "Vulkan" && SOFTWARE_VULKAN.test(d.description)) ? "off" : "auto";
}

/** Preference order for "auto". */
const AUTO_ORDER = ["CUDA", "Metal", "Vulkan"];

export function selectDevices(addon: NativeAddon, gpu: GpuChoice): DeviceSelection {
  addon.loadBackends();
  const gpus = addon.listDevices().filter((d: NativeDevice) => d.type === "gpu" || d.type === "igpu");
  const cpuOnly: DeviceSelection = { devices: [], backend: "CPU", flashAttention: "auto" };
  const select = (matching: NativeDevice[], backend: string): DeviceSelection =>
    ({ devices: matching.map((d) => d.name), backend, flashAttention: flashAttentionFor(matching) });
  if (gpu === false) return cpuOnly;
  if (gpu === "auto") {
    for (const backend of AUTO_ORDER) {
      const matching = gpus.filter((d) => d.backend === backend);
      if (matching.length > 0) return select(matching, backend);
    }
    return cpuOnly;
  }
  const wanted = GPU_BACKENDS[gpu];
  if (wanted === undefined) {
    throw new GptOssError("ERR_INVALID_ARGUMENT",
      `Expected one of "auto", false, "cuda", "vulkan", "metal" for gpu but received ${JSON.stringify(gpu)}`);
  }
  const matching = gpus.filter((d) => d.backend === wanted);
  if (matching.length === 0) {
    const present = [...new Set(addon.listDevices().map((d) => d.backend))].join(", ") || "none";
    throw new GptOssError("ERR_BACKEND_UNAVAILABLE",
      `gpu: "${gpu}" was requested but no ${wanted} device is available (backends loaded: ${present}). ` +
        `This build ships the ${wanted} backend only in its GPU variant; use gpu: "auto" or false to run on CPU.`);
  }
  return select(matching, wanted);
}
