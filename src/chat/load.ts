/**
 * `loadModel`: validate the options and the GGUF (clear coded errors before any native code), build the tokenizer
 * from the file's own vocabulary, pick devices, load the weights, create one context whose KV cache is one pool
 * shared by the parallel sequences (unified: any request may use the whole context; sliding-window layers keep
 * the full context so cached prefixes can be reused), start the engine.
 */
import { availableParallelism, totalmem } from "node:os";
import { GPT_OSS_ARCHITECTURE } from "../architecture.js";
import { GptOssError } from "../errors.js";
import { PromptLookupDrafter } from "../engine/draft.js";
import { Engine } from "../engine/engine.js";
import { readGguf, type GgufFile } from "../gguf/index.js";
import { selectDevices } from "../native/devices.js";
import { loadNative } from "../native/index.js";
import { attachRpcServers } from "../native/rpc.js";
import type { NativeAddon, NativeContext, NativeModel } from "../native/types.js";
import { tokenizerFromMetadata } from "../tokenizer/index.js";
import { DEFAULTS, LIMITS } from "./defaults.js";
import { ChatModel } from "./model.js";
import { choosePlacement, modelFootprint, type Placement, type PlacementRequest } from "./placement.js";
import type { LoadModelOptions, LoadProgress, Model, ModelInfo } from "./types.js";
import {
  invalid,
  optionalChoice,
  optionalFunction,
  optionalInteger,
  optionalSignal,
  rejectUnknownKeys,
  requireObject,
} from "./validate.js";

/** Logical batch: the most tokens one decode step carries (prompt chunks included). */
const BATCH_SIZE = 512;
const GPU_CHOICES = ["auto", false, "cuda", "vulkan", "metal"] as const;
const OPTION_KEYS = ["contextSize", "parallel", "threads", "gpu", "gpuLayers", "cpuMoeLayers", "gpuMemoryLimit", "rpc", "maxQueue", "draftTokens", "onProgress", "signal"];

interface ResolvedLoadOptions {
  contextSize: number;
  parallel: number;
  threads: number;
  gpu: (typeof GPU_CHOICES)[number];
  placement: PlacementRequest;
  rpc: string[];
  maxQueue: number;
  draftTokens: number;
  onProgress: (progress: LoadProgress) => void;
  signal: AbortSignal | undefined;
}

function resolveLoadOptions(path: unknown, input: unknown): ResolvedLoadOptions {
  if (typeof path !== "string" || path.length === 0) throw invalid("non-empty string", "path", path);
  const options = input === undefined ? {} : requireObject(input, "options");
  rejectUnknownKeys(options, OPTION_KEYS, "loadModel options");
  return {
    contextSize: optionalInteger(options.contextSize, "contextSize", LIMITS.contextSize) ?? DEFAULTS.contextSize,
    parallel: optionalInteger(options.parallel, "parallel", LIMITS.parallel) ?? DEFAULTS.parallel,
    threads: optionalInteger(options.threads, "threads", LIMITS.threads) ?? availableParallelism(),
    gpu: options.gpu === undefined ? "auto" : optionalChoice(options.gpu, "gpu", GPU_CHOICES)!,
    placement: {
      ...optionalEntry("gpuLayers", optionalInteger(options.gpuLayers, "gpuLayers", LIMITS.gpuLayers)),
      ...optionalEntry("cpuMoeLayers", optionalInteger(options.cpuMoeLayers, "cpuMoeLayers", LIMITS.cpuMoeLayers)),
      ...optionalEntry("gpuMemoryLimit", optionalInteger(options.gpuMemoryLimit, "gpuMemoryLimit", LIMITS.gpuMemoryLimit)),
    },
    rpc: optionalStringArray(options.rpc, "rpc", LIMITS.rpcServers.max) ?? [],
    maxQueue: optionalInteger(options.maxQueue, "maxQueue", LIMITS.maxQueue) ?? DEFAULTS.maxQueue,
    draftTokens: optionalInteger(options.draftTokens, "draftTokens", LIMITS.draftTokens) ?? DEFAULTS.draftTokens,
    onProgress: optionalFunction<(progress: LoadProgress) => void>(options.onProgress, "onProgress") ?? (() => {}),
    signal: optionalSignal(options.signal, "signal"),
  };
}

