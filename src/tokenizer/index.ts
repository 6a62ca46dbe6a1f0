/**
 * `gpt-oss-node/tokenizer`: the o200k_harmony tokenizer, built from a model's own vocabulary.
 *
 * @example
 * ```ts
 * import { loadTokenizer } from "gpt-oss-node/tokenizer";
 * const tokenizer = await loadTokenizer("gpt-oss-20b-mxfp4.gguf");
 * tokenizer.encode("hello world"); // [24912, 2375]
 * tokenizer.specialId("<|start|>"); // 200006
 * ```
 */
import { GptOssError } from "../errors.js";
import { readGguf, type GgufValue } from "../gguf/index.js";
import { Tokenizer } from "./tokenizer.js";

export { Tokenizer, type TokenizerVocab } from "./tokenizer.js";
export type { StreamDecoder } from "./stream-decoder.js";
export { FIRST_SPECIAL_ID, HARMONY_VOCAB_SIZE, HarmonyToken, specialTokenName } from "./special-tokens.js";

/**
 * Reads `tokenizer.ggml.tokens` and `tokenizer.ggml.token_type` from the GGUF at `ggufPath` (metadata only, no
 * tensor data) and builds a {@link Tokenizer} for exactly that vocabulary.
 * @throws GptOssError `ERR_TOKENIZER_INVALID` when the file is not a byte-level BPE (`gpt2`) model or its tokens
 *   are unusable; the GGUF reader's own errors (`ERR_MODEL_NOT_FOUND`, `ERR_GGUF_INVALID`) pass through.
 */
export async function loadTokenizer(ggufPath: string): Promise<Tokenizer> {
  return tokenizerFromMetadata((await readGguf(ggufPath)).metadata, ggufPath);
}

/**
 * The same from metadata already read (`loadModel` reads the header once for the checks and the vocabulary).
 * @param source named in error messages (the file path).
 * @throws GptOssError `ERR_TOKENIZER_INVALID` as {@link loadTokenizer}.
 */
export function tokenizerFromMetadata(metadata: Readonly<Record<string, GgufValue>>, source: string): Tokenizer {
  const model = metadata["tokenizer.ggml.model"];
  if (model !== undefined && model !== "gpt2") {
    throw new GptOssError(
      "ERR_TOKENIZER_INVALID",
      `${source}: tokenizer.ggml.model is ${JSON.stringify(model)}, expected "gpt2" (byte-level BPE)`,
    );
  }
  const tokens = metadata["tokenizer.ggml.tokens"];
  if (!Array.isArray(tokens) || !tokens.every((token) => typeof token === "string")) {
    throw new GptOssError("ERR_TOKENIZER_INVALID", `${source}: tokenizer.ggml.tokens is missing or not strings`);
  }
  const tokenTypes = metadata["tokenizer.ggml.token_type"];
  const types = Array.isArray(tokenTypes) && tokenTypes.every((t) => typeof t === "number") ? tokenTypes : undefined;
  try {
    return Tokenizer.fromVocab({ tokens: tokens as string[], tokenTypes: types as number[] | undefined });
  } catch (error) {
    if (error instanceof GptOssError) {
      throw new GptOssError(error.code, `${source}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
