/**
 * Public types of the library API (load → chat / stream / runTools → dispose).
 * The HTTP server (src/server) is a client of exactly these types.
 */
import type { EngineStats } from "../engine/engine.js";
import type { GpuChoice } from "../native/devices.js";
import type { NativeMemoryPlacement as MemoryPlacement } from "../native/types.js";
import type { ChatMessage, ChatResult, FunctionTool, JsonSchema, ReasoningEffort, ResponseFormat, StreamEvent, ToolChoice } from "../types.js";

export type * from "../types.js";
export type { EngineStats, GpuChoice, MemoryPlacement };

/**
 * Fallbacks for what a request leaves out, e.g. a server's own defaults: each applies only where the request
 * (and, for the reasoning effort, a `Reasoning:` line in a system message) sets nothing.
 */
export interface GenerationDefaults {
  /** Default 2048; like the library's own, capped to the room the prompt leaves in the context. */
  maxTokens?: number;
  /** Default 0.7. */
  temperature?: number;
  /** Default 0.9. */
  topP?: number;
  /** Default "medium". */
  reasoningEffort?: ReasoningEffort;
}

export interface GenerationOptions {
  /**
   * Default: a `Reasoning: low|medium|high` line in a system message, else `defaults.reasoningEffort`, else
   * "medium".
   */
  reasoningEffort?: ReasoningEffort;
  /** Most tokens of chain of thought before the engine forces the answer (default: unlimited; 0 skips analysis). */
  maxReasoningTokens?: number;
  tools?: FunctionTool[];
  /** Default "auto" (when tools are given). */
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  /** Raw GBNF grammar for the final answer (an alternative to responseFormat). */
  grammar?: string;
  /**
   * Most generated tokens in total, reasoning included. The prompt plus this must fit in the context
   * (ERR_CONTEXT_OVERFLOW names both numbers). Default 2048 (or `defaults.maxTokens`), capped to the room the
   * prompt leaves: a request that omits it never fails for its length.
   */
  maxTokens?: number;
  /** Default 0.7 (0 = greedy). */
  temperature?: number;
  /** Default 0.9. */
  topP?: number;
  /** Keep only the K likeliest tokens (default 0 = off). */
  topK?: number;
  /** Drop tokens below this share of the likeliest one's probability (default 0 = off). */
  minP?: number;
  /** Sampling seed, 0..2^32-1, for reproducible output (default: a random one per request). */
  seed?: number;
  /** -2..2 (default 0). */
  frequencyPenalty?: number;
  /** -2..2 (default 0). */
  presencePenalty?: number;
  /** Stop strings applied to the final answer text (default: none). */
  stop?: string | string[];
  /** Extra system-level instructions placed in the developer message (default: none). */
  instructions?: string;
  /** Aborting ends the generation with ERR_ABORTED and frees its slot at the next step. */
  signal?: AbortSignal;
  /** Fallbacks for the options above that this request leaves out (see {@link GenerationDefaults}). */
  defaults?: GenerationDefaults;
}


export interface ExecutableTool extends Omit<FunctionTool, "name"> {
  execute: (args: any, context: { signal?: AbortSignal }) => unknown | Promise<unknown>;
}

export interface RunToolsOptions extends Omit<GenerationOptions, "tools"> {
  tools: Record<string, ExecutableTool>;
  /** Most model rounds (default 8). */
  maxRounds?: number;
}

export interface RunToolsResult extends ChatResult {
  /** The whole conversation after the loop, tool calls and results included. */
  messages: ChatMessage[];
  rounds: number;
}

export interface LoadProgress {
  phase: "validate" | "load" | "context";
  /** 0..1 */
  fraction: number;
}

