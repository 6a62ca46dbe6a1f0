/**
 * The whole native surface of addon/ (gpt_oss_node.node), typed in one place.
 * Only src/native/ touches the addon; everything else imports these types and `loadNative()`.
 *
 * Conventions of the addon:
 * - Every slow call returns a Promise (its work runs off the JS thread).
 * - Every failure is an Error with a stable `code` from src/errors.ts and the file or op named.
 * - `dispose()` is idempotent; disposing a model disposes its contexts and samplers first.
 */

/** A ggml device as the backend registry sees it. */
export interface NativeDevice {
  /** ggml device name, e.g. "CPU", "CUDA0", "Vulkan0". */
  name: string;
  description: string;
  /** Backend (registry) name, e.g. "CPU", "CUDA", "Vulkan", "Metal". */
  backend: string;
  type: "cpu" | "gpu" | "igpu" | "accel";
  memoryFreeBytes: number;
  memoryTotalBytes: number;
  /** Weight layouts for the device's faster kernels that llama.cpp may use (CPU: "CPU_REPACK", "AMX", ...). */
  extraBufferTypes: string[];
}

export interface NativeVersions {
  /** Version of this addon (package.json version compiled in). */
  addon: string;
  /** llama.cpp commit the addon was built from. */
  llamaCppCommit: string;
  /** llama.cpp's system info line (SIMD features compiled in). */
  systemInfo: string;
}

export interface NativeModelOptions {
  /** Device names to offload to (from listDevices); empty = CPU only. */
  devices: string[];
  /** Layers to offload to the GPU devices (-1 = all). Ignored when `devices` is empty. */
  gpuLayers: number;
  /** Keep the MoE expert tensors of layers 0..cpuMoeLayers-1 in host memory, computed by the CPU (0 = none). */
  cpuMoeLayers: number;
  useMmap: boolean;
  useMlock: boolean;
}

/** A load in progress: `promise` settles with the model; `abort()` stops it at the next progress tick. */
export interface NativeLoadTask {
  promise: Promise<NativeModel>;
  abort(): void;
}

export interface NativeModelInfo {
  description: string;
  architecture: string;
  parameterCount: number;
  sizeBytes: number;
  trainContextSize: number;
  embeddingSize: number;
  layerCount: number;
  vocabSize: number;
  /** Sliding-window size in tokens (0 when the model has no SWA layers). */
  slidingWindow: number;
}

export interface NativeModel {
  readonly info: NativeModelInfo;
  readonly disposed: boolean;
  /** All GGUF metadata key/values, values rendered as strings by llama.cpp (arrays elided). */
  metadata(): Record<string, string>;
  /** llama.cpp's own tokenizer (for cross-checks; src/tokenizer is the real one). */
  tokenize(text: string, parseSpecial: boolean): Int32Array;
  /** llama.cpp's own detokenizer. `renderSpecial` includes control-token text. */
  detokenize(tokens: Int32Array, renderSpecial: boolean): string;
  createContext(options: NativeContextOptions): Promise<NativeContext>;
  dispose(): void;
}

export type NativeCacheType = "f32" | "f16" | "bf16" | "q8_0" | "q4_0" | "q4_1" | "q5_0" | "q5_1";

export interface NativeContextOptions {
  contextSize: number;
  /** Logical batch size: the most tokens one decode() call may carry. */
  batchSize: number;
  /** Physical micro-batch size. */
  ubatchSize: number;
  /** Number of parallel sequences (slots); sequence ids are 0..sequences-1. */
  sequences: number;
  threads: number;
  threadsBatch: number;
  flashAttention: "auto" | "on" | "off";
  cacheTypeK: NativeCacheType;
  cacheTypeV: NativeCacheType;
  /**
   * Keep the full context in the sliding-window layers' cache too, so any prefix of a sequence can be
   * kept and the rest removed (prefix reuse). Costs KV memory on SWA layers.
   */
  swaFull: boolean;
  /** One KV buffer shared by all sequences (false: each sequence gets contextSize / sequences). */
  kvUnified: boolean;
}

/** Sampling parameters of one sequence; turned into a llama.cpp sampler chain. */
export interface NativeSamplerOptions {
  /** 0 = greedy (argmax). */
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  seed: number;
  repeatPenalty: number;
  frequencyPenalty: number;
  presencePenalty: number;
  penaltyLastN: number;
  /** Added to the logits of these token ids; -Infinity bans a token. */
  logitBias: Array<[token: number, bias: number]>;
  /** GBNF grammar text (optional). */
  grammar?: string;
  /** Root rule of `grammar` (default "root"). */
  grammarRoot?: string;
}

export interface NativeSampler {
  readonly disposed: boolean;
  /** Feed a token chosen outside sampling (prompt, forced text) to penalties and grammar. */
  accept(token: number): void;
  /** Reset penalties/grammar state. */
  reset(): void;
  dispose(): void;
}

