/**
 * Seeded fuzzing of the harmony stream parser with random and adversarial token streams.
 *
 * Invariants, for every stream:
 * 1. It never throws.
 * 2. Text conservation. Cut the stream at every non-ordinary id (special, reserved or invalid) into runs of
 *    ordinary tokens and decode each run on its own (UTF-8, invalid bytes → U+FFFD). The concatenation of
 *    those runs equals the concatenation, in event order, of every `message_start.header` and every
 *    `*_delta.delta`. So each ordinary token's text lands in exactly one bucket (header, reasoning, content,
 *    preamble, tool arguments, other-role text), in order, and nothing is invented.
 * 3. No special token's text anywhere: the fake vocabulary has no `|` byte, so `<|` in any delta, header,
 *    tool name, recipient, channel, content type or author name could only come from a special token.
 * 4. Every id that has no structural meaning (reserved, `<|startoftext|>`, `<|endofprompt|>`, ids outside the
 *    vocabulary, non-integers) is reported by exactly one `dropped_token` event, in order.
 * 5. Events are well formed: messages open and close in turn with increasing indices; deltas only inside a
 *    message of the matching kind; tool call indices increase and arguments go to the open call; nothing is
 *    left open after `finish()`.
 * 6. `parseCompletion` equals the streamed events folded by `HarmonyCompletionCollector`.
 */
import { describe, expect, it } from "vitest";
import { byteDecoder as bytes } from "../helpers/byte-decoder.js";
import {
  HarmonyCompletionCollector,
  type HarmonyParserEvent,
  type HarmonyParserOptions,
  HarmonyStreamParser,
  parseCompletion,
  type TokenDecoderSource,
} from "../../src/harmony/index.js";
import { FIRST_SPECIAL_ID, HarmonyToken } from "../../src/tokenizer/special-tokens.js";

const isOrdinary = (id: number): boolean => Number.isInteger(id) && id >= 0 && id < FIRST_SPECIAL_ID;
const STRUCTURAL = new Set<number>([
  HarmonyToken.start,
  HarmonyToken.channel,
  HarmonyToken.constrain,
  HarmonyToken.message,
  HarmonyToken.end,
  HarmonyToken.return,
  HarmonyToken.call,
  HarmonyToken.endOfText,
]);
const JUNK_IDS = [HarmonyToken.startOfText, HarmonyToken.endOfPrompt, 200000, 200004, 200010, 200013, 201087, 201088, 300000, -1, 2.5, Number.NaN];
const SPECIALS = [...STRUCTURAL, ...JUNK_IDS];
// Ordinary bytes: everything but `|` (0x7C), weighted towards header-ish ASCII.
const ORDINARY = [...Array.from({ length: 256 }, (_, b) => b).filter((b) => b !== 0x7c)];
const HEADERISH = [..."assistant to=functions.f commentary analysis final json code user tool <>= .".split("").map((c) => c.charCodeAt(0))];

/** mulberry32: small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));

function randomStream(random: () => number): number[] {
  const length = Math.floor(random() * 120);
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const r = random();
    out.push(r < 0.35 ? pick(random, HEADERISH) : r < 0.65 ? pick(random, ORDINARY) : r < 0.93 ? pick(random, [...STRUCTURAL]) : pick(random, JUNK_IDS));
  }
  return out;
}

const S = HarmonyToken;
const TEMPLATES: number[][] = [
  [S.channel, ...ascii("analysis"), S.message, ...ascii("think é"), S.end, S.start, ...ascii("assistant"), S.channel, ...ascii("final"), S.message, ...ascii("4"), S.return],
  [...ascii(" to=functions.get_weather"), S.channel, ...ascii("commentary "), S.constrain, ...ascii("json"), S.message, ...ascii('{"a":1}'), S.call],
  [S.channel, ...ascii("commentary to=functions.f"), S.constrain, ...ascii("json"), S.message, ...ascii("{}"), S.call],
  [S.channel, ...ascii("commentary to=assistant"), S.channel, ...ascii("analysis"), S.message, ...ascii("hm"), S.end],
  [S.start, ...ascii("assistant"), S.start, ...ascii("assistant"), S.channel, ...ascii("final"), S.message, 0xf0, 0x9f, 0x99, 0x82, S.return],
  [S.channel, ...ascii("commentary Hello"), S.end, ...ascii("stray text"), S.message, ...ascii("x")],
];

/** A template mutated by deletions, duplications, insertions and truncation. */
function mutatedStream(random: () => number): number[] {
  const out = [...pick(random, TEMPLATES), ...(random() < 0.5 ? pick(random, TEMPLATES) : [])];
  const edits = Math.floor(random() * 6);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (out.length + 1));
    const kind = random();
    if (kind < 0.3) out.splice(at, 1);
    else if (kind < 0.5) out.splice(at, 0, ...out.slice(at, at + 1 + Math.floor(random() * 4)));
    else if (kind < 0.8) out.splice(at, 0, pick(random, SPECIALS));
    else out.splice(at, 0, pick(random, ORDINARY));
  }
  return random() < 0.3 ? out.slice(0, Math.floor(random() * out.length)) : out;
}

