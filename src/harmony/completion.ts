/**
 * Folding parser events into a whole completion: the non-streaming `parseCompletion` and a collector the
 * engine can feed while it streams (so both paths give identical results by construction).
 */
import type { ToolCall } from "../types.js";
import type { HarmonyMessageHeader } from "./header.js";
import {
  type HarmonyParserEvent,
  type HarmonyParserOptions,
  HarmonyStreamParser,
  type MessageEndReason,
  type MessageKind,
  type TokenDecoderSource,
} from "./parser.js";

/** A tool call as parsed: the library's `ToolCall` plus where it was addressed. */
export interface ParsedToolCall extends ToolCall {
  /** Full recipient, e.g. `functions.get_weather`, `browser.search`, `python`. */
  recipient: string;
  channel?: string;
  contentType?: string;
  /** True once the call message ended with a terminator token (not cut off by the stream's end or a new `<|start|>`). */
  complete: boolean;
}

/** One message of the completion. */
export interface ParsedMessage extends HarmonyMessageHeader {
  kind: MessageKind;
  headerComplete: boolean;
  content: string;
  /** Undefined while the message is still open. */
  endReason?: MessageEndReason;
}

/** A whole completion, split by destination (see {@link parseCompletion}). */
export interface ParsedCompletion {
  /** Text of every `analysis` message without a recipient, concatenated. */
  reasoning: string;
  /** Text of every `final` (or channel-less) assistant message, concatenated. */
  content: string;
  /** Text of every `commentary` message without a recipient (user-visible preambles), concatenated. */
  preamble: string;
  toolCalls: ParsedToolCall[];
  messages: ParsedMessage[];
  /** How the last message ended; null when there was none. */
  stopReason: MessageEndReason | null;
  /** Special tokens the parser dropped. */
  droppedTokens: number;
}

/** Accumulates parser events into a {@link ParsedCompletion}. */
export class HarmonyCompletionCollector {
  private readonly parsed: ParsedCompletion = {
    reasoning: "",
    content: "",
    preamble: "",
    toolCalls: [],
    messages: [],
    stopReason: null,
    droppedTokens: 0,
  };

  /** Applies one event. */
  handle(event: HarmonyParserEvent): void {
    const parsed = this.parsed;
    const current = parsed.messages[parsed.messages.length - 1];
    switch (event.type) {
      case "message_start": {
        const { type: _type, messageIndex: _index, header: _header, ...message } = event;
        parsed.messages.push({ ...message, content: "" });
        break;
      }
      case "reasoning_delta":
        parsed.reasoning += event.delta;
        current!.content += event.delta;
        break;
      case "content_delta":
        parsed.content += event.delta;
        current!.content += event.delta;
        break;
      case "preamble_delta":
        parsed.preamble += event.delta;
        current!.content += event.delta;
        break;
      case "other_delta":
        current!.content += event.delta;
        break;
      case "tool_call_start": {
        const { type: _type, toolCallIndex: _index, ...call } = event;
        parsed.toolCalls.push({ ...call, arguments: "", complete: false });
        break;
      }
      case "tool_call_delta":
        parsed.toolCalls[event.toolCallIndex]!.arguments += event.delta;
        current!.content += event.delta;
        break;
      case "message_end":
        current!.endReason = event.reason;
        parsed.stopReason = event.reason;
        if (event.kind === "tool_call" && event.reason !== "length" && event.reason !== "interrupted") {
          parsed.toolCalls[parsed.toolCalls.length - 1]!.complete = true;
        }
        break;
      case "dropped_token":
        parsed.droppedTokens++;
        break;
    }
  }

  /** Applies several events. */
  handleAll(events: readonly HarmonyParserEvent[]): void {
    for (const event of events) this.handle(event);
  }

  /** The completion so far (a live object: later events keep updating it). */
  result(): ParsedCompletion {
    return this.parsed;
  }
}

/**
 * Parses a whole completion (the ids generated after the prompt's `<|start|>assistant`, stop token
 * included or not) with the same machine as the streaming parser.
 */
export function parseCompletion(
  tokens: Iterable<number>,
  decoders: TokenDecoderSource,
  options: HarmonyParserOptions = {},
): ParsedCompletion {
  const parser = new HarmonyStreamParser(decoders, options);
  const collector = new HarmonyCompletionCollector();
  for (const id of tokens) collector.handleAll(parser.push(id));
  collector.handleAll(parser.finish());
  return collector.result();
}
