/** What the routing policy sees of an HTTP request (model-router.ts), built the same way for both generation routes. */
import type { IncomingHttpHeaders } from "node:http";
import type { ChatMessage, GenerationOptions, ReasoningEffort } from "../chat/types.js";
import type { ServerErrorCode } from "./errors.js";
import { estimatePromptTokens, ROUTE_HINT_HEADER, type RouteRequest } from "./model-router.js";
import { effectiveReasoningEffort } from "./reasoning.js";

export function routeRequestOf(
  headers: IncomingHttpHeaders,
  messages: readonly ChatMessage[],
  options: GenerationOptions,
  fallback: ReasoningEffort | undefined,
  hints: Partial<Record<ServerErrorCode, string>>,
): RouteRequest {
  const reasoningEffort = effectiveReasoningEffort(options.reasoningEffort, messages, fallback, hints);
  const hint = headers[ROUTE_HINT_HEADER];
  return {
    messages,
    estimatedPromptTokens: estimatePromptTokens(messages) + (options.instructions ? Math.ceil(options.instructions.length / 4) : 0),
    toolCount: options.tools?.length ?? 0,
    reasoningEffort,
    ...(typeof hint === "string" && { hint }),
  };
}
