/**
 * `general.architecture` of gpt-oss GGUF files, as llama.cpp registers it (LLM_ARCH_OPENAI_MOE), and the prefix of
 * their hyperparameter keys.
 */
export const GPT_OSS_ARCHITECTURE = "gpt-oss";
