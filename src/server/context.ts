/** What route handlers of one server instance share. */
import type { ReasoningField } from "./chat-completions/response.js";
import type { InFlightRequests } from "./generation.js";
import type { GenerationDefaults } from "./generation-params.js";
import type { ServerMetrics } from "./metrics.js";
import type { ModelRegistry } from "./model-registry.js";
import type { StoredConversation } from "./responses/route.js";
import type { ResponseStore } from "./responses/store.js";

export interface ServerContext {
  registry: ModelRegistry;
  metrics: ServerMetrics;
  inFlight: InFlightRequests;
  defaults: GenerationDefaults;
  reasoningFields: readonly ReasoningField[];
  responseStore: ResponseStore<StoredConversation>;
  version: string;
}
