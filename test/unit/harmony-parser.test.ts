import { Tiktoken } from "js-tiktoken/lite";
import o200kBase from "js-tiktoken/ranks/o200k_base";
import { describe, expect, it } from "vitest";
import { byteDecoder as bytes } from "../helpers/byte-decoder.js";
import {
  type HarmonyParserEvent,
  type HarmonyParserOptions,
  HarmonyCompletionCollector,
  HarmonyStreamParser,
  parseCompletion,
  randomToolCallId,
  renderConversation,
  type TokenDecoderSource,
} from "../../src/harmony/index.js";
import { HARMONY_SPECIAL_NAMES } from "../../src/tokenizer/special-tokens.js";

const SPECIAL_IDS = new Map(Object.entries(HARMONY_SPECIAL_NAMES).map(([id, name]) => [name, Number(id)]));
const utf8 = new TextEncoder();

/** Ids for a harmony string: `<|name|>` is the special token, everything else is ordinary bytes. */
function ids(source: string): number[] {
  const out: number[] = [];
  for (const piece of source.split(/(<\|[a-z0-9_]+\|>)/)) {
    const special = SPECIAL_IDS.get(piece) ?? (/^<\|reserved_(\d+)\|>$/.exec(piece) ? Number(piece.slice(11, -2)) : undefined);
    if (special !== undefined) out.push(special);
    else out.push(...utf8.encode(piece));
  }
  return out;
}
/** Ordinary bytes only, even for text that looks like special tokens. */
const plain = (text: string): number[] => [...utf8.encode(text)];

function sequentialIds(): () => string {
  let n = 0;
  return () => `call_${++n}`;
}
const parse = (source: string | number[], options: HarmonyParserOptions = {}) =>
  parseCompletion(typeof source === "string" ? ids(source) : source, bytes, { createToolCallId: sequentialIds(), ...options });

function stream(tokens: number[], options: HarmonyParserOptions = {}): HarmonyParserEvent[] {
  const parser = new HarmonyStreamParser(bytes, { createToolCallId: sequentialIds(), ...options });
  return [...tokens.flatMap((id) => parser.push(id)), ...parser.finish()];
}

