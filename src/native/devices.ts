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
}

/** Preference order for "auto". */
const AUTO_ORDER = ["CUDA", "Metal", "Vulkan"];

export function selectDevices(addon: NativeAddon, gpu: GpuChoice): DeviceSelection {
  addon.loadBackends();
  const gpus = addon.listDevices().filter((d: NativeDevice) => d.type === "gpu" || d.type === "igpu");
  if (gpu === false) return { devices: [], backend: "CPU" };
  if (gpu === "auto") {
    for (const backend of AUTO_ORDER) {
      const matching = gpus.filter((d) => d.backend === backend);
      if (matching.length > 0) return { devices: matching.map((d) => d.name), backend };
    }
    return { devices: [], backend: "CPU" };
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
  return { devices: matching.map((d) => d.name), backend: wanted };
}
