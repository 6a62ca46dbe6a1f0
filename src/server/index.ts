/** The OpenAI-compatible HTTP server (also reachable through the `gpt-oss serve` CLI). */
export { createServer, DEFAULT_LISTEN, DEFAULT_SHUTDOWN_TIMEOUT_MS, type GptOssServer, type ServerOptions, type ShutdownOptions } from "./server.js";
export type { ServedModel } from "./model-registry.js";
export type { GenerationDefaults } from "../chat/types.js";
export type { ReasoningField } from "./chat-completions/response.js";
export { SERVER_ERRORS, ApiError, type ServerErrorCode, type ApiErrorBody } from "./errors.js";
export { parseRateLimit } from "./rate-limit.js";
