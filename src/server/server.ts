/**
 * The OpenAI-compatible HTTP server: `createServer(options)` builds a fastify app serving one or more models
 * (see README "Server"). Routes: POST /v1/chat/completions, POST /v1/responses, GET/DELETE /v1/responses/{id},
 * GET /v1/responses/{id}/input_items, GET /v1/models, /v1/health (and /health), /v1/metrics. CORS, request ids,
 * auth and permissions, rate limits, token quotas, concurrency caps (admission.ts) and metrics live in hooks so every
 * route gets them.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { Admission } from "./admission.js";
import { ApiKeyVerifier } from "./auth.js";
import { ConcurrencyCaps } from "./concurrency-caps.js";
import { answerClientError } from "./client-errors.js";
import { CorsPolicy } from "./cors.js";
import { RouteMethods } from "./method-routes.js";
import { REQUEST_ID_HEADER, requestIdOf } from "./request-id.js";
import { registerChatCompletions } from "./chat-completions/route.js";
import type { ReasoningField } from "./chat-completions/response.js";
import type { ServerContext } from "./context.js";
import { ApiError, toApiError } from "./errors.js";
import { InFlightRequests } from "./in-flight.js";
import { KeyFileWatcher } from "./key-file.js";
import type { ApiKeyEntry } from "./key-grants.js";
import { redactedLogger } from "./log-redaction.js";
import { createNvidiaSmiProbe, type GpuUtilizationProbe } from "./gpu-utilization.js";
import { ServerMetrics } from "./metrics.js";
import { ModelRegistry, type ServedModel } from "./model-registry.js";
import { defaultRoutingPolicy, ModelRouter, type ModelRoutingPolicy } from "./model-router.js";
import type { RedisStateOptions } from "./redis/connection.js";
import { registerResponses } from "./responses/route.js";
import type { ResponseStoreOptions } from "./responses/store.js";
import { createSharedState } from "./shared-state.js";
import type { GenerationDefaults } from "../chat/types.js";
import { registerStatusRoutes } from "./status-routes.js";
import { PACKAGE_VERSION } from "../version.js";

export interface ServerOptions {
  /** The models to serve; requests pick one by `model` (absent: the first). A Promise is served as "loading". */
  models: ServedModel[];
  /**
   * Bearer keys; when non-empty every route but /v1/health and /health needs one (default: none — open server).
   * A string is a key without restrictions; an ApiKeyEntry may have a name, allowed models and routes, and limits.
   */
  apiKeys?: Array<string | ApiKeyEntry>;
  /**
   * A JSON key file (`{"keys": [ApiKeyEntry…]}`, see key-file.ts), used with `apiKeys`. Read at start (an unusable
   * file throws), re-read when it changes and on `reloadApiKeys()`; an invalid new version keeps the keys in use and
   * logs an error. With a file every route but the health checks needs a key, even while it lists none.
   */
  apiKeyFile?: string;
  /**
   * Browser origins allowed by CORS (`https://app.example`), or "*" for any (default: none — CORS off).
   * Preflights are answered without authentication.
   */
  cors?: string[] | "*";
  /** Token-bucket limit per key (per client address without keys). Default: no limit. */
  rateLimit?: { requestsPerSecond: number; burst?: number };
  /**
   * Values for fields a request omits, handed to the library as `GenerationOptions.defaults` (the library's own:
   * max_tokens 2048 capped to the room the prompt leaves, temperature 0.7, top_p 0.9, reasoning "medium").
   * How many requests generate or wait is the model's (`LoadModelOptions.parallel` / `maxQueue`): a request
   * beyond its queue answers 503 `server_busy` with Retry-After.
   */
  defaults?: GenerationDefaults;
  /** Largest accepted request body in bytes (default 4 MiB). */
  bodyLimitBytes?: number;
  /**
   * Most chat `messages` (or Responses `input` items) one request may hold; beyond: 400 `array_above_max_length`
   * naming the field. Default 4096 (DEFAULT_MAX_MESSAGES).
   */
  maxMessages?: number;
  /** Most `tools` one request may offer; beyond: 400 `array_above_max_length`. Default 512 (DEFAULT_MAX_TOOLS). */
  maxTools?: number;
  /**
   * A generation request (chat completions, responses) running longer than this is cancelled, its slot freed, and
   * answered 504 `generation_timeout` (a stream gets an error event, then ends). Default 600000 ms; 0: no limit.
   */
  requestTimeoutMs?: number;
  /** Generation requests at once per key (per address without keys), unless its key sets `maxConcurrent`. Default 0: unlimited. */
  maxConcurrentPerKey?: number;
  /**
   * Prompt + completion tokens per minute per key (per address without keys), unless its key sets
   * `tokensPerMinute`; shared through Redis with `redis`. Default 0: unlimited.
   */
  tokensPerMinute?: number;
  /**
   * Field names carrying the chain of thought in chat completions (default both `reasoning` and
   * `reasoning_content`: clients read one or the other, none reads both).
   */
  reasoningFields?: ReasoningField[];
  /** `previous_response_id` store (default 1000 responses, 1 hour TTL). */
  responseStore?: ResponseStoreOptions;
  /**
   * Keep rate-limit buckets and stored responses in Redis, shared by every replica given the same URL and key
   * prefix (default: in this process). `listen()` connects first and rejects when Redis cannot be reached; later
   * outages answer 503 `state_store_unavailable` to the requests that need Redis until it is back (README
   * "Several replicas").
   */
  redis?: RedisStateOptions;
  /**
   * How `model: "auto"` picks among the served models (default `defaultRoutingPolicy()`: the largest for a
   * `X-Model-Hint: large`, high reasoning effort, tools or a long prompt, else the smallest; see model-router.ts).
   */
  routing?: ModelRoutingPolicy;
  /**
   * fastify logger option (default false). Logger options get the Authorization and other credential headers
   * redacted; prompts and outputs are never logged.
   */
  logger?: FastifyServerOptions["logger"];
  /** GPU utilization source for metrics (default: nvidia-smi when a model runs on a GPU backend; false: none). */
  gpuProbe?: GpuUtilizationProbe | false;
}

