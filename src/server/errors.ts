/**
 * Every error the HTTP server answers with, in one registry: a stable `code` (the `error.code` field of the
 * OpenAI error shape), its HTTP status, its OpenAI `type`, and what it means. test/unit/server-errors.test.ts
 * fails when a code used anywhere in src/server is missing here.
 *
 * Body shape (OpenAI's): `{ "error": { "message", "type", "param", "code" } }`.
 */
import type { ErrorCode } from "../errors.js";

export const SERVER_ERRORS = {
  invalid_json: { status: 400, type: "invalid_request_error", doc: "The body is not valid JSON (or is empty)." },
  invalid_type: { status: 400, type: "invalid_request_error", doc: "A field has the wrong JSON type; `param` names it." },
  invalid_value: { status: 400, type: "invalid_request_error", doc: "A field is out of range or not an allowed value." },
  missing_required_parameter: { status: 400, type: "invalid_request_error", doc: "A required field is absent." },
  bad_request: { status: 400, type: "invalid_request_error", doc: "The request is not valid HTTP, or fastify refused it before any route (the message says why)." },
  unsupported_parameter: { status: 400, type: "invalid_request_error", doc: "A field this server cannot honour (e.g. n > 1)." },
  array_above_max_length: { status: 400, type: "invalid_request_error", doc: "More messages, input items or tools than the server takes (`--max-messages`, `--max-tools`); `param` names the field." },
  context_length_exceeded: { status: 400, type: "invalid_request_error", doc: "Prompt plus max tokens exceed the context size." },
  invalid_reasoning_effort: { status: 400, type: "invalid_request_error", doc: "Reasoning effort other than low, medium or high." },
  invalid_schema: { status: 400, type: "invalid_request_error", doc: "A JSON schema (response format or tool) cannot be used: a keyword the grammar cannot enforce, or over a limit of SCHEMA_LIMITS (the message names it); `param` names the schema." },
  invalid_grammar: { status: 400, type: "invalid_request_error", doc: "The `grammar` extension field is not valid GBNF." },
  invalid_api_key: { status: 401, type: "authentication_error", doc: "No bearer key, or a key the server does not know." },
  permission_denied: { status: 403, type: "invalid_request_error", doc: "The API key may not use this model or route (key file `models` / `routes`); the message names which." },
  model_not_found: { status: 404, type: "invalid_request_error", doc: "The `model` field names no model this server serves." },
  previous_response_not_found: { status: 404, type: "invalid_request_error", doc: "`previous_response_id` is unknown or expired." },
  not_found: { status: 404, type: "invalid_request_error", doc: "No route for this path." },
  response_not_found: { status: 404, type: "invalid_request_error", doc: "GET/DELETE /v1/responses/{id}: unknown, expired, deleted or created with `store: false`." },
  method_not_allowed: { status: 405, type: "invalid_request_error", doc: "The path exists but not for this method; `Allow` lists the methods." },
  request_timeout: { status: 408, type: "invalid_request_error", doc: "The request was not received in time." },
  request_too_large: { status: 413, type: "invalid_request_error", doc: "The body is larger than the server's body limit." },
  unsupported_media_type: { status: 415, type: "invalid_request_error", doc: "The body is not application/json." },
  request_header_fields_too_large: { status: 431, type: "invalid_request_error", doc: "The request headers are larger than the server accepts." },
  rate_limit_exceeded: { status: 429, type: "rate_limit_error", doc: "Too many requests for this key (or address); see Retry-After." },
  token_quota_exceeded: { status: 429, type: "rate_limit_error", doc: "This key (or address) spent its tokens per minute (prompt + completion); see Retry-After." },
  concurrent_requests_exceeded: { status: 429, type: "rate_limit_error", doc: "This key (or address) already runs its most generation requests at once; see Retry-After." },
  server_busy: { status: 503, type: "server_error", doc: "Every sequence slot is taken and the model's wait queue is full; see Retry-After." },
  model_loading: { status: 503, type: "server_error", doc: "The model is still loading; retry shortly." },
  model_unavailable: { status: 503, type: "server_error", doc: "The model failed to load; the message says why." },
  shutting_down: { status: 503, type: "server_error", doc: "The server is draining in-flight work before it exits." },
  state_store_unavailable: { status: 503, type: "server_error", doc: "The shared state store (Redis, `--redis`) cannot be reached; the server reconnects by itself. See Retry-After." },
  generation_timeout: { status: 504, type: "server_error", doc: "The request ran longer than the server's request timeout (`--request-timeout`) and was cancelled." },
  generation_failed: { status: 500, type: "server_error", doc: "The engine failed while generating this request (a native decode error, a lost RPC device); the requests decoding in that step fail, the server keeps serving, and the message says what failed." },
  internal_error: { status: 500, type: "server_error", doc: "A bug or an unexpected failure; the server log has details." },
} as const satisfies Record<string, { status: number; type: string; doc: string }>;

