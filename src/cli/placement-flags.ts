/** The flags that place a model on devices, shared by `serve` and `chat`: GPU layers, expert offload, RPC servers. */
import { LIMITS } from "../chat/defaults.js";
import type { LoadModelOptions } from "../chat/types.js";
import { intOption } from "./args.js";

export const PLACEMENT_OPTIONS = {
  "gpu-layers": { type: "string" },
  "n-cpu-moe": { type: "string" },
  "gpu-memory": { type: "string" },
  rpc: { type: "string", multiple: true },
} as const;

export const PLACEMENT_HELP = `  --gpu-layers N          layers on the GPU, as llama.cpp's -ngl (output layer included; -1 = all).
                          Default: all that fit the GPU's free memory (experts move to the CPU first)
  --n-cpu-moe N           keep the MoE experts of the first N layers in host memory (default: as the fit says)
  --gpu-memory MIB        most GPU memory the automatic fit plans for (default: all that is free)
  --rpc HOST:PORT         also place layers on this \`gpt-oss rpc-server\` (repeatable; unauthenticated: private
                          networks only)`;

const MIB = 1024 * 1024;

export function placementLoadOptions(values: { "gpu-layers"?: string; "n-cpu-moe"?: string; "gpu-memory"?: string; rpc?: string[] }): LoadModelOptions {
  const gpuLayers = intOption(values["gpu-layers"], "--gpu-layers", LIMITS.gpuLayers.min, LIMITS.gpuLayers.max);
  const cpuMoeLayers = intOption(values["n-cpu-moe"], "--n-cpu-moe", LIMITS.cpuMoeLayers.min, LIMITS.cpuMoeLayers.max);
  const gpuMemoryMib = intOption(values["gpu-memory"], "--gpu-memory", 1, Math.floor(LIMITS.gpuMemoryLimit.max / MIB));
  return {
    ...(gpuLayers !== undefined && { gpuLayers }),
    ...(cpuMoeLayers !== undefined && { cpuMoeLayers }),
    ...(gpuMemoryMib !== undefined && { gpuMemoryLimit: gpuMemoryMib * MIB }),
    ...(values.rpc?.length && { rpc: values.rpc }),
  };
}

/** The line printed once a model is loaded: the backend, the layout and why. */
export function describePlacement(info: { backend: string; devices: string[]; placement: { reason: string } }): string {
  return `${info.backend}${info.devices.length ? ` on ${info.devices.join(", ")}` : ""} (${info.placement.reason})`;
}
