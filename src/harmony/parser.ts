/**
 * Streaming harmony parser: token ids in, typed events out, one token at a time at constant cost (content is
 * decoded and forwarded as it comes; a header is parsed once, when it ends, and is at most `maxHeaderTokens`
 * long).
 *
 * Text accounting (the invariant the fuzz test checks): the decoder is flushed at every special token, and
 * the text of every ordinary token appears exactly once, in order, in either a `message_start.header` or a
 * `*_delta.delta`. Special tokens never produce text: structural ones drive the state machine, any other
 * (reserved ids, `<|message|>` inside content, ids outside the vocabulary) is reported as `dropped_token`.
 */
import { randomBytes } from "node:crypto";
import { FIRST_SPECIAL_ID, HarmonyToken, specialTokenName } from "../tokenizer/special-tokens.js";
import type { StreamDecoder } from "../tokenizer/stream-decoder.js";
import type { HarmonyRole } from "./conversation.js";
import { type HarmonyMessageHeader, type HeaderSection, type ParsedHeader, parseHeader } from "./header.js";
import { FUNCTIONS_NAMESPACE } from "./tools-section.js";

/** A UTF-8-safe streaming detokenizer for ordinary (non-special) token ids (the tokenizer's `StreamDecoder`). */
export type TokenTextDecoder = StreamDecoder;

/** Creates stream decoders, e.g. the package `Tokenizer`. */
export interface TokenDecoderSource {
  createStreamDecoder(): TokenTextDecoder;
}

/** Why a message ended: its terminator token, `interrupted` (a new `<|start|>`), or `length` (the stream ended). */
export type MessageEndReason = "return" | "call" | "end" | "end_of_text" | "interrupted" | "length";

/** Where a message's content goes. `other`: a non-assistant message the model should not have written. */
export type MessageKind = "reasoning" | "content" | "preamble" | "tool_call" | "other";

/** What {@link HarmonyStreamParser} reports: message boundaries, text deltas by destination, dropped tokens. */
export type HarmonyParserEvent =
  | ({
      type: "message_start";
      messageIndex: number;
      kind: MessageKind;
      /** The header's ordinary text as written (special tokens removed). */
      header: string;
      /** False when `<|message|>` never came and the header was parsed leniently. */
      headerComplete: boolean;
    } & HarmonyMessageHeader)
  | { type: "reasoning_delta"; delta: string }
  | { type: "content_delta"; delta: string }
  | { type: "preamble_delta"; delta: string }
  | {
      type: "tool_call_start";
      toolCallIndex: number;
      id: string;
      /** `get_weather` for `functions.get_weather`; any other recipient (`browser.search`, `python`) as is. */
      name: string;
      recipient: string;
      channel?: string;
      contentType?: string;
    }
  | { type: "tool_call_delta"; toolCallIndex: number; delta: string }
  | { type: "other_delta"; role: HarmonyRole; delta: string }
  | { type: "message_end"; messageIndex: number; kind: MessageKind; reason: MessageEndReason }
  | { type: "dropped_token"; tokenId: number; name?: string };

/** Options of {@link HarmonyStreamParser} and `parseCompletion`. */
export interface HarmonyParserOptions {
  /**
   * Role already opened by the prompt: the parser starts inside that header (the prompt ended with
   * `<|start|>assistant`). `null` starts before any message. Default `"assistant"`.
   */
  initialRole?: HarmonyRole | null;
  /** Tool call ids. Default `call_` + 24 random hex characters. */
  createToolCallId?: () => string;
  /**
   * A header longer than this many tokens (`<|channel|>` and `<|constrain|>` included) is taken as content that
   * lacks `<|message|>`. Default 128.
   */
  maxHeaderTokens?: number;
}

/** Default tool call id: `call_` + 24 random hex characters. */
export function randomToolCallId(): string {
  return `call_${randomBytes(12).toString("hex")}`;
}

const DEFAULT_MAX_HEADER_TOKENS = 128;

const STOP_REASONS: ReadonlyMap<number, MessageEndReason> = new Map([
  [HarmonyToken.return, "return"],
  [HarmonyToken.call, "call"],
  [HarmonyToken.end, "end"],
  [HarmonyToken.endOfText, "end_of_text"],
]);

