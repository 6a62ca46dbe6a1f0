/**
 * `model: "auto"`: the server picks one of the models it serves for each request, by a pluggable policy
 * (`ServerOptions.routing`). The response names the model that answered, and metrics count each pick
 * (`gpt_oss_routed_requests_total{model, reason}`) besides the per-model counters of the one that generated.
 *
 * The default policy ranks the ready models by parameter count and sends a request to the largest when
 * 1. the `X-Model-Hint` header says `large` (or `small`, or names a served model: that one, whatever else holds),
 * 2. its reasoning effort is `high`,
 * 3. it offers tools,
 * 4. its prompt is long (more than `longPromptTokens`, default 2000, estimated as characters / 4),
 * and to the smallest otherwise. With one model ready, that one answers.
 */
import type { ChatMessage, ReasoningEffort } from "../chat/types.js";
import { ApiError } from "./errors.js";
import { mayUseModel, routesAmongAll, type KeyGrant } from "./key-grants.js";
import type { ModelRegistry, ReadyModel } from "./model-registry.js";

/** The `model` value that asks the server to choose. */
export const AUTO_MODEL_ID = "auto";
/** The request header carrying an explicit routing hint. */
export const ROUTE_HINT_HEADER = "x-model-hint";

/** What a routing policy sees of a request. */
export interface RouteRequest {
  messages: readonly ChatMessage[];
  /** Rough prompt size: characters of every message / 4. */
  estimatedPromptTokens: number;
  /** Tools offered to the model. */
  toolCount: number;
  /** The effort the request will run with (its own, a system line, or the server default). */
  reasoningEffort: ReasoningEffort;
  /** `X-Model-Hint`, when sent. */
  hint?: string;
}

/** A policy's choice: a model id among `models` and why (a short label for metrics and logs). */
export interface RouteChoice {
  id: string;
  reason: string;
}

/** Picks one of the ready models (never called with none). */
export type ModelRoutingPolicy = (request: RouteRequest, models: readonly ReadyModel[]) => RouteChoice;

/** The default policy (see the file comment). */
export function defaultRoutingPolicy({ longPromptTokens = 2000 }: { longPromptTokens?: number } = {}): ModelRoutingPolicy {
  return (request, models) => {
    const bySize = [...models].sort((a, b) => a.model.info.parameterCount - b.model.info.parameterCount);
    const small = bySize[0]!;
    const large = bySize[bySize.length - 1]!;
    const hint = request.hint?.trim();
    if (hint) {
      const named = models.find((m) => m.id === hint);
      if (named) return { id: named.id, reason: "hint" };
      if (hint === "large" || hint === "small") return { id: (hint === "large" ? large : small).id, reason: "hint" };
    }
    if (request.reasoningEffort === "high") return { id: large.id, reason: "reasoning_effort" };
    if (request.toolCount > 0) return { id: large.id, reason: "tools" };
    if (request.estimatedPromptTokens > longPromptTokens || request.estimatedPromptTokens > small.model.info.contextSize / 2) {
      return { id: large.id, reason: "prompt_length" };
    }
    return { id: small.id, reason: "default" };
  };
}

/** Characters of a conversation / 4: a tokenizer-free size estimate good enough to route by. */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const message of messages) chars += JSON.stringify(message.content ?? "").length;
  return Math.ceil(chars / 4);
}

export class ModelRouter {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly policy: ModelRoutingPolicy,
    private readonly onRoute: (choice: RouteChoice) => void,
  ) {}

  /**
   * The model for a request's `model` field: "auto" (unless a served model has that id) goes through the policy,
   * anything else is looked up. With a key `grant` limited to some models: a model it may not use is a 403, an
   * omitted `model` is the first served model it may use, and "auto" picks among the served models it may use (all
   * of them when it names none).
   */
  resolve(requested: string | undefined, request: () => RouteRequest, grant: KeyGrant | null = null): ReadyModel {
    const entries = this.registry.list();
    const served = entries.map((e) => e.id);
    const wanted = requested ?? (grant?.models && (served.find((id) => mayUseModel(grant, id)) ?? AUTO_MODEL_ID));
    if (wanted !== undefined && !mayUseModel(grant, wanted)) {
      const allowed = [...grant!.models!].map((id) => `'${id}'`).join(", ") || "none";
      throw new ApiError("permission_denied", `The API key '${grant!.name}' may not use ${requested === undefined ? "any model this server serves" : `the model '${wanted}'`}; it may use: ${allowed}.`, "model");
    }
    if (wanted !== AUTO_MODEL_ID || served.includes(AUTO_MODEL_ID)) return this.registry.resolve(wanted);
    const among = routesAmongAll(grant, served) ? entries : entries.filter((e) => mayUseModel(grant, e.id));
    const ready = among.filter((e): e is ReadyModel => e.state === "ready" && e.model !== undefined);
    if (ready.length === 0) return this.registry.resolve(among[0]?.id); // answers loading / unavailable
    const choice = this.policy(request(), ready);
    const entry = this.registry.resolve(choice.id);
    this.onRoute(choice);
    return entry;
  }
}
