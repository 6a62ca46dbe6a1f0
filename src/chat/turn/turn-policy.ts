/**
 * One assistant turn in harmony: feeds every token (sampled or forced) to the streaming parser, turns parser events
 * into the library's stream events, and steers the turn with forced tokens and grammars:
 * - tool choice `required` / `{ name }` / `none`, structured output, and an exhausted reasoning budget restrict the
 *   next message header: one allowed header is written into the sequence (forced tokens), several are offered
 *   through a header grammar;
 * - a tool call's arguments follow the tool's JSON schema from the moment its header ends; a final answer with a
 *   response format follows the format's grammar;
 * - `maxReasoningTokens`: when the analysis reaches it, the engine writes `<|end|><|start|>assistant` and the next
 *   header itself (forced prefill, not a grammar); 0 skips analysis entirely.
 * Sampling stops on `<|return|>`, `<|call|>`, `<|endoftext|>`, after a final message ends, or on a stop string.
 */
import type { FinishReason, StreamEvent, ToolCall } from "../types.js";
import {
  ASSISTANT_STOP_TOKENS,
  ASSISTANT_TURN_PREFIX,
  HarmonyCompletionCollector,
  type HarmonyParserEvent,
  HarmonyStreamParser,
  type MessageEndReason,
  type MessageKind,
  type ParsedCompletion,
  type PlainTextEncoder,
  type TokenDecoderSource,
} from "../../harmony/index.js";
import { FIRST_SPECIAL_ID, HarmonyToken } from "../../tokenizer/special-tokens.js";
import { headerGrammar, type HeaderOption, headerTokens } from "./harmony-grammar.js";
import type { Constraint, Directive, TokenPolicy } from "../../engine/policy.js";
import { StopStringMatcher } from "./stop-strings.js";

/** What a turn may produce. */
export interface TurnRules {
  /** Tools the model may call: name → GBNF of its arguments. */
  tools: ReadonlyMap<string, string>;
  /** `auto` lets the model choose; `required` / a name force a call; `none` forbids calls. */
  toolChoice: "auto" | "none" | "required" | { name: string };
  /** GBNF the final answer must follow (structured output or a raw grammar). */
  finalGrammar?: string;
  /** Reasoning tokens before the answer is forced (undefined: unlimited). */
  maxReasoningTokens?: number;
  stop: readonly string[];
}

export type TurnTokenizer = PlainTextEncoder & TokenDecoderSource;

/** Tokens that end sampling for an assistant turn. */
const STOP_TOKENS = new Set<number>([...ASSISTANT_STOP_TOKENS, HarmonyToken.endOfText]);
/** Header tokens that must not appear inside a message body written under a constraint. */
const HEADER_TOKENS = [HarmonyToken.start, HarmonyToken.channel, HarmonyToken.message, HarmonyToken.constrain];
/**
 * Banned inside a grammar-constrained body: their text pieces could otherwise match the grammar as characters.
 * The body ends when the grammar is complete and the model samples `<|return|>` / `<|call|>`.
 */
const BODY_BANNED = [...HEADER_TOKENS, HarmonyToken.end];

export class TurnPolicy implements TokenPolicy {
  private readonly parser: HarmonyStreamParser;
  private readonly collector = new HarmonyCompletionCollector();
  private readonly stopMatcher: StopStringMatcher;
  private readonly startAssistant: number[];
  private openKind: MessageKind | undefined;
  private headerJustEnded: { kind: MessageKind; name?: string } | undefined;
  private messageJustEnded: { kind: MessageKind; reason: MessageEndReason } | undefined;
  private content = "";
  private reasoningTokens = 0;
  private budgetSpent: boolean;
  private finishReason: FinishReason | undefined;
  /** Analysis under restricted headers: it may only end with `<|end|>` (then the engine writes the next header). */
  private readonly analysisBody: Constraint = { bannedTokens: [...HEADER_TOKENS, HarmonyToken.return, HarmonyToken.call] };

  constructor(
    private readonly rules: TurnRules,
    private readonly tokenizer: TurnTokenizer,
    private readonly emit: (event: StreamEvent) => void,
  ) {
    this.parser = new HarmonyStreamParser(tokenizer);
    this.stopMatcher = new StopStringMatcher(rules.stop);
    this.startAssistant = ASSISTANT_TURN_PREFIX.renderTokens(tokenizer);
    this.budgetSpent = rules.maxReasoningTokens === 0;
  }

  begin(): Directive {
    return this.headersRestricted() ? this.openHeader([]) : {};
  }

