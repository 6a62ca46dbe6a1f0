/**
 * Every error this package throws carries a stable `code` from this registry. Codes are part of the public
 * API: they never change meaning. The native addon throws the `ERR_NATIVE_*`/model/context codes by name;
 * test/errors.test.ts fails when a code used anywhere in src/ or addon/ is missing here.
 */
export const ERROR_CODES = {
  // Input validation (library API, before any native work)
  ERR_INVALID_ARGUMENT: "An option or argument has the wrong type or is out of range; the message names it.",
  // Files and models
  ERR_MODEL_NOT_FOUND: "The model path does not exist or is not a readable file.",
  ERR_GGUF_INVALID: "The file is not a valid GGUF (bad magic, version, counts, lengths, offsets, or truncated).",
  ERR_MODEL_UNSUPPORTED: "The GGUF is valid but not a model this package runs (architecture, tensors, vocabulary).",
  ERR_MODEL_LOAD_FAILED: "llama.cpp could not load the model (the message carries its reason).",
  ERR_MODEL_LOAD_ABORTED: "Model loading was aborted by the caller's AbortSignal.",
  // Backends
  ERR_MODEL_TOO_LARGE: "The model and its KV cache fit neither the GPU nor this machine's memory (the message gives the sizes).",
  ERR_BACKEND_UNAVAILABLE: "The requested GPU backend (cuda, vulkan, metal) is not available on this machine/build.",
  ERR_NATIVE_LOAD_FAILED: "The native addon binary could not be loaded; the message lists every attempt.",
  // Contexts and decoding
  ERR_CONTEXT_CREATE_FAILED: "The inference context could not be created (usually not enough memory for the KV cache).",
  ERR_DISPOSED: "The model, context or sampler was already disposed.",
  ERR_DECODE_FAILED: "llama_decode failed for a batch (the message carries the status).",
  ERR_KV_CACHE_FULL: "No room left in the KV cache for the batch.",
  ERR_GRAMMAR_INVALID: "A GBNF grammar could not be parsed.",
  ERR_GRAMMAR_REJECTED: "The grammar allows no further token, or rejects a token that was forced into it.",
  ERR_CONTEXT_OVERFLOW: "Prompt plus requested tokens exceed the context size.",
  ERR_BUSY: "All sequence slots are taken and the wait queue is full.",
  ERR_ABORTED: "The operation was cancelled by the caller.",
  // Tokenizer / harmony
  ERR_TOKENIZER_INVALID: "The GGUF's vocabulary or merges cannot build an o200k_harmony tokenizer.",
  ERR_INVALID_REASONING_EFFORT: "A reasoning effort other than low, medium or high was given.",
  ERR_SCHEMA_INVALID: "A JSON schema could not be turned into a grammar or validator.",
  ERR_DOWNLOAD_FAILED: "A model download failed (HTTP status, network, a full disk, or checksum mismatch).",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The one error class of this package: a real Error with a stable `code`. */
export class GptOssError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GptOssError";
    this.code = code;
  }
}

/** True when `error` is an Error with the given code (works for native errors too). */
export function hasCode(error: unknown, code: ErrorCode): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === code;
}
