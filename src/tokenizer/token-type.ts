/** llama.cpp `llama_token_type` values (include/llama.h) as GGUF `tokenizer.ggml.token_type` stores them. */
export const LlamaTokenType = {
  normal: 1,
  control: 3,
  userDefined: 4,
} as const;
