/** POST /v1/responses (JSON and SSE) with `previous_response_id` conversations. */
import type { FastifyInstance } from "fastify";
import type { ChatMessage, ChatResult } from "../../chat/types.js";
import type { ServerContext } from "../context.js";
import { ApiError, toApiError } from "../errors.js";
import { generate, startStream } from "../generation.js";
import { openSse } from "../sse.js";
import { ResponseBuilder, type ResponseHeader } from "./output.js";
import { parseResponsesRequest } from "./request.js";

/** What `previous_response_id` brings back: the whole conversation so far. */
export interface StoredConversation {
  messages: ChatMessage[];
}

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
    const parsed = parseResponsesRequest(request.body, ctx.defaults, (id) => toolNamesOf(previous(id).messages));
    const history = parsed.previousResponseId ? previous(parsed.previousResponseId).messages : [];
    const messages = [...history, ...parsed.input];
    const entry = ctx.registry.resolve(parsed.model);
    const signal = ctx.inFlight.track(reply);
    const header: ResponseHeader = {
      model: entry.id,
      instructions: parsed.instructions ?? null,
      previousResponseId: parsed.previousResponseId ?? null,
      reasoningEffort: parsed.options.reasoningEffort ?? ctx.defaults.reasoningEffort,
      temperature: parsed.options.temperature ?? null,
      topP: parsed.options.topP ?? null,
      store: parsed.store,
      echo: parsed.echo,
    };
    const generation = { registry: ctx.registry, metrics: ctx.metrics, modelId: entry.id, messages, options: parsed.options, signal, startedAt };
    const remember = (builder: ResponseBuilder, result: ChatResult) => {
      if (parsed.store) ctx.responseStore.set(builder.id, { messages: [...messages, assistantTurnOf(result)] });
    };

    if (!parsed.stream) {
      const builder = new ResponseBuilder(header);
      try {
        for await (const event of generate(generation)) {
          builder.push(event);
          if (event.type === "done") remember(builder, event.result);
        }
      } catch (error) {
        throw toApiError(error, PARAM_HINTS);
      }
      return builder.snapshot();
    }

    const { first, rest } = await startStream(generation).catch((error: unknown) => {
      throw toApiError(error, PARAM_HINTS);
    });
    const sse = openSse(reply);
    const builder = new ResponseBuilder(header, (event) => sse.send(event, event.type));
    builder.start();
    try {
      for (let event = first; ; ) {
        builder.push(event);
        if (event.type === "done") {
          remember(builder, event.result);
          break;
        }
        const next = await rest.next();
        if (next.done) break;
        event = next.value;
      }
    } catch (error) {
      if (!signal.aborted) {
        const apiError = error instanceof ApiError ? error : toApiError(error, PARAM_HINTS);
        if (apiError.status >= 500) request.log.error({ err: error }, "generation failed mid-stream");
        builder.fail(apiError.toBody().error);
      }
    } finally {
      await rest.return(undefined);
      sse.end();
    }
    return reply;
  });
}