/**
 * One decode step for many sequences. Token i is at `positions[i]` of sequence `sequenceIds[i]`.
 * `sampleIndices` lists the batch indices whose logits are sampled (usually each sequence's last token),
 * with `samplers[k]` used for `sampleIndices[k]`. Sampled tokens are accepted into their sampler; a sampler
 * listed several times (drafts of one sequence) samples in `sampleIndices` order, each pick accepted before the next.
 */
export interface NativeBatch {
  tokens: Int32Array;
  positions: Int32Array;
  sequenceIds: Int32Array;
  sampleIndices: Int32Array;
  samplers: NativeSampler[];
  /** Return the top-N log-probabilities at each sampled index (0 = none). */
  topLogprobs?: number;
}

export interface NativeDecodeResult {
  /** One sampled token per entry of `sampleIndices`. */
  sampled: Int32Array;
  /** Log-probability of each sampled token (only when topLogprobs > 0). */
  sampledLogprobs?: Float32Array;
  /** `sampleIndices.length * topLogprobs` ids, best first per entry (only when topLogprobs > 0). */
  topTokens?: Int32Array;
  topLogprobs?: Float32Array;
}

export interface NativeMemoryUsage {
  /** Bytes held by the KV cache buffers. */
  kvCacheBytes: number;
  /** Cells in use in the KV cache (all sequences). */
  kvCellsUsed: number;
  contextSize: number;
}

/** Bytes of one buffer type, split by what holds them (llama.cpp's memory breakdown). */
export interface NativeMemoryPlacement {
  /** ggml buffer type, e.g. "CPU", "CPU_REPACK", "Vulkan0", "Vulkan_Host", "RPC0[host:port]". */
  bufferType: string;
  /** The device that owns the buffer type. */
  device: string;
  /** True when the memory is host memory (mapped file, pinned host buffers). */
  host: boolean;
  modelBytes: number;
  contextBytes: number;
  computeBytes: number;
}

/** Totals over a context's settled decode() calls: where the time of a step went (for benchmarks and metrics). */
export interface NativeDecodeTimings {
  /** decode() calls settled (failed ones included). */
  steps: number;
  /** Milliseconds inside llama.cpp's llama_decode: the model's own compute. */
  computeMs: number;
  /** Milliseconds sampling after it (and computing log-probabilities when asked). */
  sampleMs: number;
}

export interface NativeContext {
  readonly disposed: boolean;
  /** Total KV cells of the context. */
  readonly contextSize: number;
  /** Cells one sequence may use (contextSize / sequences unless the cache is unified). */
  readonly sequenceContextSize: number;
  readonly sequences: number;
  readonly batchSize: number;
  /** Decode one batch (tokens of many sequences) and sample; never blocks the event loop. */
  decode(batch: NativeBatch): Promise<NativeDecodeResult>;
  createSampler(options: NativeSamplerOptions): NativeSampler;
  /** Remove positions [p0, p1) of a sequence (p1 = -1: to the end). False if the cache cannot do it. */
  kvRemove(sequence: number, p0: number, p1: number): boolean;
  /** Copy positions [p0, p1) of `src` into `dst` (shares cells). */
  kvCopy(src: number, dst: number, p0: number, p1: number): void;
  /** Drop every sequence but `sequence`. */
  kvKeep(sequence: number): void;
  /** Clear the whole cache. */
  kvClear(): void;
  /** Smallest and largest position held for a sequence ([-1, -1] when empty). */
  kvRange(sequence: number): [min: number, max: number];
  memoryUsage(): NativeMemoryUsage;
  /** Where the weights, the KV cache and the compute buffers live, per buffer type. */
  memoryBreakdown(): NativeMemoryPlacement[];
  /** Cumulative timings of decode(); the rest of a step's wall time is the bridge (N-API, thread hand-offs, JS). */
  timings(): NativeDecodeTimings;
  dispose(): void;
}

export interface NativeAddon {
  versions(): NativeVersions;
  /** Load ggml backends from the addon's folder (idempotent); returns the registered backend names. */
  loadBackends(): string[];
  listDevices(): NativeDevice[];
  /** Route llama.cpp/ggml logs: level threshold (0=debug,1=info,2=warn,3=error,4=none). */
  setLogLevel(level: number): void;
  loadModel(path: string, options: NativeModelOptions, onProgress?: (fraction: number) => void): NativeLoadTask;
  /**
   * Attaches the devices of a ggml RPC server ("host:port") and returns their names ("RPC0", ...). Check that the
   * server answers first: ggml's RPC client aborts the process when it cannot connect.
   */
  addRpcServer(endpoint: string): string[];
  /** Serves local devices to remote `addRpcServer` callers on a native thread, for the rest of the process. */
  startRpcServer(options: { endpoint: string; threads: number; devices: string[]; cacheDir: string }): void;
  /** Native errors become instances of `errorClass`, built as `new errorClass(code, message)` (once per env). */
  setErrorClass(errorClass: new (code: string, message: string) => Error): void;
}