describe("harmony stream parser: shapes models emit", () => {
  it("analysis then final, starting right after the prompt's <|start|>assistant", () => {
    const result = parse("<|channel|>analysis<|message|>User asks 2+2.<|end|><|start|>assistant<|channel|>final<|message|>4<|return|>");
    expect(result.reasoning).toBe("User asks 2+2.");
    expect(result.content).toBe("4");
    expect(result.stopReason).toBe("return");
    expect(result.messages.map((m) => [m.role, m.channel, m.kind, m.endReason])).toEqual([
      ["assistant", "analysis", "reasoning", "end"],
      ["assistant", "final", "content", "return"],
    ]);
  });

  it("a header without a channel is the final answer", () => {
    expect(parse("<|message|>Hello<|return|>").content).toBe("Hello");
    expect(parse("assistant<|message|>Hi<|end|>").content).toBe("Hi");
  });

  it.each([
    ["recipient in the role section", " to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>"],
    ["recipient after the channel", "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"],
    ["<|constrain|> without a leading space", "<|channel|>commentary to=functions.get_weather<|constrain|>json<|message|>"],
    ["repeated <|start|>assistant", "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>"],
    ["bare content type", "<|channel|>commentary to=functions.get_weather json<|message|>"],
  ])("tool call with %s", (_label, header) => {
    const result = parse(`${header}{"location":"SF"}<|call|>`);
    expect(result.toolCalls).toEqual([
      {
        id: "call_1",
        name: "get_weather",
        arguments: '{"location":"SF"}',
        recipient: "functions.get_weather",
        channel: "commentary",
        contentType: "json",
        complete: true,
      },
    ]);
    expect(result.content).toBe("");
    expect(result.stopReason).toBe("call");
    expect(result.messages[0]!.constrained).toBe(header.includes("<|constrain|>"));
  });

  it("tool calls in the analysis channel, built-in recipients, preamble before the call", () => {
    const result = parse(
      "<|channel|>commentary<|message|>Checking…<|end|><|start|>assistant<|channel|>analysis to=functions.lookup code<|message|>{}<|call|>",
    );
    expect(result.preamble).toBe("Checking…");
    expect(result.toolCalls[0]).toMatchObject({ name: "lookup", channel: "analysis", contentType: "code", arguments: "{}" });
    expect(parse("<|channel|>analysis to=browser.search code<|message|>{}<|call|>").toolCalls[0]).toMatchObject({
      name: "browser.search",
      recipient: "browser.search",
    });
  });

  it("a stray commentary to=assistant before the real channel (observed from gpt-oss-20b)", () => {
    const result = parse("<|channel|>commentary to=assistant<|channel|>analysis<|message|>hmm<|end|>");
    expect(result.reasoning).toBe("hmm");
    expect(result.toolCalls).toEqual([]);
  });

  it("structured output on the final channel keeps the content type", () => {
    const result = parse('<|channel|>final <|constrain|>json<|message|>{"a":1}<|return|>');
    expect(result.content).toBe('{"a":1}');
    expect(result.messages[0]).toMatchObject({ channel: "final", contentType: "json", constrained: true });
  });

  it("output cut off mid-message ends with reason length and keeps the partial text", () => {
    const result = parse('<|channel|>analysis<|message|>a<|end|><|start|>assistant to=functions.f<|channel|>commentary<|message|>{"x":');
    expect(result.toolCalls[0]).toMatchObject({ arguments: '{"x":', complete: false });
    expect(result.stopReason).toBe("length");
    const midHeader = parse("<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>fin");
    expect(midHeader.reasoning).toBe("a");
    expect(midHeader.content).toBe("");
    expect(midHeader.messages[1]).toMatchObject({ channel: "fin", headerComplete: false, endReason: "length" });
  });

  it("a missing <|message|> marker: the words after the channel are the content", () => {
    expect(parse("<|channel|>commentary Hello there<|end|>").preamble).toBe("Hello there");
    expect(parse("Just text<|return|>").content).toBe("Just text");
  });

  it("a header that runs too long becomes content and streams", () => {
    const events = stream(ids(`<|channel|>final ${"word ".repeat(10)}`), { maxHeaderTokens: 20 });
    expect(events.filter((e) => e.type === "content_delta").length).toBeGreaterThan(1);
    expect(parse(`<|channel|>final ${"word ".repeat(10)}`, { maxHeaderTokens: 20 }).content).toBe(`${"word ".repeat(10)}`);
  });

  it("header special tokens count toward maxHeaderTokens, so a run of them cannot grow the header without bound", () => {
    const result = parse(`${"<|channel|>".repeat(10)}hi<|return|>`, { maxHeaderTokens: 4 });
    expect(result.messages).toHaveLength(1);
    expect(result.messages[0]).toMatchObject({ headerComplete: false, content: "hi", endReason: "return" });
    expect(result.content).toBe("hi");
    expect(result.droppedTokens).toBe(5); // the 5th <|channel|> ends the header; the rest are misplaced in content
  });

  it("drops unknown special tokens inside content and reports them, never as text", () => {
    const events = stream(ids("<|channel|>final<|message|>Hel<|reserved_200010|>lo<|channel|><|startoftext|><|message|>!<|return|>"));
    const dropped = events.filter((e) => e.type === "dropped_token");
    expect(dropped.map((e) => e.type === "dropped_token" && e.name)).toEqual(["<|reserved_200010|>", "<|channel|>", "<|startoftext|>", "<|message|>"]);
    const result = parse("<|channel|>final<|message|>Hel<|reserved_200010|>lo<|return|>");
    expect(result.content).toBe("Hello");
    expect(result.droppedTokens).toBe(1);
    expect(parse([...ids("<|channel|>final<|message|>ok"), -1, 1.5, 999_999, ...ids("<|return|>")]).droppedTokens).toBe(3);
  });

  it("text that looks like a special token but is ordinary stays content", () => {
    const result = parse([...ids("<|channel|>final<|message|>"), ...plain("say <|end|> and <|call|>"), ...ids("<|return|>")]);
    expect(result.content).toBe("say <|end|> and <|call|>");
    expect(result.stopReason).toBe("return");
  });

  it("a new <|start|> without <|end|> ends the open message as interrupted", () => {
    const result = parse("<|channel|>analysis<|message|>x<|start|>assistant<|channel|>final<|message|>y<|return|>");
    expect(result.messages.map((m) => m.endReason)).toEqual(["interrupted", "return"]);
    expect(parse("<|channel|>commentary to=functions.f<|message|>{<|start|>assistant").toolCalls[0]?.complete).toBe(false);
    expect([result.reasoning, result.content]).toEqual(["x", "y"]);
  });

  it("text after <|end|> without <|start|> opens an implicit assistant message", () => {
    const result = parse("<|channel|>analysis<|message|>x<|end|><|channel|>final<|message|>y<|return|>");
    expect([result.reasoning, result.content]).toEqual(["x", "y"]);
  });

  it("non-assistant messages (tool authors, user turns) are kept apart from the answer", () => {
    const result = parse(
      "<|start|>browser.search to=assistant<|channel|>commentary<|message|>results<|end|><|start|>user<|message|>hi<|end|>",
      { initialRole: null },
    );
    expect(result.messages.map((m) => [m.role, m.authorName, m.recipient, m.kind, m.content])).toEqual([
      ["tool", "browser.search", "assistant", "other", "results"],
      ["user", undefined, undefined, "other", "hi"],
    ]);
    expect([result.content, result.reasoning, result.toolCalls.length]).toEqual(["", "", 0]);
  });

  it("UTF-8: characters split across tokens are never split in deltas; partial bytes do not leak", () => {
    const events = stream(ids("<|channel|>final<|message|>héllo 🙂<|return|>"));
    const deltas = events.flatMap((e) => (e.type === "content_delta" ? [e.delta] : []));
    expect(deltas.join("")).toBe("héllo 🙂");
    expect(deltas.some((d) => d.includes("\uFFFD"))).toBe(false);
    const truncated = [...ids("<|channel|>analysis<|message|>a"), 0xf0, 0x9f, ...ids("<|end|><|start|>assistant<|channel|>final<|message|>b")];
    const result = parse(truncated);
    expect([result.reasoning, result.content]).toEqual(["a\uFFFD", "b"]);
  });

  it("events: message boundaries, tool call start/deltas, deterministic ids", () => {
    const events = stream(ids('<|channel|>commentary to=functions.f <|constrain|>json<|message|>{"a"<|call|>'));
    expect(events.filter((e) => e.type !== "tool_call_delta")).toEqual([
      {
        type: "message_start",
        messageIndex: 0,
        role: "assistant",
        channel: "commentary",
        recipient: "functions.f",
        contentType: "json",
        constrained: true,
        kind: "tool_call",
        header: "commentary to=functions.f json",
        headerComplete: true,
      },
      { type: "tool_call_start", toolCallIndex: 0, id: "call_1", name: "f", recipient: "functions.f", channel: "commentary", contentType: "json" },
      { type: "message_end", messageIndex: 0, kind: "tool_call", reason: "call" },
    ]);
    const args = events.flatMap((e) => (e.type === "tool_call_delta" ? [e.delta] : []));
    expect(args).toEqual(["{", '"', "a", '"']); // one delta per token: nothing is held back
    expect(randomToolCallId()).toMatch(/^call_[0-9a-f]{24}$/);
    expect(randomToolCallId()).not.toBe(randomToolCallId());
  });

  it("streaming deltas concatenate to the non-streaming result", () => {
    const source =
      "<|channel|>analysis<|message|>Think<|end|><|start|>assistant<|channel|>commentary<|message|>Pre<|end|>" +
      '<|start|>assistant to=functions.a<|channel|>commentary <|constrain|>json<|message|>{"k":1}<|call|>' +
      "<|start|>assistant<|channel|>final<|message|>Done<|return|>";
    const events = stream(ids(source));
    const joined = (type: HarmonyParserEvent["type"]) =>
      events.flatMap((e) => (e.type === type && "delta" in e ? [e.delta] : [])).join("");
    const result = parse(source);
    expect([joined("reasoning_delta"), joined("preamble_delta"), joined("tool_call_delta"), joined("content_delta")]).toEqual([
      result.reasoning,
      result.preamble,
      result.toolCalls[0]!.arguments,
      result.content,
    ]);
    const collector = new HarmonyCompletionCollector();
    collector.handleAll(events);
    expect(collector.result()).toEqual(result);
  });

  it("round trip: parsing the renderer's own assistant messages gives them back", () => {
    const rendered = renderConversation([
      { author: { role: "assistant" }, channel: "analysis", content: ["plan"] },
      { author: { role: "assistant" }, recipient: "functions.get_weather", channel: "commentary", contentType: "<|constrain|>json", content: ['{"c":"SF"}'] },
      { author: { role: "assistant" }, channel: "final", content: ["It is sunny."] },
    ], { analysisRetention: "keep" });
    const result = parse(rendered.renderText(), { initialRole: null });
    expect(result.messages.map((m) => [m.channel, m.recipient, m.contentType, m.constrained, m.content])).toEqual([
      ["analysis", undefined, undefined, false, "plan"],
      ["commentary", "functions.get_weather", "json", true, '{"c":"SF"}'],
      ["final", undefined, undefined, false, "It is sunny."],
    ]);
    expect(result.droppedTokens).toBe(0);
  });

  it("real o200k_harmony ids (js-tiktoken): a model-style tool call and answer", () => {
    const tiktoken = new Tiktoken(o200kBase, Object.fromEntries([...SPECIAL_IDS].map(([name, id]) => [name, id])));
    const o200k: TokenDecoderSource = { createStreamDecoder: () => ({ write: (id) => tiktoken.decode([id]), flush: () => "" }) };
    const completion =
      "<|channel|>analysis<|message|>Need to call get_current_weather.<|end|>" +
      '<|start|>assistant<|channel|>commentary to=functions.get_current_weather <|constrain|>json<|message|>{"location":"San Francisco, CA"}<|call|>';
    const tokens = tiktoken.encode(completion, "all");
    expect(tokens).toContain(200003);
    const result = parseCompletion(tokens, o200k, { createToolCallId: () => "call_x" });
    expect(result.reasoning).toBe("Need to call get_current_weather.");
    expect(result.toolCalls).toEqual([
      {
        id: "call_x",
        name: "get_current_weather",
        arguments: '{"location":"San Francisco, CA"}',
        recipient: "functions.get_current_weather",
        channel: "commentary",
        contentType: "json",
        complete: true,
      },
    ]);
  });
});
