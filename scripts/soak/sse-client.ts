/**
 * One streaming chat completion for the soak test: reads the SSE stream (slowly when asked), checks that it is well
 * formed — every `data:` line JSON, `[DONE]` last — and can hang up at a chosen point (after N events or N ms:
 * before the first token, mid-reasoning, mid-tool-call).
 */

/** When the client hangs up: after this many SSE events, or after this many milliseconds (whichever comes first). */
export interface Disconnect {
  afterEvents: number;
  afterMs: number;
}

export interface StreamRequest {
  url: string;
  body: Record<string, unknown>;
  disconnect?: Disconnect;
  /** Pause this long between reads (a slow reader: the server's writes back up). */
  readPauseMs?: number;
  /** A request still running after this long counts as malformed (hung), and is cancelled (default 120000 ms). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;

export interface StreamOutcome {
  /** HTTP status, or 0 when the connection failed before one arrived. */
  status: number;
  /** The client hung up on purpose before the end. */
  disconnected: boolean;
  /** Why the stream (or error body) is not well formed; undefined when it is. */
  malformed?: string;
  events: number;
  /** prompt + completion tokens of the usage chunk, when the stream carried one. */
  tokens?: number;
}

/** Sends `request` and reads its answer to the end, or until the planned disconnect. */
export async function runStream(request: StreamRequest): Promise<StreamOutcome> {
  const controller = new AbortController();
  const timer = request.disconnect ? setTimeout(() => controller.abort(), request.disconnect.afterMs) : undefined;
  let hung = false;
  const watchdog = setTimeout(() => {
    hung = true;
    controller.abort();
  }, request.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    const outcome = await send(request, controller);
    return hung ? { ...outcome, disconnected: false, malformed: `no end after ${request.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` } : outcome;
  } finally {
    clearTimeout(timer);
    clearTimeout(watchdog);
  }
}

async function send(request: StreamRequest, controller: AbortController): Promise<StreamOutcome> {
  let response: Response;
  try {
    response = await fetch(request.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request.body), signal: controller.signal });
  } catch (error) {
    if (controller.signal.aborted) return { status: 0, disconnected: true, events: 0 };
    return { status: 0, disconnected: false, malformed: `connection failed: ${(error as Error).message}`, events: 0 };
  }
  if (response.status !== 200) return { status: response.status, disconnected: false, events: 0, malformed: await errorBodyProblem(response) };
  return await readEvents(response, controller, request);
}

/** A non-200 answer must carry OpenAI's error shape. */
async function errorBodyProblem(response: Response): Promise<string | undefined> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } };
    return typeof body.error?.message === "string" && typeof body.error.code === "string" ? undefined : `HTTP ${response.status} without an error object: ${text.slice(0, 120)}`;
  } catch {
    return `HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 120)}`;
  }
}

async function readEvents(response: Response, controller: AbortController, request: StreamRequest): Promise<StreamOutcome> {
  const outcome: StreamOutcome = { status: 200, disconnected: false, events: 0 };
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let done = false;
  try {
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (done) return { ...outcome, malformed: `data after [DONE]: ${event.slice(0, 80)}` };
        const problem = checkEvent(event, outcome);
        if (problem) return { ...outcome, malformed: problem };
        if (event === "data: [DONE]") done = true;
        outcome.events++;
        if (request.disconnect && outcome.events >= request.disconnect.afterEvents) {
          controller.abort();
          return { ...outcome, disconnected: true };
        }
      }
      if (request.readPauseMs) await new Promise((r) => setTimeout(r, request.readPauseMs));
    }
  } catch (error) {
    if (controller.signal.aborted) return { ...outcome, disconnected: true };
    return { ...outcome, malformed: `stream broke: ${(error as Error).message}` };
  }
  if (buffer.trim() !== "") return { ...outcome, malformed: `unterminated event: ${buffer.slice(0, 80)}` };
  return done ? outcome : { ...outcome, malformed: "ended without [DONE]" };
}

/** Checks one SSE event (comments and `data:` lines); notes the usage chunk's token count. */
function checkEvent(event: string, outcome: StreamOutcome): string | undefined {
  for (const line of event.split("\n")) {
    if (line.startsWith(":") || line.startsWith("event: ") || line.startsWith("id: ")) continue;
    if (!line.startsWith("data: ")) return `not an SSE line: ${line.slice(0, 80)}`;
    const data = line.slice("data: ".length);
    if (data === "[DONE]") continue;
    try {
      const chunk = JSON.parse(data) as { usage?: { prompt_tokens?: number; completion_tokens?: number } | null };
      if (chunk.usage) outcome.tokens = (chunk.usage.prompt_tokens ?? 0) + (chunk.usage.completion_tokens ?? 0);
    } catch {
      return `data line is not JSON: ${data.slice(0, 80)}`;
    }
  }
  return undefined;
}
