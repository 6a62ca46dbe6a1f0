/**
 * A scripted stand-in for the library's `Model`, for server and CLI tests without a real model.
 * Each call to chat()/stream() takes the next script (or the default one), records the messages and options
 * it got, and honours `options.signal` like the real engine: an abort ends the call with ERR_ABORTED.
 */
import { GptOssError } from "../../src/errors.js";
import type {
  ChatMessage,
  ChatResult,
  EngineStats,
  GenerationOptions,
  Model,
  ModelInfo,
  RunToolsOptions,
  RunToolsResult,
  StreamEvent,
} from "../../src/chat/types.js";

export interface FakeScript {
  content?: string;
  reasoning?: string;
  toolCalls?: ChatResult["toolCalls"];
  finishReason?: ChatResult["finishReason"];
  /** Thrown from chat() / the first next() of stream(). */
  error?: Error;
  /** Wait this long before each streamed event (and before chat() resolves). */
  delayMs?: number;
  /** Never finish: stream every delta, then wait for the caller to abort instead of ending. */
  hang?: boolean;
}

export interface FakeCall {
  kind: "chat" | "stream";
  messages: ChatMessage[];
  options: GenerationOptions;
  /** Set when the call saw its signal abort. */
  aborted: boolean;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

const abortError = () => new GptOssError("ERR_ABORTED", "The generation was aborted.");

export function fakeModelInfo(overrides: Partial<ModelInfo> = {}): ModelInfo {
  return {
    path: "/models/fake.gguf",
    architecture: "gpt-oss",
    contextSize: 4096,
    trainContextSize: 131072,
    parameterCount: 20_914_757_184,
    activeParameterCount: 3_610_000_000,
    sizeBytes: 12_000_000_000,
    layerCount: 24,
    expertCount: 32,
    expertUsedCount: 4,
    vocabSize: 201088,
    backend: "cpu",
    devices: ["CPU"],
    placement: { gpuLayers: 0, cpuMoeLayers: 0, reason: "CPU only" },
    memory: [],
    parallel: 2,
    ...overrides,
  };
}

export class FakeModel implements Model {
  readonly info: ModelInfo;
  readonly calls: FakeCall[] = [];
  disposed = false;
  private readonly scripts: FakeScript[] = [];
  private active = 0;

  constructor(
    private readonly defaultScript: FakeScript = { content: "Hello from the fake model.", reasoning: "The user greets me." },
    info: Partial<ModelInfo> = {},
  ) {
    this.info = fakeModelInfo(info);
  }

  /** Queue scripts for the next calls (FIFO); when empty, the default script is used. */
  script(...scripts: FakeScript[]): this {
    this.scripts.push(...scripts);
    return this;
  }

  get lastCall(): FakeCall | undefined {
    return this.calls.at(-1);
  }

  get activeCount(): number {
    return this.active;
  }

  private next(kind: FakeCall["kind"], messages: ChatMessage[], options: GenerationOptions = {}): { script: FakeScript; call: FakeCall } {
    const call: FakeCall = { kind, messages, options, aborted: false };
    this.calls.push(call);
    options.signal?.addEventListener("abort", () => (call.aborted = true), { once: true });
    return { script: this.scripts.shift() ?? this.defaultScript, call };
  }

  private resultOf(script: FakeScript): ChatResult {
    const content = script.content ?? "";
    const reasoning = script.reasoning ?? "";
    const toolCalls = script.toolCalls ?? [];
    const reasoningTokens = this.tokenize(reasoning).length;
    const completionTokens = this.tokenize(content).length + reasoningTokens + toolCalls.length;
    return {
      content,
      reasoning,
      toolCalls,
      finishReason: script.finishReason ?? (toolCalls.length ? "tool_calls" : "stop"),
      usage: { promptTokens: 11, completionTokens, reasoningTokens, cachedPromptTokens: 0, totalTokens: 11 + completionTokens },
      ...(content.trim().startsWith("{") && { parsed: safeParse(content) }),
    };
  }

  /** The events a real stream would give for this script. */
  eventsOf(script: FakeScript): StreamEvent[] {
    const result = this.resultOf(script);
    const events: StreamEvent[] = [];
    for (const word of splitKeep(result.reasoning)) events.push({ type: "reasoning", delta: word });
    for (const word of splitKeep(result.content)) events.push({ type: "content", delta: word });
    result.toolCalls.forEach((call, index) => {
      events.push({ type: "tool_call_start", index, id: call.id, name: call.name });
      const mid = Math.ceil(call.arguments.length / 2);
      for (const part of [call.arguments.slice(0, mid), call.arguments.slice(mid)]) if (part) events.push({ type: "tool_call_delta", index, delta: part });
    });
    events.push({ type: "done", result });
    return events;
  }

  async chat(messages: ChatMessage[], options?: GenerationOptions): Promise<ChatResult> {
    const { script } = this.next("chat", messages, options);
    this.active++;
    try {
      if (script.error) throw script.error;
      if (script.hang) await sleep(3_600_000, options?.signal);
      if (script.delayMs) await sleep(script.delayMs, options?.signal);
      return this.resultOf(script);
    } finally {
      this.active--;
    }
  }

  stream(messages: ChatMessage[], options?: GenerationOptions): AsyncIterable<StreamEvent> {
    const { script } = this.next("stream", messages, options);
    const events = this.eventsOf(script);
    const signal = options?.signal;
    const model = this;
    return {
      async *[Symbol.asyncIterator]() {
        model.active++;
        try {
          if (script.error) throw script.error;
          for (const event of events) {
            if (signal?.aborted) throw abortError();
            if (script.hang && event.type === "done") await sleep(3_600_000, signal);
            if (script.delayMs) await sleep(script.delayMs, signal);
            yield event;
          }
        } finally {
          model.active--;
        }
      },
    };
  }

  async runTools(messages: ChatMessage[], options: RunToolsOptions): Promise<RunToolsResult> {
    const result = await this.chat(messages, { ...options, tools: undefined });
    return { ...result, messages: [...messages, { role: "assistant", content: result.content }], rounds: 1 };
  }

  /** One token per whitespace-separated word (enough for usage numbers). */
  tokenize(text: string): number[] {
    return text.split(/\s+/).filter(Boolean).map((_, i) => i);
  }

  detokenize(tokens: readonly number[]): string {
    return tokens.join(" ");
  }

  stats(): EngineStats {
    return {
      activeRequests: this.active,
      queuedRequests: 0,
      slots: this.info.parallel,
      kvCellsUsed: this.active * 100,
      contextSize: this.info.contextSize,
      promptTokensTotal: 0,
      completionTokensTotal: 0,
      preemptionsTotal: 0,
      draftedTokensTotal: 0,
      acceptedDraftTokensTotal: 0,
      queueFull: false,
      cachedPromptTokensTotal: 0,
    };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

function splitKeep(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