export interface ShutdownOptions {
  /** Time in-flight requests get to finish before they are cancelled (default 30000 ms). */
  timeoutMs?: number;
}

export interface GptOssServer {
  /** The fastify instance (use `app.inject` in tests). */
  readonly app: FastifyInstance;
  readonly registry: ModelRegistry;
  readonly metrics: ServerMetrics;
  /**
   * Connects to Redis when `redis` is set, then starts listening; resolves with the base URL, e.g.
   * "http://127.0.0.1:8000". Port 0 picks a free port.
   */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /**
   * Re-reads `apiKeyFile` now (the CLI calls it on SIGHUP). Returns false, keeping the keys in use and logging why,
   * when the file is invalid; false too without a key file.
   */
  reloadApiKeys(): boolean;
  /** Stops accepting requests, lets in-flight ones finish (up to `timeoutMs`), cancels the rest, closes. Idempotent. */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/** Where `listen()` binds by default: loopback only (exposing the server is a choice, e.g. `--host 0.0.0.0`). */
export const DEFAULT_LISTEN = { host: "127.0.0.1", port: 8000 } as const;
/** Time in-flight requests get to finish on shutdown before they are cancelled. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;
/** Largest accepted request body (`ServerOptions.bodyLimitBytes`). */
export const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
/** Longest a generation request may run before it is cancelled (`ServerOptions.requestTimeoutMs`). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 600_000;
/**
 * Most messages (or input items) per request (`ServerOptions.maxMessages`): twice what the default context can hold
 * anyway (every message takes at least 4 tokens: 4096 of them need 16384, the default context is 8192); raise it
 * with a much larger context.
 */
export const DEFAULT_MAX_MESSAGES = 4096;
/** Most tools per request (`ServerOptions.maxTools`): four times OpenAI's limit of 128. */
export const DEFAULT_MAX_TOOLS = 512;

const GENERATION_ROUTES = new Set(["/v1/chat/completions", "/v1/responses"]);
const PUBLIC_ROUTES = new Set(["/v1/health", "/health"]);

export function createServer(options: ServerOptions): GptOssServer {
  if (options.models.length === 0) throw new Error("createServer needs at least one model.");
  const app = Fastify({
    logger: redactedLogger(options.logger ?? false),
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    return503OnClosing: false,
    genReqId: requestIdOf,
    clientErrorHandler: answerClientError,
  });
  const routeMethods = new RouteMethods();
  routeMethods.watch(app);
  const cors = new CorsPolicy(options.cors);
  const keys = new ApiKeyVerifier(options.apiKeys ?? [], { required: options.apiKeyFile !== undefined });
  // A key both in the file and in `apiKeys` gets the file's grant (its restrictions are never dropped).
  const keyFile =
    options.apiKeyFile === undefined
      ? undefined
      : new KeyFileWatcher(options.apiKeyFile, (entries) => keys.replace([...entries, ...(options.apiKeys ?? [])]), {
          info: (message) => app.log.info(message),
          error: (message) => app.log.error(message),
        });
  if (cors.allowsAnyOrigin && !keys.enabled) {
    app.log.warn("CORS allows any origin and no API key is set: any web page a visitor opens can use this server.");
  }
  app.decorateRequest("apiKeyGrant", null);
  // Bodies are JSON only: fastify's default text/plain parser would turn a forgotten header into a confusing 400.
  app.removeContentTypeParser("text/plain");
  const registry = new ModelRegistry(options.models);
  const inFlight = new InFlightRequests({ timeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS });
  const gpuProbe = options.gpuProbe === false ? undefined : (options.gpuProbe ?? createNvidiaSmiProbe());
  const metrics = new ServerMetrics({ activeRequests: () => inFlight.size, models: () => registry.list() }, gpuProbe);
  const state = createSharedState(options, { warn: (message) => app.log.warn(message), info: (message) => app.log.info(message) });
  const admission = new Admission({
    keys,
    limiter: state.limiter,
    quota: state.quota,
    caps: new ConcurrencyCaps(),
    metrics,
    limits: { tokensPerMinute: options.tokensPerMinute ?? 0, maxConcurrentPerKey: options.maxConcurrentPerKey ?? 0 },
  });
  const ctx: ServerContext = {
    registry,
    router: new ModelRouter(registry, options.routing ?? defaultRoutingPolicy(), (choice) => metrics.observeRoute(choice.id, choice.reason)),
    metrics,
    inFlight,
    defaults: { ...options.defaults },
    reasoningFields: options.reasoningFields ?? ["reasoning", "reasoning_content"],
    limits: { maxMessages: options.maxMessages ?? DEFAULT_MAX_MESSAGES, maxTools: options.maxTools ?? DEFAULT_MAX_TOOLS },
    responseStore: state.responses,
    chargeUsage: (request, usage) => admission.chargeUsage(request, usage),
    version: PACKAGE_VERSION,
  };
  let draining = false;

  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (cors.apply(request, reply)) return reply;
    const route = request.routeOptions.url ?? "";
    if (draining && !PUBLIC_ROUTES.has(route)) throw new ApiError("shutting_down", "The server is shutting down; retry on another instance.");
    if (PUBLIC_ROUTES.has(route)) return;
    // Checked against the route matched (e.g. /v1/responses/:id), so no spelling of a path slips past; unmatched
    // paths as sent (a key limited to some routes learns nothing about the others).
    await admission.admit(request, reply, { path: route || request.url.split("?")[0]!, generation: GENERATION_ROUTES.has(route) });
  });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.observeRequest(route, reply.statusCode, reply.elapsedTime / 1000, GENERATION_ROUTES.has(route));
  });

  app.setErrorHandler((error, request, reply) => {
    let apiError = toApiError(error);
    if (apiError.code === "internal_error" || apiError.code === "generation_failed") {
      request.log.error({ err: error }, "request failed");
      // The id finds the log line with the details the body leaves out.
      apiError = new ApiError(apiError.code, `${apiError.message} Request id: ${request.id}.`);
    }
    void reply.code(apiError.status).headers(apiError.headers).send(apiError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]!;
    const allowed = routeMethods.allowed(path);
    const apiError =
      allowed.length > 0
        ? new ApiError("method_not_allowed", `Method ${request.method} is not allowed for ${path}; use ${allowed.join(" or ")}.`, null, { Allow: allowed.join(", ") })
        : new ApiError("not_found", `Unknown route: ${request.method} ${path}.`);
    void reply.code(apiError.status).headers(apiError.headers).send(apiError.toBody());
  });

  registerChatCompletions(app, ctx);
  registerResponses(app, ctx);
  registerStatusRoutes(app, ctx);

  let closing: Promise<void> | undefined;
  return {
    app,
    registry,
    metrics,
    async listen({ host = DEFAULT_LISTEN.host, port = DEFAULT_LISTEN.port } = {}) {
      await state.open();
      await app.listen({ host, port });
      const address = app.server.address();
      if (address === null || typeof address === "string") return String(address);
      const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
      return `http://${shownHost}:${address.port}`;
    },
    reloadApiKeys() {
      return keyFile?.reload() ?? false;
    },
    shutdown({ timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS } = {}) {
      closing ??= (async () => {
        draining = true;
        keyFile?.close();
        const closed = app.close();
        if (!(await inFlight.waitIdle(timeoutMs))) {
          app.log.warn(`shutdown: cancelling ${inFlight.size} request(s) still running after ${timeoutMs} ms`);
          inFlight.abortAll("The server is shutting down.");
          await inFlight.waitIdle(2_000);
        }
        app.server.closeAllConnections?.();
        await closed;
        await state.close();
      })();
      return closing;
    },
  };
}
