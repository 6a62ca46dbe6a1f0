/**
 * One generation on behalf of an HTTP request: stream from the library with the request's AbortSignal (the
 * library queues it until a slot and KV cells are free, or refuses it with ERR_BUSY → 503), and record TTFT /
 * token metrics. Both API adapters (chat completions, responses) run through here, streaming or not, so they
 * share cancellation and metrics.
 */
import type { FastifyReply } from "fastify";
import type { ChatMessage, ChatResult, GenerationDefaults, GenerationOptions, StreamEvent, Usage } from "../chat/types.js";
import { GptOssError } from "../errors.js";
import { ApiError, type ServerErrorCode, toApiError } from "./errors.js";
import type { ServerMetrics } from "./metrics.js";
import type { ReadyModel } from "./model-registry.js";
import { openSse, type SseStream } from "./sse.js";

/** One generation the server runs for an HTTP request. */
export interface ServedGeneration {
  /** The model, as the route resolved it (404/503 already answered). */
  entry: ReadyModel;
  metrics: ServerMetrics;
  messages: ChatMessage[];
  options: GenerationOptions;
  /** The server's defaults (the library applies them to what `options` leaves out). */
  defaults: GenerationDefaults;
  signal: AbortSignal;
  /** performance.now() when the request arrived (TTFT is measured from here). */
  startedAt: number;
  /** Gets the usage of the finished generation (token quotas). */
  onUsage?: (usage: Usage) => void;
}

/** Yields the library's events; breaking out early cancels the generation. */
export async function* generate(request: ServedGeneration): AsyncGenerator<StreamEvent, void, undefined> {
  const { entry } = request;
  const ownAbort = new AbortController();
  const onAbort = () => ownAbort.abort(request.signal.reason);
  request.signal.addEventListener("abort", onAbort, { once: true });
  const generationStartedAt = performance.now();
  let firstTokenAt: number | undefined;
  let finished = false;
  try {
    for await (const event of entry.model.stream(request.messages, { ...request.options, defaults: request.defaults, signal: ownAbort.signal })) {
      if (firstTokenAt === undefined && event.type !== "done") {
        firstTokenAt = performance.now();
        request.metrics.observeFirstToken(entry.id, (firstTokenAt - request.startedAt) / 1000);
      }
      if (event.type === "done") {
        request.metrics.observeGeneration(entry.id, event.result.usage, (performance.now() - generationStartedAt) / 1000);
        request.onUsage?.(event.result.usage);
        finished = true;
      }
      yield event;
    }
  } catch (error) {
    throw serverCancellation(request.signal) ?? error;
  } finally {
    // Leaving early (client gone, consumer error) must stop the engine, not just our loop.
    if (!finished) ownAbort.abort(new GptOssError("ERR_ABORTED", "The request ended before the generation finished."));
    request.signal.removeEventListener("abort", onAbort);
  }
}

/** The answer for a request the server itself cancelled (shutdown), or undefined (not cancelled, or the client left). */
function serverCancellation(signal: AbortSignal): ApiError | undefined {
  return signal.aborted && signal.reason instanceof ApiError ? signal.reason : undefined;
}

/** Runs a generation to its end and returns the result (non-streaming responses). */
export async function generateResult(request: ServedGeneration): Promise<ChatResult> {
  for await (const event of generate(request)) {
    if (event.type === "done") return event.result;
  }
  throw new GptOssError("ERR_ABORTED", "The generation ended without a result.");
}

/** What a streaming route does with the SSE stream once it is open. */
export interface StreamHandlers {
  /** Handles one event; a returned promise is awaited before the next (a failure ends the stream with an error). */
  event(event: StreamEvent): void | Promise<void>;
  /** A failure after the headers went out, to report in-band (not called when the client left). */
  error(error: ApiError): void;
}

/**
 * Streams a generation as server-sent events. The first event is pulled before any header is sent, so early
 * errors (context overflow, a bad grammar) stay plain 4xx answers; then `open` gets the stream and returns what
 * to do with each event. The generation is released however the stream ends.
 */
export async function streamGeneration(
  reply: FastifyReply,
  request: ServedGeneration,
  paramHints: Partial<Record<ServerErrorCode, string>>,
  open: (sse: SseStream) => StreamHandlers,
): Promise<FastifyReply> {
  const events = generate(request);
  let next = await events.next().catch((error: unknown) => {
    throw toApiError(error, paramHints);
  });
  if (next.done) throw toApiError(new GptOssError("ERR_ABORTED", "The generation ended without a result."));
  const sse = openSse(reply);
  let handlers: StreamHandlers | undefined;
  try {
    handlers = open(sse);
    for (; !next.done; next = await events.next()) await handlers.event(next.value);
  } catch (error) {
    // Reported in-band unless the client is gone (a server-side cancellation still has a listener).
    if (!request.signal.aborted || serverCancellation(request.signal)) {
      const apiError = toApiError(error, paramHints);
      if (apiError.status >= 500) reply.log.error({ err: error }, "generation failed mid-stream");
      handlers?.error(apiError);
    }
  } finally {
    await events.return(undefined);
    sse.end();
  }
  return reply;
}
