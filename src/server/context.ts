/** What route handlers of one server instance share. */
import type { FastifyRequest } from "fastify";
import type { ReasoningField } from "./chat-completions/response.js";
import type { InFlightRequests } from "./in-flight.js";
import type { GenerationDefaults, Usage } from "../chat/types.js";
import type { ServerMetrics } from "./metrics.js";
import type { ModelRegistry } from "./model-registry.js";
import type { ModelRouter } from "./model-router.js";
import type { ResponseStorage, StoredConversation } from "./responses/store.js";

/** Counts one request may hold (`ServerOptions.maxMessages` / `maxTools`). */
export interface RequestLimits {
  /** Chat `messages`, or Responses `input` items. */
  maxMessages: number;
  /** Entries of `tools`. */
  maxTools: number;
}

export interface ServerContext {
  registry: ModelRegistry;
  /** Resolves a request's `model` (including "auto"). */
  router: ModelRouter;
  metrics: ServerMetrics;
  inFlight: InFlightRequests;
  /** The server's defaults, passed to the library as `options.defaults` (it applies them where a request sets nothing). */
  defaults: GenerationDefaults;
  reasoningFields: readonly ReasoningField[];
  limits: RequestLimits;
  /** In memory, or in Redis shared with other replicas: every call may wait (and fail with 503). */
  responseStore: ResponseStorage<StoredConversation>;
  /** Counts a finished generation's tokens against the request's key (token quota, per-key metrics). */
  chargeUsage(request: FastifyRequest, usage: Usage): void;
  version: string;
}
