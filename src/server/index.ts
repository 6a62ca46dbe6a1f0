/** The OpenAI-compatible HTTP server (also reachable through the `gpt-oss serve` CLI). */
export {
  createServer,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_LISTEN,
  DEFAULT_MAX_MESSAGES,
  DEFAULT_MAX_TOOLS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  type GptOssServer,
  type ServerOptions,
  type ShutdownOptions,
} from "./server.js";
export type { ApiKeyEntry } from "./key-grants.js";
export type { ServedModel, ReadyModel } from "./model-registry.js";
export { AUTO_MODEL_ID, ROUTE_HINT_HEADER, defaultRoutingPolicy, type ModelRoutingPolicy, type RouteChoice, type RouteRequest } from "./model-router.js";
export type { GenerationDefaults } from "../chat/types.js";
export type { ReasoningField } from "./chat-completions/response.js";
export { SERVER_ERRORS, ApiError, type ServerErrorCode, type ApiErrorBody } from "./errors.js";
export { parseRateLimit } from "./rate-limit.js";
export { DEFAULT_REDIS_KEY_PREFIX, describeRedisUrl, type RedisStateOptions } from "./redis/connection.js";
