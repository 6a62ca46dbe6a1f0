/** What the routing policy sees of an HTTP request (model-router.ts), built the same way for both generation routes. */
import type { IncomingHttpHeaders } from "node:http";
import type { ChatMessage, GenerationOptions, ReasoningEffort } from "../chat/types.js";
import { resolveReasoningEffort } from "../harmony/reasoning.js";
import { toApiError, type ServerErrorCode } from "./errors.js";
import { estimatePromptTokens, ROUTE_HINT_HEADER, type RouteRequest } from "./model-router.js";

export function routeRequestOf(
  headers: IncomingHttpHeaders,
  messages: readonly ChatMessage[],
  options: GenerationOptions,
  fallback: ReasoningEffort | undefined,
  hints: Partial<Record<ServerErrorCode, string>>,
): RouteRequest {
  let reasoningEffort: ReasoningEffort;
  try {
    reasoningEffort = resolveReasoningEffort(options.reasoningEffort, messages, fallback);
  } catch (error) {
    throw toApiError(error, hints);
  }
  const hint = headers[ROUTE_HINT_HEADER];
  return {
    messages,
    estimatedPromptTokens: estimatePromptTokens(messages) + (options.instructions ? Math.ceil(options.instructions.length / 4) : 0),
    toolCount: options.tools?.length ?? 0,
    reasoningEffort,
    ...(typeof hint === "string" && { hint }),
  };
}
