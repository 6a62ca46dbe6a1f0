/**
 * The library's `Model`: chat / stream / runTools over the engine, plus tokenizer access, stats and disposal.
 */
import { GptOssError } from "../errors.js";
import { validateJson } from "../grammar/json-schema-validate.js";
import type { GenerationOutcome } from "../engine/request.js";
import type { Engine } from "../engine/engine.js";
import { TurnPolicy } from "./turn/turn-policy.js";
import type { Tokenizer } from "../tokenizer/index.js";
import { FIRST_SPECIAL_ID, HarmonyToken } from "../tokenizer/special-tokens.js";
import { resolveTurn, type TurnRequest } from "./turn/resolve-turn.js";
import { runToolLoop } from "./tool-loop.js";
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
} from "./types.js";

/** What a ChatModel is built from (the real path: `loadModel`; tests: a scripted context). */
export interface ChatModelParts {
  engine: Engine;
  tokenizer: Tokenizer;
  info: ModelInfo;
  /** Frees the native context and model (after the engine has stopped). */
  disposeNative?: () => void | Promise<void>;
}

/** Harmony's structural tokens: the only specials the model may sample. */
const STRUCTURAL_TOKENS = new Set<number>([
  HarmonyToken.return,
  HarmonyToken.constrain,
  HarmonyToken.channel,
  HarmonyToken.start,
  HarmonyToken.end,
  HarmonyToken.message,
  HarmonyToken.call,
]);

/** Every special token of the vocabulary except harmony's structural ones. */
function nonStructuralSpecials(tokenizer: Tokenizer): number[] {
  const banned: number[] = [];
  for (let id = FIRST_SPECIAL_ID; id < tokenizer.vocabSize; id++) {
    if (tokenizer.isSpecial(id) && !STRUCTURAL_TOKENS.has(id)) banned.push(id);
  }
  return banned;
}

function abortedError(signal: AbortSignal): GptOssError {
  return new GptOssError("ERR_ABORTED", "The generation was aborted.", { cause: signal.reason });
}

/** Parses and validates structured output; undefined when the text is not valid under the format. */
function parseJsonOutput(text: string, json: NonNullable<TurnRequest["json"]>): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (json.schema !== undefined) return validateJson(value, json.schema).length === 0 ? value : undefined;
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
}

export class ChatModel implements Model {
  readonly info: ModelInfo;
  private readonly engine: Engine;
  private readonly tokenizer: Tokenizer;
  private readonly bannedTokens: readonly number[];
  private disposing: Promise<void> | undefined;

  constructor(private readonly parts: ChatModelParts) {
    this.engine = parts.engine;
    this.tokenizer = parts.tokenizer;
    this.info = parts.info;
    this.bannedTokens = nonStructuralSpecials(parts.tokenizer);
  }

  async chat(messages: ChatMessage[], options?: GenerationOptions): Promise<ChatResult> {
    for await (const event of this.stream(messages, options)) {
      if (event.type === "done") return event.result;
    }
    throw new Error("unreachable: a stream always ends with done");
  }

  async *stream(messages: ChatMessage[], options?: GenerationOptions): AsyncGenerator<StreamEvent, void, undefined> {
    this.assertOpen();
    const turn = resolveTurn(messages, options, { tokenizer: this.tokenizer, bannedTokens: this.bannedTokens });
    // The answer's grammar (possibly hand-written GBNF) is first used after the analysis: a bad one fails now.
    if (turn.rules.finalGrammar !== undefined) this.engine.checkGrammar(turn.rules.finalGrammar, turn.sampling);
    if (turn.signal?.aborted) throw abortedError(turn.signal);
    // Our own controller also ends the request when the consumer stops iterating early.
    const local = new AbortController();
    const signal = turn.signal ? AbortSignal.any([turn.signal, local.signal]) : local.signal;
    const queue: StreamEvent[] = [];
    let notify: (() => void) | undefined;
    const policy = new TurnPolicy(turn.rules, this.tokenizer, (event) => {
      queue.push(event);
      notify?.();
    });
    let outcome: GenerationOutcome | undefined;
    let failure: { error: unknown } | undefined;
    const generation = this.engine
      .generate({
        prompt: turn.prompt,
        ...(turn.maxTokens !== undefined && { maxTokens: turn.maxTokens }),
        defaultMaxTokens: turn.defaultMaxTokens,
        sampling: turn.sampling,
        policy,
        signal,
      })
      .then(
        (result) => (outcome = result),
        (error: unknown) => (failure = { error }),
      )
      .finally(() => notify?.());
    try {
      while (true) {
        while (queue.length > 0) yield queue.shift()!;
        if (outcome || failure) break;
        await new Promise<void>((resolve) => (notify = resolve));
        notify = undefined;
      }
      await generation;
      while (queue.length > 0) yield queue.shift()!;
      if (failure) throw failure.error;
      if (outcome!.finishReason === "cancelled" && turn.signal?.aborted) throw abortedError(turn.signal);
      yield { type: "done", result: this.result(policy, outcome!, turn) };
    } finally {
      local.abort();
    }
  }

  runTools(messages: ChatMessage[], options: RunToolsOptions): Promise<RunToolsResult> {
    this.assertOpen();
    return runToolLoop(this, messages, options);
  }

  tokenize(text: string): number[] {
    if (typeof text !== "string") throw new GptOssError("ERR_INVALID_ARGUMENT", `Expected string for text but received ${typeof text}`);
    return this.tokenizer.encode(text);
  }

  detokenize(tokens: readonly number[]): string {
    return this.tokenizer.decode(tokens);
  }

  stats(): EngineStats {
    return this.engine.stats();
  }

  /** Cancels running requests (they end with finish reason `cancelled`), then frees native memory. Idempotent. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      await this.engine.dispose();
      await this.parts.disposeNative?.();
    })();
    return this.disposing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  private assertOpen(): void {
    if (this.disposing) throw new GptOssError("ERR_DISPOSED", `The model ${this.info.path} was disposed.`);
  }

  private result(policy: TurnPolicy, outcome: GenerationOutcome, turn: TurnRequest): ChatResult {
    const completion = policy.completion;
    const result: ChatResult = {
      content: completion.finalText,
      reasoning: completion.reasoning,
      toolCalls: policy.toolCalls(),
      finishReason: completion.finishReason ?? outcome.finishReason,
      usage: {
        promptTokens: outcome.promptTokens,
        completionTokens: outcome.completionTokens,
        reasoningTokens: completion.reasoningTokens,
        cachedPromptTokens: outcome.cachedPromptTokens,
        totalTokens: outcome.promptTokens + outcome.completionTokens,
      },
    };
    if (turn.json) {
      const parsed = parseJsonOutput(result.content, turn.json);
      if (parsed !== undefined) result.parsed = parsed;
    }
    return result;
  }
}
