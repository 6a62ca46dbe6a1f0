/**
 * POST /v1/responses (JSON and SSE) with `previous_response_id` conversations; GET and DELETE
 * /v1/responses/{id} and GET /v1/responses/{id}/input_items for responses stored (`store`, default true).
 */
import type { FastifyInstance } from "fastify";
import type { ChatMessage, ChatResult, StreamEvent } from "../../chat/types.js";
import type { ServerContext } from "../context.js";
import { ApiError, toApiError } from "../errors.js";
import { generate, streamGeneration } from "../generation.js";
import { ResponseBuilder, type ResponseHeader } from "./output.js";
import { routeRequestOf } from "../route-request.js";
import { effectiveReasoningEffort } from "../reasoning.js";
import { inputItemsOf, pageOf } from "./input-items.js";
import { parseResponsesRequest } from "./request.js";
import type { StoredConversation } from "./store.js";

const PARAM_HINTS = { invalid_schema: "text.format", invalid_grammar: "grammar", context_length_exceeded: "input" } as const;

function toolNamesOf(messages: readonly ChatMessage[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of messages) if (m.role === "assistant") for (const call of m.toolCalls ?? []) names.set(call.id, call.name);
  return names;
}

function assistantTurnOf(result: ChatResult): ChatMessage {
  return {
    role: "assistant",
    content: result.content === "" && result.toolCalls.length ? null : result.content,
    ...(result.reasoning && { reasoning: result.reasoning }),
    ...(result.toolCalls.length && { toolCalls: result.toolCalls }),
  };
}

export function registerResponses(app: FastifyInstance, ctx: ServerContext): void {
  app.post("/v1/responses", async (request, reply) => {
    const startedAt = performance.now();
    const previous = (id: string): StoredConversation => {
      const stored = ctx.responseStore.get(id);
      if (!stored) throw new ApiError("previous_response_not_found", `Previous response with id '${id}' not found (unknown or expired).`, "previous_response_id");
      return stored;
    };
    const parsed = parseResponsesRequest(request.body, (id) => toolNamesOf(previous(id).messages));
    const hints = { ...PARAM_HINTS, invalid_reasoning_effort: parsed.reasoningParam };
    const history = parsed.previousResponseId ? previous(parsed.previousResponseId).messages : [];
    const messages = [...history, ...parsed.input];
    const entry = ctx.router.resolve(parsed.model, () => routeRequestOf(request.headers, messages, parsed.options, ctx.defaults.reasoningEffort, hints));
    const signal = ctx.inFlight.track(reply);
    const header: ResponseHeader = {
      model: entry.id,
      instructions: parsed.instructions ?? null,
      previousResponseId: parsed.previousResponseId ?? null,
      reasoningEffort: effectiveReasoningEffort(parsed.options.reasoningEffort, messages, ctx.defaults.reasoningEffort, hints),
      temperature: parsed.options.temperature ?? null,
      topP: parsed.options.topP ?? null,
      store: parsed.store,
      echo: parsed.echo,
    };
    const generation = { entry, metrics: ctx.metrics, messages, options: parsed.options, defaults: ctx.defaults, signal, startedAt };
    /** Feeds an event to the response; the finished turn is stored for `previous_response_id`. */
    const record = (builder: ResponseBuilder, event: StreamEvent) => {
      builder.push(event);
      if (event.type === "done" && parsed.store) {
        ctx.responseStore.set(builder.id, {
          messages: [...messages, assistantTurnOf(event.result)],
          response: builder.snapshot(),
          inputItems: inputItemsOf((request.body as { input?: unknown }).input),
        });
      }
    };

    if (!parsed.stream) {
      const builder = new ResponseBuilder(header);
      try {
        for await (const event of generate(generation)) record(builder, event);
      } catch (error) {
        throw toApiError(error, hints);
      }
      return builder.snapshot();
    }

    return streamGeneration(reply, generation, hints, (sse) => {
      const builder = new ResponseBuilder(header, (event) => sse.send(event, event.type));
      builder.start();
      return {
        event: (event) => record(builder, event),
        error: (apiError) => builder.fail(apiError.toBody().error),
      };
    });
  });

  const stored = (id: string): StoredConversation => {
    const found = ctx.responseStore.get(id);
    if (!found) throw new ApiError("response_not_found", `No response with id '${id}' is stored (unknown, expired, deleted, or created with store: false).`, "response_id");
    return found;
  };
  app.get<{ Params: { id: string } }>("/v1/responses/:id", async (request) => stored(request.params.id).response);
  app.delete<{ Params: { id: string } }>("/v1/responses/:id", async (request) => {
    if (!ctx.responseStore.delete(request.params.id)) stored(request.params.id);
    return { id: request.params.id, object: "response", deleted: true };
  });
  app.get<{ Params: { id: string }; Querystring: { limit?: string; after?: string; order?: string } }>("/v1/responses/:id/input_items", async (request) =>
    pageOf(stored(request.params.id).inputItems, request.query),
  );
}