type State = "expect_start" | "header" | "content";

interface OpenMessage {
  index: number;
  kind: MessageKind;
  role: HarmonyRole;
  toolCallIndex: number;
}

function kindOf(header: ParsedHeader): MessageKind {
  if (header.role !== "assistant") return "other";
  if (header.recipient !== undefined && header.recipient !== "assistant" && header.recipient !== "all") return "tool_call";
  if (header.channel === "analysis") return "reasoning";
  if (header.channel === "commentary") return "preamble";
  return "content"; // final, no channel, or an unknown channel
}

/** Incremental harmony parser. Feed ids with {@link push}; call {@link finish} when generation stops. */
export class HarmonyStreamParser {
  private readonly createToolCallId: () => string;
  private readonly maxHeaderTokens: number;
  private readonly decoder: TokenTextDecoder;
  private state: State;
  private knownRole: HarmonyRole | null = null;
  private sections: HeaderSection[] = [];
  private headerTokens = 0;
  private open: OpenMessage | undefined;
  private messageCount = 0;
  private toolCallCount = 0;
  private droppedCount = 0;

  constructor(decoders: TokenDecoderSource, options: HarmonyParserOptions = {}) {
    this.createToolCallId = options.createToolCallId ?? randomToolCallId;
    this.maxHeaderTokens = options.maxHeaderTokens ?? DEFAULT_MAX_HEADER_TOKENS;
    this.decoder = decoders.createStreamDecoder();
    const initialRole = options.initialRole === undefined ? "assistant" : options.initialRole;
    this.state = initialRole === null ? "expect_start" : "header";
    this.resetHeader(initialRole);
  }

  /** Special tokens dropped so far (reserved ids, misplaced markers, ids outside the vocabulary). */
  get droppedTokens(): number {
    return this.droppedCount;
  }

  /** Processes one token id and returns the events it produced (often none or one). Never throws on bad input. */
  push(id: number): HarmonyParserEvent[] {
    const events: HarmonyParserEvent[] = [];
    if (Number.isInteger(id) && id >= 0 && id < FIRST_SPECIAL_ID) this.pushOrdinary(id, events);
    else this.pushSpecial(id, events);
    return events;
  }

  /** End of generation: closes an open message with reason `length` and flushes held-back text. */
  finish(): HarmonyParserEvent[] {
    const events: HarmonyParserEvent[] = [];
    this.flushDecoder(events);
    if (this.state === "header" && this.headerHasAnything()) this.completeHeader(false, events);
    if (this.state === "content") this.endMessage("length", events);
    this.state = "expect_start";
    this.resetHeader(null);
    return events;
  }

  private pushOrdinary(id: number, events: HarmonyParserEvent[]): void {
    if (this.state === "content") {
      this.emitDelta(this.decoder.write(id), events);
      return;
    }
    if (this.state === "expect_start") this.beginHeader(null);
    this.sections[this.sections.length - 1]!.text += this.decoder.write(id);
    this.countHeaderToken(events);
  }

  /** Every header token counts (ordinary, `<|channel|>`, `<|constrain|>`): a header stays bounded. */
  private countHeaderToken(events: HarmonyParserEvent[]): void {
    if (++this.headerTokens > this.maxHeaderTokens) this.completeHeader(false, events);
  }

  /** Held-back bytes end at every special token and at the end of the stream; they never reach the next message. */
  private flushDecoder(events: HarmonyParserEvent[]): void {
    const flushed = this.decoder.flush();
    if (!flushed) return;
    if (this.state === "content") this.emitDelta(flushed, events);
    else this.sections[this.sections.length - 1]!.text += flushed; // expect_start never holds bytes
  }

