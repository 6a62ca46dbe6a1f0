/**
 * The OpenAI-compatible HTTP server: `createServer(options)` builds a fastify app serving one or more models
 * (see README "Server"). Routes: POST /v1/chat/completions, POST /v1/responses, GET/DELETE /v1/responses/{id},
 * GET /v1/responses/{id}/input_items, GET /v1/models, /v1/health (and /health), /v1/metrics. CORS, request ids,
 * auth, rate limits, admission and metrics live in hooks so every route gets them.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { ApiKeyVerifier } from "./auth.js";
import { answerClientError } from "./client-errors.js";
import { CorsPolicy } from "./cors.js";
import { RouteMethods } from "./method-routes.js";
import { REQUEST_ID_HEADER, requestIdOf } from "./request-id.js";
import { registerChatCompletions } from "./chat-completions/route.js";
import type { ReasoningField } from "./chat-completions/response.js";
import type { ServerContext } from "./context.js";
import { ApiError, toApiError } from "./errors.js";
import { InFlightRequests } from "./in-flight.js";
import { createNvidiaSmiProbe, type GpuUtilizationProbe } from "./gpu-utilization.js";
import { ServerMetrics } from "./metrics.js";
import { ModelRegistry, type ServedModel } from "./model-registry.js";
import { defaultRoutingPolicy, ModelRouter, type ModelRoutingPolicy } from "./model-router.js";
import { TokenBucketLimiter } from "./rate-limit.js";
import { registerResponses } from "./responses/route.js";
import { ResponseStore, type ResponseStoreOptions, type StoredConversation } from "./responses/store.js";
import type { GenerationDefaults } from "../chat/types.js";
import { registerStatusRoutes } from "./status-routes.js";
import { PACKAGE_VERSION } from "../version.js";

export interface ServerOptions {
  /** The models to serve; requests pick one by `model` (absent: the first). A Promise is served as "loading". */
  models: ServedModel[];
  /** Bearer keys; when non-empty every route but /v1/health and /health needs one (default: none — open server). */
  apiKeys?: string[];
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
   * Field names carrying the chain of thought in chat completions (default both `reasoning` and
   * `reasoning_content`: clients read one or the other, none reads both).
   */
  reasoningFields?: ReasoningField[];
  /** `previous_response_id` store (default 1000 responses, 1 hour TTL). */
  responseStore?: ResponseStoreOptions;
  /**
   * How `model: "auto"` picks among the served models (default `defaultRoutingPolicy()`: the largest for a
   * `X-Model-Hint: large`, high reasoning effort, tools or a long prompt, else the smallest; see model-router.ts).
   */
  routing?: ModelRoutingPolicy;
  /** fastify logger option (default false). */
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
  /** Starts listening; resolves with the base URL, e.g. "http://127.0.0.1:8000". Port 0 picks a free port. */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /** Stops accepting requests, lets in-flight ones finish (up to `timeoutMs`), cancels the rest, closes. Idempotent. */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/** Where `listen()` binds by default: loopback only (exposing the server is a choice, e.g. `--host 0.0.0.0`). */
export const DEFAULT_LISTEN = { host: "127.0.0.1", port: 8000 } as const;
/** Time in-flight requests get to finish on shutdown before they are cancelled. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

const GENERATION_ROUTES = new Set(["/v1/chat/completions", "/v1/responses"]);
const PUBLIC_ROUTES = new Set(["/v1/health", "/health"]);

export function createServer(options: ServerOptions): GptOssServer {
  if (options.models.length === 0) throw new Error("createServer needs at least one model.");
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 4 * 1024 * 1024,
    return503OnClosing: false,
    genReqId: requestIdOf,
    clientErrorHandler: answerClientError,
  });
  const routeMethods = new RouteMethods();
  routeMethods.watch(app);
  const cors = new CorsPolicy(options.cors);
  if (cors.allowsAnyOrigin && !(options.apiKeys ?? []).some((key) => key !== "")) {
    app.log.warn("CORS allows any origin and no API key is set: any web page a visitor opens can use this server.");
  }
  // Bodies are JSON only: fastify's default text/plain parser would turn a forgotten header into a confusing 400.
  app.removeContentTypeParser("text/plain");
  const registry = new ModelRegistry(options.models);
  const inFlight = new InFlightRequests();
  const gpuProbe = options.gpuProbe === false ? undefined : (options.gpuProbe ?? createNvidiaSmiProbe());
  const metrics = new ServerMetrics({ activeRequests: () => inFlight.size, models: () => registry.list() }, gpuProbe);
  const ctx: ServerContext = {
    registry,
    router: new ModelRouter(registry, options.routing ?? defaultRoutingPolicy(), (choice) => metrics.observeRoute(choice.id, choice.reason)),
    metrics,
    inFlight,
    defaults: { ...options.defaults },
    reasoningFields: options.reasoningFields ?? ["reasoning", "reasoning_content"],
    responseStore: new ResponseStore<StoredConversation>(options.responseStore),
    version: PACKAGE_VERSION,
  };
  const keys = new ApiKeyVerifier(options.apiKeys ?? []);
  const limiter = options.rateLimit ? new TokenBucketLimiter(options.rateLimit) : undefined;
  let draining = false;

  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (cors.apply(request, reply)) return reply;
    const route = request.routeOptions.url ?? "";
    if (draining && !PUBLIC_ROUTES.has(route)) throw new ApiError("shutting_down", "The server is shutting down; retry on another instance.");
    let client = `ip:${request.ip}`;
    if (keys.enabled && !PUBLIC_ROUTES.has(route)) {
      const identity = keys.verify(request.headers.authorization);
      if (!identity) {
        reply.header("www-authenticate", 'Bearer realm="gpt-oss"');
        throw new ApiError(
          "invalid_api_key",
          request.headers.authorization ? "Incorrect API key provided." : "Missing API key: send 'Authorization: Bearer YOUR_KEY'.",
        );
      }
      client = identity;
    }
    if (limiter && !PUBLIC_ROUTES.has(route)) {
      const decision = limiter.take(client);
      if (!decision.allowed) {
        throw new ApiError("rate_limit_exceeded", `Rate limit reached (${limiter.requestsPerSecond} requests/s, burst ${limiter.burst}); retry in ${decision.retryAfterSeconds} s.`, null, {
          "Retry-After": String(decision.retryAfterSeconds),
        });
      }
    }
  });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.observeRequest(route, reply.statusCode, reply.elapsedTime / 1000, GENERATION_ROUTES.has(route));
  });

  app.setErrorHandler((error, request, reply) => {
    let apiError = toApiError(error);
    if (apiError.status >= 500 && apiError.code === "internal_error") {
      request.log.error({ err: error }, "request failed");
      // The id finds the log line with the details the body leaves out.
      apiError = new ApiError("internal_error", `${apiError.message} Request id: ${request.id}.`);
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
      await app.listen({ host, port });
      const address = app.server.address();
      if (address === null || typeof address === "string") return String(address);
      const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
      return `http://${shownHost}:${address.port}`;
    },
    shutdown({ timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS } = {}) {
      closing ??= (async () => {
        draining = true;
        const closed = app.close();
        if (!(await inFlight.waitIdle(timeoutMs))) {
          app.log.warn(`shutdown: cancelling ${inFlight.size} request(s) still running after ${timeoutMs} ms`);
          inFlight.abortAll("The server is shutting down.");
          await inFlight.waitIdle(2_000);
        }
        app.server.closeAllConnections?.();
        await closed;
      })();
      return closing;
    },
  };
}
