/** POST /v1/chat/completions (JSON and SSE). */
import type { FastifyInstance } from "fastify";
import type { Usage } from "../../chat/types.js";
import type { ServerContext } from "../context.js";
import { toApiError } from "../errors.js";
import { generateResult, streamGeneration } from "../generation.js";
import { routeRequestOf } from "../route-request.js";
import { parseChatCompletionRequest } from "./request.js";
import { ChatChunkBuilder, newCompletionId, toChatCompletion, type CompletionMeta } from "./response.js";

/** Which request field a library validation error most likely concerns. */
const PARAM_HINTS = { invalid_schema: "response_format", invalid_grammar: "grammar", context_length_exceeded: "messages" } as const;

export function registerChatCompletions(app: FastifyInstance, ctx: ServerContext): void {
  app.post("/v1/chat/completions", async (request, reply) => {
    const startedAt = performance.now();
    const parsed = parseChatCompletionRequest(request.body, ctx.limits);
    const hints = { ...PARAM_HINTS, invalid_reasoning_effort: parsed.reasoningParam };
    const signal = ctx.inFlight.track(reply);
    const entry = ctx.router.resolve(
      parsed.model,
      () => routeRequestOf(request.headers, parsed.messages, parsed.options, ctx.defaults.reasoningEffort, hints),
      request.apiKeyGrant,
    );
    const meta: CompletionMeta = {
      id: newCompletionId(),
      model: entry.id,
      created: Math.floor(Date.now() / 1000),
      excludeReasoning: parsed.excludeReasoning,
      reasoningFields: ctx.reasoningFields,
    };
    const onUsage = (usage: Usage) => ctx.chargeUsage(request, usage);
    const generation = { entry, metrics: ctx.metrics, messages: parsed.messages, options: parsed.options, defaults: ctx.defaults, signal, startedAt, onUsage };

    if (!parsed.stream) {
      const result = await generateResult(generation).catch((error: unknown) => {
        throw toApiError(error, hints);
      });
      return toChatCompletion(result, meta);
    }

    return streamGeneration(reply, generation, hints, (sse) => {
      const chunks = new ChatChunkBuilder(meta);
      sse.send(chunks.roleChunk());
      return {
        event(event) {
          const chunk = chunks.eventChunk(event);
          if (chunk) sse.send(chunk);
          if (event.type !== "done") return;
          sse.send(chunks.finishChunk(event.result));
          if (parsed.includeUsage) sse.send(chunks.usageChunk(event.result));
          sse.sendRaw("[DONE]");
        },
        // Headers are gone: report in-band (OpenAI's convention).
        error: (apiError) => sse.send(apiError.toBody()),
      };
    });
  });
}