  next(token: number): Directive {
    const inReasoning = this.openKind === "reasoning";
    this.consume([token]);
    if (inReasoning && token < FIRST_SPECIAL_ID) this.reasoningTokens++;
    if (STOP_TOKENS.has(token) || this.stopMatcher.hasStopped) return { stop: "stop" };
    const ended = this.messageJustEnded;
    if (ended?.kind === "content" && ended.reason === "end") return { stop: "stop" };
    const budget = this.rules.maxReasoningTokens;
    if (this.openKind === "reasoning" && budget !== undefined && this.reasoningTokens >= budget) {
      this.budgetSpent = true;
      return this.openHeader([HarmonyToken.end, ...this.startAssistant]);
    }
    if (ended?.reason === "end" && this.headersRestricted()) return this.openHeader(this.startAssistant);
    if (this.headerJustEnded) return { constraint: this.bodyConstraint() };
    if (ended) return { constraint: null };
    return {};
  }

  end(reason: FinishReason): void {
    this.handle(this.parser.finish());
    const rest = this.stopMatcher.flush();
    if (rest) this.emitContent(rest);
    const completion = this.collector.result();
    this.finishReason =
      reason === "stop" && completion.toolCalls.some((call) => call.complete) ? "tool_calls" : reason;
  }

  /** The turn as parsed; complete after `end`. */
  get completion(): ParsedCompletion & { finalText: string; finishReason: FinishReason | undefined; reasoningTokens: number } {
    return { ...this.collector.result(), finalText: this.content, finishReason: this.finishReason, reasoningTokens: this.reasoningTokens };
  }

  /** Tool calls in the library's shape. */
  toolCalls(): ToolCall[] {
    return this.collector.result().toolCalls.map(({ id, name, arguments: args }) => ({ id, name, arguments: args }));
  }

  /** True when the next header may not be chosen freely. */
  private headersRestricted(): boolean {
    const { toolChoice, finalGrammar } = this.rules;
    return this.budgetSpent || finalGrammar !== undefined || toolChoice !== "auto";
  }

  private headerOptions(): HeaderOption[] {
    const { toolChoice, tools } = this.rules;
    const options: HeaderOption[] = [];
    if (!this.budgetSpent) options.push({ kind: "analysis" });
    if (toolChoice === "auto" || toolChoice === "none") options.push({ kind: "final" });
    if (typeof toolChoice === "object") options.push({ kind: "call", name: toolChoice.name });
    else if (toolChoice !== "none") for (const name of tools.keys()) options.push({ kind: "call", name });
    return options;
  }

  /** Writes `prefix` and then the next header (forced when only one is allowed, else by grammar). */
  private openHeader(prefix: readonly number[]): Directive {
    const options = this.headerOptions();
    if (options.length === 1) {
      const forced = [...prefix, ...headerTokens(options[0]!, this.tokenizer)];
      this.consume(forced);
      return { force: forced, constraint: this.bodyConstraint() };
    }
    if (prefix.length > 0) this.consume(prefix);
    return { force: prefix, constraint: { grammar: headerGrammar(options) } };
  }

  /** The constraint for the body of the message whose header just ended. */
  private bodyConstraint(): Constraint | null {
    const header = this.headerJustEnded;
    this.headerJustEnded = undefined;
    const restricted = this.headersRestricted();
    const argumentsGrammar = header?.kind === "tool_call" && header.name !== undefined ? this.rules.tools.get(header.name) : undefined;
    if (argumentsGrammar !== undefined && this.rules.toolChoice !== "none") {
      return { grammar: argumentsGrammar, bannedTokens: BODY_BANNED };
    }
    if (header?.kind === "content" && this.rules.finalGrammar !== undefined) {
      return { grammar: this.rules.finalGrammar, bannedTokens: BODY_BANNED };
    }
    if (header?.kind === "reasoning" && restricted) return this.analysisBody;
    return null;
  }

  /** Feeds tokens to the parser and reacts to its events. */
  private consume(tokens: readonly number[]): void {
    this.headerJustEnded = undefined;
    this.messageJustEnded = undefined;
    for (const token of tokens) this.handle(this.parser.push(token));
  }

  private handle(events: readonly HarmonyParserEvent[]): void {
    for (const event of events) {
      this.collector.handle(event);
      switch (event.type) {
        case "message_start":
          this.openKind = event.kind;
          this.headerJustEnded = { kind: event.kind };
          this.messageJustEnded = undefined;
          break;
        case "tool_call_start":
          this.headerJustEnded = { kind: "tool_call", name: event.name };
          this.emit({ type: "tool_call_start", index: event.toolCallIndex, id: event.id, name: event.name });
          break;
        case "tool_call_delta":
          this.emit({ type: "tool_call_delta", index: event.toolCallIndex, delta: event.delta });
          break;
        case "reasoning_delta":
          this.emit({ type: "reasoning", delta: event.delta });
          break;
        case "content_delta":
        case "preamble_delta": {
          const shown = this.stopMatcher.push(event.delta);
          if (shown) this.emitContent(shown);
          break;
        }
        case "message_end":
          this.openKind = undefined;
          this.messageJustEnded = { kind: event.kind, reason: event.reason };
          break;
        default:
          break;
      }
    }
  }

  private emitContent(delta: string): void {
    this.content += delta;
    this.emit({ type: "content", delta });
  }
}
