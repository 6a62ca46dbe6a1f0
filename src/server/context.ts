/** What route handlers of one server instance share. */
import type { ReasoningField } from "./chat-completions/response.js";
import type { InFlightRequests } from "./in-flight.js";
import type { GenerationDefaults } from "../chat/types.js";
import type { ServerMetrics } from "./metrics.js";
import type { ModelRegistry } from "./model-registry.js";
import type { ModelRouter } from "./model-router.js";
import type { ResponseStore, StoredConversation } from "./responses/store.js";

export interface ServerContext {
  registry: ModelRegistry;
  /** Resolves a request's `model` (including "auto"). */
  router: ModelRouter;
  metrics: ServerMetrics;
  inFlight: InFlightRequests;
  /** The server's defaults, passed to the library as `options.defaults` (it applies them where a request sets nothing). */
  defaults: GenerationDefaults;
  reasoningFields: readonly ReasoningField[];
  responseStore: ResponseStore<StoredConversation>;
  version: string;
}