function optionalEntry<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function optionalStringArray(value: unknown, name: string, maxLength: number): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > maxLength || value.some((item) => typeof item !== "string")) {
    throw invalid(`array of at most ${maxLength} strings`, name, value);
  }
  return value as string[];
}

/**
 * The devices and the layout: the GPU backend chosen by `gpu`, plus any RPC servers' devices; the layers placed as
 * asked or fitted to the devices' free memory (see placement.ts).
 */
async function chooseLayout(addon: NativeAddon, file: GgufFile, resolved: ResolvedLoadOptions, contextSize: number) {
  const selection = selectDevices(addon, resolved.gpu);
  const devices = [...selection.devices, ...(await attachRpcServers(addon, resolved.rpc))];
  if (devices.length === 0) {
    return { selection, devices, placement: { gpuLayers: 0, cpuMoeLayers: 0, reason: "CPU only" } satisfies Placement };
  }
  const free = addon.listDevices().filter((d) => devices.includes(d.name)).reduce((sum, d) => sum + d.memoryFreeBytes, 0);
  const placement = choosePlacement(modelFootprint(file, GPT_OSS_ARCHITECTURE, contextSize), resolved.placement, free, totalmem());
  return { selection, devices, placement };
}

function metadataNumber(file: GgufFile, key: string): number {
  const value = file.metadata[key];
  return typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : 0;
}

/** Parameters in the expert tensors (`*_exps*`) and in all tensors. */
function parameterCounts(file: GgufFile): { total: number; experts: number } {
  let total = 0;
  let experts = 0;
  for (const tensor of file.tensors) {
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    total += count;
    if (tensor.name.includes("_exps")) experts += count;
  }
  return { total, experts };
}

function checkArchitecture(file: GgufFile, path: string): void {
  const architecture = file.metadata["general.architecture"];
  if (architecture !== GPT_OSS_ARCHITECTURE) {
    throw new GptOssError(
      "ERR_MODEL_UNSUPPORTED",
      `${path}: general.architecture is ${JSON.stringify(architecture)}; this package runs "${GPT_OSS_ARCHITECTURE}" models (gpt-oss-20b, gpt-oss-120b).`,
    );
  }
}

function abortedLoad(signal: AbortSignal, path: string): GptOssError {
  return new GptOssError("ERR_MODEL_LOAD_ABORTED", `Loading ${path} was aborted.`, { cause: signal.reason });
}

/**
 * Loads a gpt-oss GGUF and returns a {@link Model} ready to chat.
 *
 * @param path Path of a gpt-oss GGUF file (e.g. `gpt-oss-20b-mxfp4.gguf`).
 * @param options See {@link LoadModelOptions}: `contextSize` (default 8192, capped by the model; one pool shared by all
 *   slots, any one request may use all of it), `parallel` (default 4), `threads` (default: all cores), `gpu` (default `"auto"`), `maxQueue`
 *   (default 64), `onProgress`, `signal`.
 * @throws GptOssError ERR_INVALID_ARGUMENT, ERR_MODEL_NOT_FOUND, ERR_GGUF_INVALID, ERR_MODEL_UNSUPPORTED,
 *   ERR_TOKENIZER_INVALID, ERR_BACKEND_UNAVAILABLE, ERR_NATIVE_LOAD_FAILED, ERR_MODEL_LOAD_FAILED,
 *   ERR_MODEL_LOAD_ABORTED, ERR_CONTEXT_CREATE_FAILED.
 */