function expectedText(tokens: readonly number[]): string {
  let text = "";
  let run: number[] = [];
  const flush = (): void => {
    text += new TextDecoder("utf-8", { ignoreBOM: true }).decode(Uint8Array.from(run));
    run = [];
  };
  for (const id of tokens) {
    if (isOrdinary(id)) run.push(id);
    else flush();
  }
  flush();
  return text;
}

const DELTA_KIND: Record<string, string> = {
  reasoning_delta: "reasoning",
  content_delta: "content",
  preamble_delta: "preamble",
  tool_call_delta: "tool_call",
  other_delta: "other",
};

function checkStream(tokens: number[], options: HarmonyParserOptions, decoders: TokenDecoderSource = bytes): void {
  let calls = 0;
  const parser = new HarmonyStreamParser(decoders, { ...options, createToolCallId: () => `call_${++calls}` });
  const events: HarmonyParserEvent[] = [];
  for (const id of tokens) events.push(...parser.push(id));
  events.push(...parser.finish());

  // 2 + 3: text conservation, no special text
  let text = "";
  const fields: string[] = [];
  for (const event of events) {
    if (event.type === "message_start") {
      text += event.header;
      fields.push(event.header, event.channel ?? "", event.recipient ?? "", event.contentType ?? "", event.authorName ?? "");
    } else if (event.type === "tool_call_start") {
      fields.push(event.name, event.recipient, event.id);
    } else if ("delta" in event) {
      text += event.delta;
      fields.push(event.delta);
    }
  }
  expect(text).toBe(expectedText(tokens));
  expect(fields.filter((field) => field.includes("<|"))).toEqual([]);

  // 4: junk ids reported once each, in order
  const junkIn = tokens.filter((id) => !isOrdinary(id) && !STRUCTURAL.has(id));
  const junkOut = events.flatMap((e) => (e.type === "dropped_token" && !STRUCTURAL.has(e.tokenId) ? [e.tokenId] : []));
  expect(junkOut).toEqual(junkIn);
  expect(parser.droppedTokens).toBe(events.filter((e) => e.type === "dropped_token").length);

  // 5: well-formed event sequence (plain checks: this runs for thousands of events)
  const fail = (why: string, event: HarmonyParserEvent): never => {
    throw new Error(`${why}: ${JSON.stringify(event)}`);
  };
  let open: { index: number; kind: string; toolCall: number } | undefined;
  let nextMessage = 0;
  let nextToolCall = 0;
  for (const event of events) {
    if (event.type === "message_start") {
      if (open || event.messageIndex !== nextMessage++) fail("message_start while open or out of order", event);
      open = { index: event.messageIndex, kind: event.kind, toolCall: -1 };
    } else if (event.type === "tool_call_start") {
      if (open?.kind !== "tool_call" || event.toolCallIndex !== nextToolCall++) fail("tool_call_start outside a tool call", event);
      open!.toolCall = event.toolCallIndex;
    } else if (event.type === "message_end") {
      if (event.messageIndex !== open?.index || event.kind !== open.kind) fail("message_end does not match", event);
      open = undefined;
    } else if (event.type !== "dropped_token") {
      if (open?.kind !== DELTA_KIND[event.type] || event.delta.length === 0) fail("delta outside its message kind", event);
      if (event.type === "tool_call_delta" && event.toolCallIndex !== open!.toolCall) fail("arguments for another call", event);
    }
  }
  expect(open).toBeUndefined();

  // 6: non-streaming == streamed
  const collector = new HarmonyCompletionCollector();
  collector.handleAll(events);
  let otherCalls = 0;
  expect(parseCompletion(tokens, decoders, { ...options, createToolCallId: () => `call_${++otherCalls}` })).toEqual(collector.result());
}

function optionsFor(random: () => number): HarmonyParserOptions {
  return {
    initialRole: random() < 0.7 ? "assistant" : null,
    maxHeaderTokens: random() < 0.3 ? 1 + Math.floor(random() * 12) : undefined,
  };
}

describe("harmony parser fuzz (seeded)", () => {
  it("random token soup: 2500 streams", () => {
    const random = rng(0x5eed);
    for (let i = 0; i < 2500; i++) {
      const tokens = randomStream(random);
      const options = optionsFor(random);
      try {
        checkStream(tokens, options);
      } catch (error) {
        throw new Error(`stream ${i} ${JSON.stringify({ tokens, options })}: ${(error as Error).message}`);
      }
    }
  });

  it("mutated realistic completions: 2500 streams", () => {
    const random = rng(0xc0ffee);
    for (let i = 0; i < 2500; i++) {
      const tokens = mutatedStream(random);
      const options = optionsFor(random);
      try {
        checkStream(tokens, options);
      } catch (error) {
        throw new Error(`stream ${i} ${JSON.stringify({ tokens, options })}: ${(error as Error).message}`);
      }
    }
  });

  it("the checker itself fails on a parser that loses text", () => {
    const lossy: TokenDecoderSource = {
      createStreamDecoder() {
        const inner = bytes.createStreamDecoder();
        return { write: (id) => (id === 0x41 ? "" : inner.write(id)), flush: () => inner.flush() };
      },
    };
    const tokens = [HarmonyToken.channel, ...ascii("final"), HarmonyToken.message, ...ascii("ABC"), HarmonyToken.return];
    expect(() => checkStream(tokens, {}, bytes)).not.toThrow();
    expect(() => checkStream(tokens, {}, lossy)).toThrow();
  });
});