  private pushSpecial(id: number, events: HarmonyParserEvent[]): void {
    this.flushDecoder(events);
    const stopReason = STOP_REASONS.get(id);
    if (id === HarmonyToken.start) {
      if (this.state === "content") this.endMessage("interrupted", events);
      else if (this.state === "header" && this.headerHasAnything()) {
        this.completeHeader(false, events);
        this.endMessage("interrupted", events);
      }
      this.beginHeader(null);
    } else if (id === HarmonyToken.channel || id === HarmonyToken.constrain) {
      if (this.state === "content") return this.drop(id, events);
      if (this.state === "expect_start") this.beginHeader(null);
      this.sections.push({ marker: id === HarmonyToken.channel ? "channel" : "constrain", text: "" });
      this.countHeaderToken(events);
    } else if (id === HarmonyToken.message) {
      if (this.state === "content") return this.drop(id, events);
      if (this.state === "expect_start") this.beginHeader(null);
      this.completeHeader(true, events);
    } else if (stopReason !== undefined) {
      if (this.state === "expect_start") return this.drop(id, events);
      if (this.state === "header") this.completeHeader(false, events);
      this.endMessage(stopReason, events);
    } else {
      this.drop(id, events);
    }
  }

  private drop(id: number, events: HarmonyParserEvent[]): void {
    this.droppedCount++;
    events.push({ type: "dropped_token", tokenId: id, name: Number.isInteger(id) ? specialTokenName(id) : undefined });
  }

  private resetHeader(role: HarmonyRole | null): void {
    this.knownRole = role;
    this.sections = [{ marker: "role", text: "" }];
    this.headerTokens = 0;
  }

  private beginHeader(role: HarmonyRole | null): void {
    this.state = "header";
    this.resetHeader(role);
  }

  private headerHasAnything(): boolean {
    return this.sections.length > 1 || this.sections[0]!.text.length > 0;
  }

  /** Parses the header, emits `message_start` (and `tool_call_start`), and switches to content. */
  private completeHeader(complete: boolean, events: HarmonyParserEvent[]): void {
    const header = parseHeader(this.sections, this.knownRole, complete);
    const kind = kindOf(header);
    const index = this.messageCount++;
    const toolCallIndex = kind === "tool_call" ? this.toolCallCount++ : -1;
    this.open = { index, kind, role: header.role, toolCallIndex };
    events.push({
      type: "message_start",
      messageIndex: index,
      role: header.role,
      ...(header.authorName !== undefined && { authorName: header.authorName }),
      ...(header.channel !== undefined && { channel: header.channel }),
      ...(header.recipient !== undefined && { recipient: header.recipient }),
      ...(header.contentType !== undefined && { contentType: header.contentType }),
      constrained: header.constrained,
      kind,
      header: header.headerText,
      headerComplete: complete,
    });
    if (kind === "tool_call") {
      const recipient = header.recipient!;
      const prefix = `${FUNCTIONS_NAMESPACE}.`;
      events.push({
        type: "tool_call_start",
        toolCallIndex,
        id: this.createToolCallId(),
        name: recipient.startsWith(prefix) ? recipient.slice(prefix.length) : recipient,
        recipient,
        ...(header.channel !== undefined && { channel: header.channel }),
        ...(header.contentType !== undefined && { contentType: header.contentType }),
      });
    }
    this.state = "content";
    this.resetHeader(null);
    this.emitDelta(header.leftover, events);
  }

  private endMessage(reason: MessageEndReason, events: HarmonyParserEvent[]): void {
    this.emitDelta(this.decoder.flush(), events);
    const open = this.open!;
    events.push({ type: "message_end", messageIndex: open.index, kind: open.kind, reason });
    this.open = undefined;
    this.state = "expect_start";
    this.resetHeader(null);
  }

  private emitDelta(delta: string, events: HarmonyParserEvent[]): void {
    if (delta.length === 0) return;
    const open = this.open!;
    switch (open.kind) {
      case "reasoning":
        events.push({ type: "reasoning_delta", delta });
        break;
      case "content":
        events.push({ type: "content_delta", delta });
        break;
      case "preamble":
        events.push({ type: "preamble_delta", delta });
        break;
      case "tool_call":
        events.push({ type: "tool_call_delta", toolCallIndex: open.toolCallIndex, delta });
        break;
      case "other":
        events.push({ type: "other_delta", role: open.role, delta });
        break;
    }
  }
}