export async function loadModel(path: string, options?: LoadModelOptions): Promise<Model> {
  const resolved = resolveLoadOptions(path, options);
  const { signal, onProgress } = resolved;
  const checkAbort = () => {
    if (signal?.aborted) throw abortedLoad(signal, path);
  };
  checkAbort();
  onProgress({ phase: "validate", fraction: 0 });
  const file = await readGguf(path);
  checkArchitecture(file, path);
  const tokenizer = tokenizerFromMetadata(file.metadata, path);
  onProgress({ phase: "validate", fraction: 1 });
  checkAbort();

  const addon = loadNative(resolved.gpu);
  // The context asked for, capped to what the model was trained for (the GGUF's own figure, as llama.cpp reads it).
  const trainContextSize = metadataNumber(file, `${GPT_OSS_ARCHITECTURE}.context_length`);
  const contextSize = Math.min(resolved.contextSize, trainContextSize || resolved.contextSize);
  const { selection, devices, placement } = await chooseLayout(addon, file, resolved, contextSize);
  checkAbort();
  // An onProgress that throws stops the load, and loadModel rejects with what it threw.
  let progressError: { error: unknown } | undefined;
  const task = addon.loadModel(
    path,
    { devices, gpuLayers: placement.gpuLayers, cpuMoeLayers: placement.cpuMoeLayers, useMmap: true, useMlock: false },
    (fraction) => {
      if (progressError) return;
      try {
        onProgress({ phase: "load", fraction });
      } catch (error) {
        progressError = { error };
        task.abort();
      }
    },
  );
  const onAbort = () => task.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  let nativeModel: NativeModel;
  try {
    nativeModel = await task.promise;
  } catch (error) {
    throw progressError ? progressError.error : error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (progressError) {
    nativeModel.dispose();
    throw progressError.error;
  }
  let context: NativeContext;
  try {
    checkAbort();
    onProgress({ phase: "context", fraction: 0 });
    context = await nativeModel.createContext({
      contextSize,
      batchSize: BATCH_SIZE,
      ubatchSize: BATCH_SIZE,
      sequences: resolved.parallel,
      threads: resolved.threads,
      threadsBatch: resolved.threads,
      flashAttention: selection.flashAttention,
      cacheTypeK: "f16",
      cacheTypeV: "f16",
      swaFull: true,
      kvUnified: true,
    });
    onProgress({ phase: "context", fraction: 1 });
  } catch (error) {
    nativeModel.dispose();
    throw error;
  }

  const { total, experts } = parameterCounts(file);
  const expertCount = metadataNumber(file, `${GPT_OSS_ARCHITECTURE}.expert_count`);
  const expertUsedCount = metadataNumber(file, `${GPT_OSS_ARCHITECTURE}.expert_used_count`);
  const info: ModelInfo = {
    path,
    architecture: nativeModel.info.architecture,
    contextSize: context.contextSize,
    trainContextSize: nativeModel.info.trainContextSize,
    parameterCount: nativeModel.info.parameterCount || total,
    activeParameterCount: expertCount > 0 ? Math.round(total - experts * (1 - expertUsedCount / expertCount)) : total,
    sizeBytes: nativeModel.info.sizeBytes,
    layerCount: nativeModel.info.layerCount,
    expertCount,
    expertUsedCount,
    vocabSize: nativeModel.info.vocabSize,
    backend: devices.length > selection.devices.length ? [selection.backend, "RPC"].join("+") : selection.backend,
    devices,
    placement,
    memory: context.memoryBreakdown(),
    parallel: context.sequences,
  };
  const engine = new Engine(context, {
    maxQueue: resolved.maxQueue,
    ...(resolved.draftTokens > 0 && { draft: { drafter: new PromptLookupDrafter(), maxTokens: resolved.draftTokens } }),
  });
  return new ChatModel({
    engine,
    tokenizer,
    info,
    disposeNative: () => {
      context.dispose();
      nativeModel.dispose();
    },
  });
}
