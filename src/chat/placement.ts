/**
 * Where a model's layers go when a GPU is used: the layout asked for (`gpuLayers`, `cpuMoeLayers`), or, with
 * `gpu: "auto"` and neither given, one fitted to the devices' free memory from the GGUF's own tensor sizes:
 *   1. everything on the GPU;
 *   2. else the expert tensors of the first N layers in host memory (the CPU computes them), N as small as fits;
 *   3. else every layer's experts on the host and fewer layers on the GPU;
 *   4. else the CPU alone — or ERR_MODEL_TOO_LARGE when the host cannot hold what is left either.
 * `gpuLayers` counts like llama.cpp's `-ngl`: the output layer is one of them, offloaded first, then the repeating
 * layers from the last one down; -1 = all.
 */
import { GptOssError } from "../errors.js";
import type { GgufFile } from "../gguf/index.js";

/** Headroom kept free on the GPU by the fit: compute buffers, the driver, other programs. */
export const FIT_RESERVE_BYTES = 768 * 1024 * 1024;

/** Bytes per KV cache element (f16 K and V). */
const KV_ELEMENT_BYTES = 2;

export interface LayerFootprint {
  /** Every tensor of the layer (`blk.<i>.*`). */
  bytes: number;
  /** Its MoE expert tensors (`blk.<i>.ffn_{gate,up,down}_exps.*`): what `cpuMoeLayers` keeps on the host. */
  expertBytes: number;
}

/** What the model needs, from the GGUF's tensor table and geometry, for one context size. */
export interface ModelFootprint {
  layers: LayerFootprint[];
  /** Output norm and output matrix: the "output layer" of `gpuLayers`. */
  outputBytes: number;
  /** Tensors that never leave the host (token embeddings). */
  hostOnlyBytes: number;
  /** KV cache of one layer for the whole context. */
  kvBytesPerLayer: number;
}

export interface Placement {
  /** llama.cpp's n_gpu_layers: -1 = all, 0 = none. */
  gpuLayers: number;
  cpuMoeLayers: number;
  /** How it was chosen, in words (printed by the CLI, kept in ModelInfo). */
  reason: string;
}

export interface PlacementRequest {
  gpuLayers?: number;
  cpuMoeLayers?: number;
  /** Caps the GPU memory the fit may plan for (bytes). */
  gpuMemoryLimit?: number;
}

function metadataInteger(file: GgufFile, key: string): number {
  const value = file.metadata[key];
  return typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : 0;
}

export function modelFootprint(file: GgufFile, architecture: string, contextSize: number): ModelFootprint {
  const layerCount = metadataInteger(file, `${architecture}.block_count`);
  const layers: LayerFootprint[] = Array.from({ length: layerCount }, () => ({ bytes: 0, expertBytes: 0 }));
  let outputBytes = 0;
  let hostOnlyBytes = 0;
  for (const tensor of file.tensors) {
    const layer = /^blk\.(\d+)\./.exec(tensor.name);
    if (layer && Number(layer[1]) < layerCount) {
      const entry = layers[Number(layer[1])]!;
      entry.bytes += tensor.sizeBytes;
      if (/^blk\.\d+\.ffn_(gate|up|down)_exps\./.test(tensor.name)) entry.expertBytes += tensor.sizeBytes;
    } else if (tensor.name.startsWith("output")) {
      outputBytes += tensor.sizeBytes;
    } else {
      hostOnlyBytes += tensor.sizeBytes;
    }
  }
  const headsKv = metadataInteger(file, `${architecture}.attention.head_count_kv`);
  const headDim = metadataInteger(file, `${architecture}.attention.key_length`) +
    metadataInteger(file, `${architecture}.attention.value_length`);
  return { layers, outputBytes, hostOnlyBytes, kvBytesPerLayer: headsKv * headDim * KV_ELEMENT_BYTES * contextSize };
}

/** GPU bytes of a layout: the offloaded layers (output first, then from the last layer down), less host experts. */
export function gpuBytes(footprint: ModelFootprint, gpuLayers: number, cpuMoeLayers: number): number {
  const count = footprint.layers.length;
  const offloaded = gpuLayers < 0 ? count + 1 : Math.min(gpuLayers, count + 1);
  if (offloaded === 0) return 0;
  let bytes = footprint.outputBytes;
  for (let i = count - (offloaded - 1); i < count; i++) {
    const layer = footprint.layers[i]!;
    bytes += layer.bytes - (i < cpuMoeLayers ? layer.expertBytes : 0) + footprint.kvBytesPerLayer;
  }
  return bytes;
}

function totalBytes(footprint: ModelFootprint): number {
  const layers = footprint.layers.reduce((sum, layer) => sum + layer.bytes + footprint.kvBytesPerLayer, 0);
  return layers + footprint.outputBytes + footprint.hostOnlyBytes;
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${Math.ceil(bytes / MIB)} MiB`;

/**
 * The layout for a GPU with `freeBytes` free (the fit), unless the caller fixed one.
 * @throws GptOssError ERR_MODEL_TOO_LARGE when nothing fits, neither on the GPU nor in `hostBytes`.
 */
export function choosePlacement(footprint: ModelFootprint, request: PlacementRequest, freeBytes: number, hostBytes: number): Placement {
  if (request.gpuLayers !== undefined || request.cpuMoeLayers !== undefined) {
    const gpuLayers = request.gpuLayers ?? -1;
    const cpuMoeLayers = request.cpuMoeLayers ?? 0;
    return { gpuLayers, cpuMoeLayers, reason: `as asked: gpuLayers ${gpuLayers === -1 ? "all" : gpuLayers}, cpuMoeLayers ${cpuMoeLayers}` };
  }
  const budget = Math.min(freeBytes, request.gpuMemoryLimit ?? Infinity) - FIT_RESERVE_BYTES;
  const count = footprint.layers.length;
  const all = gpuBytes(footprint, -1, 0);
  const budgetText = `${mib(budget)} of GPU memory usable (${mib(FIT_RESERVE_BYTES)} kept free)`;
  if (all <= budget) return { gpuLayers: -1, cpuMoeLayers: 0, reason: `fit: all layers on the GPU (${mib(all)}; ${budgetText})` };
  for (let cpuMoeLayers = 1; cpuMoeLayers <= count; cpuMoeLayers++) {
    const bytes = gpuBytes(footprint, -1, cpuMoeLayers);
    if (bytes <= budget) {
      return { gpuLayers: -1, cpuMoeLayers, reason: `fit: experts of the first ${cpuMoeLayers} of ${count} layers in host memory, the rest on the GPU (${mib(bytes)}; ${budgetText})` };
    }
  }
  for (let gpuLayers = count; gpuLayers >= 1; gpuLayers--) {
    const bytes = gpuBytes(footprint, gpuLayers, count);
    if (bytes <= budget) {
      return { gpuLayers, cpuMoeLayers: count, reason: `fit: every expert in host memory and ${gpuLayers} of ${count + 1} layers on the GPU (${mib(bytes)}; ${budgetText})` };
    }
  }
  const needed = totalBytes(footprint);
  if (needed > hostBytes) {
    throw new GptOssError("ERR_MODEL_TOO_LARGE",
      `The model needs about ${mib(needed)} (weights and KV cache), more than the GPU (${budgetText}) and this machine's ${mib(hostBytes)} of memory can hold together. ` +
        "Use a smaller contextSize, or a machine with more memory.");
  }
  return { gpuLayers: 0, cpuMoeLayers: 0, reason: `fit: not one layer fits the GPU (${budgetText}); running on the CPU` };
}