export type ServerErrorCode = keyof typeof SERVER_ERRORS;

/** The OpenAI error body. */
export interface ApiErrorBody {
  error: { message: string; type: string; param: string | null; code: ServerErrorCode };
}

/** An error the server turns into an HTTP response with the registry's status and type. */
export class ApiError extends Error {
  readonly code: ServerErrorCode;
  readonly param: string | null;
  readonly status: number;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers: Record<string, string>;

  constructor(code: ServerErrorCode, message: string, param: string | null = null, headers: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.param = param;
    this.status = SERVER_ERRORS[code].status;
    this.headers = headers;
  }

  toBody(): ApiErrorBody {
    return { error: { message: this.message, type: SERVER_ERRORS[this.code].type, param: this.param, code: this.code } };
  }
}

/** Library error codes that are the client's doing (or the server's load), and how they answer. */
const LIBRARY_CODE_TO_SERVER: Partial<Record<ErrorCode, ServerErrorCode>> = {
  ERR_CONTEXT_OVERFLOW: "context_length_exceeded",
  ERR_KV_CACHE_FULL: "server_busy",
  ERR_BUSY: "server_busy",
  ERR_INVALID_REASONING_EFFORT: "invalid_reasoning_effort",
  ERR_SCHEMA_INVALID: "invalid_schema",
  ERR_GRAMMAR_INVALID: "invalid_grammar",
  ERR_INVALID_ARGUMENT: "invalid_value",
  ERR_DECODE_FAILED: "generation_failed",
};

/** Retry-After of a 503 server_busy: a queue slot frees when any request ends, typically within seconds. */
const RETRY_BUSY_SECONDS = "1";

/** Fastify's own error codes (body parsing) mapped onto the registry. */
const FASTIFY_CODE_TO_SERVER: Record<string, ServerErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "request_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_json",
};

/**
 * Turns anything thrown while serving a request into an ApiError. `paramHint` names the request field a
 * library validation error most likely concerns (e.g. "response_format" for a schema error).
 */
export function toApiError(error: unknown, paramHints: Partial<Record<ServerErrorCode, string>> = {}): ApiError {
  if (error instanceof ApiError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === "string") {
    const mapped = LIBRARY_CODE_TO_SERVER[code as ErrorCode] ?? FASTIFY_CODE_TO_SERVER[code];
    if (mapped === "unsupported_media_type") {
      return new ApiError(mapped, `${message}. Send the body as JSON with 'Content-Type: application/json'.`);
    }
    if (mapped === "server_busy") return new ApiError(mapped, message, null, { "Retry-After": RETRY_BUSY_SECONDS });
    if (mapped === "generation_failed") return new ApiError(mapped, `The model failed while generating: ${message}. This request was stopped (with any decoding in the same step); the server keeps serving, and a retry may succeed.`);
    if (mapped) return new ApiError(mapped, message, paramHints[mapped] ?? null);
  }
  // A JSON body fastify could not parse arrives as a SyntaxError with statusCode 400.
  if (error instanceof SyntaxError && (error as { statusCode?: number }).statusCode === 400) {
    return new ApiError("invalid_json", `The request body is not valid JSON: ${message}`);
  }
  // Any other refusal of fastify's own (FST_ERR_*, a 4xx): the client's doing, with fastify's message.
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof code === "string" && code.startsWith("FST_") && typeof status === "number" && status >= 400 && status < 500) {
    return new ApiError("bad_request", message);
  }
  return new ApiError("internal_error", "The server failed to process the request.");
}