export interface LoadModelOptions {
  /** Context size in tokens (default 8192, capped by the model): one KV pool shared by the parallel sequences; one request may use all of it. */
  contextSize?: number;
  /** Parallel sequence slots (default 4). */
  parallel?: number;
  /** CPU threads (default: `os.availableParallelism()`, every logical core). */
  threads?: number;
  /** Default "auto": the best GPU backend present, else CPU. */
  gpu?: GpuChoice;
  /**
   * Layers on the GPU, counted like llama.cpp's `-ngl` (the output layer is one; -1 = all). Default: all when they
   * fit, else fitted to the GPU's free memory (see `cpuMoeLayers`).
   */
  gpuLayers?: number;
  /**
   * Keep the MoE expert tensors of the first N layers in host memory (the CPU computes them) while the rest of
   * those layers stays on the GPU: how a model larger than the card runs. Default: 0 when everything fits, else the
   * smallest N that fits. Setting `gpuLayers` or `cpuMoeLayers` turns the automatic fit off.
   */
  cpuMoeLayers?: number;
  /** Most GPU memory (bytes) the automatic fit plans for (default: the devices' free memory). */
  gpuMemoryLimit?: number;
  /**
   * ggml RPC servers ("host:port") whose devices hold layers too (`gpt-oss rpc-server` on other machines). The
   * traffic is unauthenticated and unencrypted: private networks only.
   */
  rpc?: string[];
  /** Most requests waiting for a slot before `ERR_BUSY` (default 64). */
  maxQueue?: number;
  /**
   * Speculative decoding by prompt lookup (default 0 = off): per step, up to this many tokens that continue an
   * earlier occurrence of the sequence's last tokens are guessed and checked in the same decode; each one the
   * model confirms saves a step. Only greedy requests (temperature 0, no penalties) outside grammar-constrained
   * stretches draft, so their output is the same as without it. Pays off where output echoes the context (agent
   * loops, code edits, quoting, repetition); elsewhere it costs the verification rows. `stats()` counts
   * drafted and accepted tokens.
   */
  draftTokens?: number;
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
}

export interface ModelInfo {
  path: string;
  architecture: string;
  contextSize: number;
  trainContextSize: number;
  parameterCount: number;
  /** Parameters active per token (MoE). */
  activeParameterCount: number;
  sizeBytes: number;
  layerCount: number;
  expertCount: number;
  expertUsedCount: number;
  vocabSize: number;
  /** "CPU", "CUDA", "Vulkan", "Metal", with "+RPC" when RPC servers hold layers. */
  backend: string;
  /** ggml devices holding layers (GPU devices, then RPC devices); empty on the CPU alone. */
  devices: string[];
  /** The layout loaded and why it was chosen. */
  placement: { gpuLayers: number; cpuMoeLayers: number; reason: string };
  /** Bytes per buffer type after loading: weights, KV cache and compute buffers, with the device of each. */
  memory: MemoryPlacement[];
  parallel: number;
}


/** A loaded model: what `loadModel` returns. Every method validates its input before any work. */
export interface Model {
  /** What was loaded: the file, its geometry, the context size, the backend and devices. */
  readonly info: ModelInfo;
  /**
   * Generates one assistant turn and resolves with it whole.
   * @throws GptOssError ERR_INVALID_ARGUMENT, ERR_INVALID_REASONING_EFFORT, ERR_SCHEMA_INVALID, ERR_GRAMMAR_INVALID
   *   (before any work); ERR_CONTEXT_OVERFLOW (the prompt, or the prompt plus an explicit `maxTokens`, does not fit
   *   the context); ERR_BUSY (the queue is full); ERR_ABORTED (`options.signal`); ERR_DISPOSED.
   */
  chat(messages: ChatMessage[], options?: GenerationOptions): Promise<ChatResult>;
  /**
   * The same turn as typed events: reasoning, content and tool-call deltas as they are decoded, then `done` with
   * the result. Breaking out of the loop cancels the generation. Throws as {@link Model.chat}, from the first `next()`.
   */
  stream(messages: ChatMessage[], options?: GenerationOptions): AsyncIterable<StreamEvent>;
  /**
   * The tool loop: chats, runs each tool call with the JavaScript function of that name, feeds the results back,
   * until the model answers without a call or `maxRounds` is reached. Resolves with the final turn and every
   * message added on the way. A tool that throws is reported to the model as its result (the loop goes on).
   */
  runTools(messages: ChatMessage[], options: RunToolsOptions): Promise<RunToolsResult>;
  /** The o200k_harmony ids of plain text (special-token text is encoded as ordinary text). */
  tokenize(text: string): number[];
  /** The text of token ids (the inverse of `tokenize` for plain text). */
  detokenize(tokens: readonly number[]): string;
  /** The engine's load right now and its totals since load (for metrics and health checks). */
  stats(): EngineStats;
  /** Ends every request (`cancelled`), waits for the step in flight, frees the native context and model. Idempotent. */
  dispose(): Promise<void>;
  /** `await using model = await loadModel(...)`: disposes at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}
