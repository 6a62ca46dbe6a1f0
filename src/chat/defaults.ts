/**
 * Defaults of the library API: the single source of truth for every default value named in the TSDoc of
 * src/chat/types.ts. The HTTP server passes its own (flags) as `GenerationOptions.defaults`, never as request values.
 */
import { DEFAULT_REASONING_EFFORT } from "../harmony/conversation.js";

export const DEFAULTS = {
  /** Most generated tokens per request, reasoning included. */
  maxTokens: 2048,
  temperature: 0.7,
  topP: 0.9,
  /** 0 = top-k off. */
  topK: 0,
  /** 0 = min-p off. */
  minP: 0,
  frequencyPenalty: 0,
  presencePenalty: 0,
  reasoningEffort: DEFAULT_REASONING_EFFORT,
  /** Most model rounds of `runTools`. */
  maxRounds: 8,
  /** Context tokens: one KV pool shared by all parallel sequences; one request may use all of it. */
  contextSize: 8192,
  /** Parallel sequence slots. */
  parallel: 4,
  /** Most requests waiting for a slot before ERR_BUSY. */
  maxQueue: 64,
  /** Speculative decoding's guessed tokens per step (prompt lookup); 0 = off. */
  draftTokens: 0,
} as const;

/** Bounds of the numeric options (validated up front). */
export const LIMITS = {
  parallel: { min: 1, max: 64 },
  threads: { min: 1, max: 1024 },
  contextSize: { min: 64, max: 1 << 24 },
  maxQueue: { min: 0, max: 1_000_000 },
  draftTokens: { min: 0, max: 64 },
  /** llama.cpp's n_gpu_layers (-1 = all); more than the model has means all. */
  gpuLayers: { min: -1, max: 100_000 },
  cpuMoeLayers: { min: 0, max: 100_000 },
  gpuMemoryLimit: { min: 1, max: Number.MAX_SAFE_INTEGER },
  rpcServers: { min: 0, max: 16 },
  /** The context is the real upper bound (the engine checks prompt + maxTokens against it). */
  maxTokens: { min: 1, max: Number.MAX_SAFE_INTEGER },
  maxReasoningTokens: { min: 0, max: 1 << 24 },
  maxRounds: { min: 1, max: 1000 },
  temperature: { min: 0, max: 100 },
  topP: { min: 0, max: 1 },
  topK: { min: 0, max: 1 << 20 },
  minP: { min: 0, max: 1 },
  penalty: { min: -2, max: 2 },
  seed: { min: 0, max: 0xffffffff },
} as const;
