/**
 * POST /v1/responses (JSON and SSE) with `previous_response_id` conversations; GET and DELETE
 * /v1/responses/{id} and GET /v1/responses/{id}/input_items for responses stored (`store`, default true).
 * The store may be remote (Redis): a response is stored before its completion is sent, so a client that saw it
 * complete can continue it on any replica; a store that fails turns the answer into a 503.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ChatMessage, ChatResult, Usage } from "../../chat/types.js";
import type { ServerContext } from "../context.js";
import { ApiError, toApiError } from "../errors.js";
import { generate, streamGeneration } from "../generation.js";
import { ResponseBuilder, type ResponseEvent, type ResponseHeader } from "./output.js";
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

/** The raw `previous_response_id` when it is a string (validated later with the rest of the body). */
function previousResponseIdOf(body: unknown): string | undefined {
  const id = typeof body === "object" && body !== null ? (body as { previous_response_id?: unknown }).previous_response_id : undefined;
  return typeof id === "string" ? id : undefined;
}

export function registerResponses(app: FastifyInstance, ctx: ServerContext): void {
  app.post("/v1/responses", async (request, reply) => {
    const startedAt = performance.now();
    // Looked up before validation (the store may be remote); "not found" is raised where validation needs it.
    const previousId = previousResponseIdOf(request.body);
    const previousTurn = previousId === undefined ? undefined : ownedBy(request, await ctx.responseStore.get(previousId));
    const previous = (id: string): StoredConversation => {
      if (!previousTurn || id !== previousId) throw new ApiError("previous_response_not_found", `Previous response with id '${id}' not found (unknown or expired).`, "previous_response_id");
      return previousTurn;
    };
    const parsed = parseResponsesRequest(request.body, (id) => toolNamesOf(previous(id).messages), ctx.limits);
    const hints = { ...PARAM_HINTS, invalid_reasoning_effort: parsed.reasoningParam };
    const history = parsed.previousResponseId ? previous(parsed.previousResponseId).messages : [];
    const messages = [...history, ...parsed.input];
    const entry = ctx.router.resolve(
      parsed.model,
      () => routeRequestOf(request.headers, messages, parsed.options, ctx.defaults.reasoningEffort, hints),
      request.apiKeyGrant,
    );
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
    const onUsage = (usage: Usage) => ctx.chargeUsage(request, usage);
    const generation = { entry, metrics: ctx.metrics, messages, options: parsed.options, defaults: ctx.defaults, signal, startedAt, onUsage };
    /** Stores the finished turn for `previous_response_id` (when the request lets it). */
    const remember = async (builder: ResponseBuilder, result: ChatResult) => {
      if (!parsed.store) return;
      await ctx.responseStore.set(builder.id, {
        ...(request.apiKeyGrant && { owner: request.apiKeyGrant.name }),
        messages: [...messages, assistantTurnOf(result)],
        response: builder.snapshot(),
        inputItems: inputItemsOf((request.body as { input?: unknown }).input),
      });
    };

    if (!parsed.stream) {
      const builder = new ResponseBuilder(header);
      try {
        for await (const event of generate(generation)) {
          builder.push(event);
          if (event.type === "done") await remember(builder, event.result);
        }
      } catch (error) {
        throw toApiError(error, hints);
      }
      return builder.snapshot();
    }

    return streamGeneration(reply, generation, hints, (sse) => {
      // The events of the last push (closing items, response.completed) wait until the response is stored.
      let held: ResponseEvent[] | undefined;
      const builder = new ResponseBuilder(header, (event) => (held ? held.push(event) : sse.send(event, event.type)));
      builder.start();
      return {
        event: async (event) => {
          if (event.type !== "done") return builder.push(event);
          const final: ResponseEvent[] = (held = []);
          builder.push(event);
          held = undefined;
          await remember(builder, event.result);
          for (const finalEvent of final) sse.send(finalEvent, finalEvent.type);
        },
        error: (apiError) => builder.fail(apiError.toBody().error),
      };
    });
  });

  const notStored = (id: string) =>
    new ApiError("response_not_found", `No response with id '${id}' is stored (unknown, expired, deleted, or created with store: false).`, "response_id");
  const stored = async (request: FastifyRequest, id: string): Promise<StoredConversation> => {
    const found = ownedBy(request, await ctx.responseStore.get(id));
    if (!found) throw notStored(id);
    return found;
  };
  app.get<{ Params: { id: string } }>("/v1/responses/:id", async (request) => (await stored(request, request.params.id)).response);
  app.delete<{ Params: { id: string } }>("/v1/responses/:id", async (request) => {
    await stored(request, request.params.id);
    if (!(await ctx.responseStore.delete(request.params.id))) throw notStored(request.params.id);
    return { id: request.params.id, object: "response", deleted: true };
  });
  app.get<{ Params: { id: string }; Querystring: { limit?: string; after?: string; order?: string } }>("/v1/responses/:id/input_items", async (request) =>
    pageOf((await stored(request, request.params.id)).inputItems, request.query),
  );
}

/**
 * A stored response as this request may see it: another key's response is not there for it (a 404, as an unknown
 * id: ids are not secrets to rely on, and its existence is not told).
 */
function ownedBy(request: FastifyRequest, found: StoredConversation | undefined): StoredConversation | undefined {
  return found !== undefined && found.owner === request.apiKeyGrant?.name ? found : undefined;
}
