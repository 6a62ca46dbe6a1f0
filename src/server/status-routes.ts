/** GET /v1/models, /v1/models/:id, /v1/health (also as /health, for probes), /v1/metrics. */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ServerContext } from "./context.js";
import { ApiError } from "./errors.js";
import { mayUseModel } from "./key-grants.js";
import type { ModelEntry } from "./model-registry.js";

/** Organisation shown as `owned_by` (the weights are OpenAI's; this server is what serves them). */
const OWNED_BY = "openai";

function modelObject(entry: ModelEntry) {
  const info = entry.model?.info;
  return {
    id: entry.id,
    object: "model" as const,
    created: entry.created,
    owned_by: OWNED_BY,
    status: entry.state,
    root: entry.id,
    parent: null,
    permission: [],
    context_length: info?.contextSize ?? null,
    max_input_tokens: info?.contextSize ?? null,
    architecture: info?.architecture ?? null,
    total_parameters: info?.parameterCount ?? null,
    active_parameters: info?.activeParameterCount ?? null,
  };
}

export type HealthStatus = "healthy" | "degraded" | "unavailable";

/** healthy: every model serving; degraded: some serving, others loading/failed or queues full; unavailable: none serving. */
function healthStatus(entries: ModelEntry[]): HealthStatus {
  const ready = entries.filter((e) => e.state === "ready");
  if (ready.length === 0) return "unavailable";
  const saturated = ready.some((e) => e.model?.stats().queueFull === true);
  return ready.length < entries.length || saturated ? "degraded" : "healthy";
}

export function registerStatusRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // A key limited to some models sees only those.
  app.get("/v1/models", async (request) => ({ object: "list", data: ctx.registry.list().filter((e) => mayUseModel(request.apiKeyGrant, e.id)).map(modelObject) }));

  app.get<{ Params: { id: string } }>("/v1/models/:id", async (request) => {
    const grant = request.apiKeyGrant;
    if (!mayUseModel(grant, request.params.id)) {
      throw new ApiError("permission_denied", `The API key '${grant!.name}' may not use the model '${request.params.id}'.`, "model");
    }
    const entry = ctx.registry.list().find((e) => e.id === request.params.id);
    if (!entry) throw new ApiError("model_not_found", `The model '${request.params.id}' does not exist.`, "model");
    return modelObject(entry);
  });

  const health = async (_request: unknown, reply: FastifyReply) => {
    const entries = ctx.registry.list();
    const status = healthStatus(entries);
    reply.code(status === "unavailable" ? 503 : 200);
    return {
      status,
      model: entries[0]?.id ?? null,
      models: entries.map((e) => ({ id: e.id, status: e.state, ...(e.error && { error: e.error.message }) })),
      version: ctx.version,
      timestamp: new Date().toISOString(),
      memory_usage_gb: Math.round((process.memoryUsage.rss() / 1024 ** 3) * 1000) / 1000,
      active_requests: ctx.inFlight.size,
    };
  };
  app.get("/v1/health", health);
  app.get("/health", health);

  app.get("/v1/metrics", async (_request, reply) => {
    reply.header("content-type", ctx.metrics.contentType);
    return ctx.metrics.render();
  });
}
