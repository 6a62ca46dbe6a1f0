/** POST /v1/chat/completions (JSON and SSE). */
import type { FastifyInstance } from "fastify";
import { ApiError, toApiError } from "../errors.js";
import { generateResult, startStream } from "../generation.js";
import type { ServerContext } from "../context.js";
import { openSse } from "../sse.js";
import { parseChatCompletionRequest } from "./request.js";
import { ChatChunkBuilder, newCompletionId, toChatCompletion, type CompletionMeta } from "./response.js";

/** Which request field a library validation error most likely concerns. */
const PARAM_HINTS = { invalid_schema: "response_format", invalid_grammar: "grammar", context_length_exceeded: "messages" } as const;

export function registerChatCompletions(app: FastifyInstance, ctx: ServerContext): void {
  app.post("/v1/chat/completions", async (request, reply) => {
    const startedAt = performance.now();
    const parsed = parseChatCompletionRequest(request.body, ctx.defaults);
    const signal = ctx.inFlight.track(reply);
    const entryId = ctx.registry.resolve(parsed.model).id;
    const meta: CompletionMeta = {
      id: newCompletionId(),
      model: entryId,
      created: Math.floor(Date.now() / 1000),
      excludeReasoning: parsed.excludeReasoning,
      reasoningFields: ctx.reasoningFields,
    };
    const generation = { registry: ctx.registry, metrics: ctx.metrics, modelId: entryId, messages: parsed.messages, options: parsed.options, signal, startedAt };

    if (!parsed.stream) {
      const result = await generateResult(generation).catch((error: unknown) => {
        throw toApiError(error, PARAM_HINTS);
      });
      return toChatCompletion(result, meta);
    }

    const { first, rest } = await startStream(generation).catch((error: unknown) => {
      throw toApiError(error, PARAM_HINTS);
    });
    const chunks = new ChatChunkBuilder(meta);
    const sse = openSse(reply);
    sse.send(chunks.roleChunk());
    try {
      for (let event = first; ; ) {
        const chunk = chunks.eventChunk(event);
        if (chunk) sse.send(chunk);
        if (event.type === "done") {
          sse.send(chunks.finishChunk(event.result));
          if (parsed.includeUsage) sse.send(chunks.usageChunk(event.result));
          sse.sendRaw("[DONE]");
          break;
        }
        const next = await rest.next();
        if (next.done) break;
        event = next.value;
      }
    } catch (error) {
      // Headers are gone: report in-band (OpenAI's convention), unless the client left.
      if (!signal.aborted) {
        const apiError = error instanceof ApiError ? error : toApiError(error, PARAM_HINTS);
        if (apiError.status >= 500) request.log.error({ err: error }, "generation failed mid-stream");
        sse.send(apiError.toBody());
      }
    } finally {
      await rest.return(undefined);
      sse.end();
    }
    return reply;
  });
}
