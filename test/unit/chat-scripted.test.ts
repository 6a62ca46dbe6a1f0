import { describe, expect, it } from "vitest";
import type { StreamEvent } from "../../src/chat/types.js";
import { hasCode } from "../../src/errors.js";
import { HarmonyToken } from "../../src/tokenizer/special-tokens.js";
import { createScriptedModel, harmonyScript } from "../helpers/scripted-context.js";

const user = (content: string) => [{ role: "user" as const, content }];
const ANSWER = "<|channel|>analysis<|message|>Think it over.<|end|><|start|>assistant<|channel|>final<|message|>Hello there!<|return|>";

/** A model whose replies are chosen by the prompt's text. */
function modelWith(replies: (prompt: string) => string[], extra: { sequences?: number; contextSize?: number } = {}) {
  return createScriptedModel({ sequences: 2, contextSize: 8192, ...extra, script: (t) => harmonyScript(t, replies) });
}

describe("chat and stream over the scripted engine", () => {
  it("returns reasoning, content, finish reason and usage", async () => {
    const { model } = await modelWith(() => [ANSWER]);
    const result = await model.chat(user("Hi"), { maxTokens: 100 });
    expect(result).toMatchObject({ content: "Hello there!", reasoning: "Think it over.", toolCalls: [], finishReason: "stop" });
    expect(result.usage.reasoningTokens).toBeGreaterThan(0);
    expect(result.usage.completionTokens).toBeGreaterThan(result.usage.reasoningTokens);
    expect(result.usage.totalTokens).toBe(result.usage.promptTokens + result.usage.completionTokens);
    await model.dispose();
  });

  it("streams reasoning, then content, then done", async () => {
    const { model } = await modelWith(() => [ANSWER]);
    const events: StreamEvent[] = [];
    for await (const event of model.stream(user("Hi"), { maxTokens: 100 })) events.push(event);
    const types = events.map((e) => e.type);
    expect(types.at(-1)).toBe("done");
    expect(types.lastIndexOf("reasoning")).toBeLessThan(types.indexOf("content"));
    const text = events.filter((e) => e.type === "content").map((e) => (e as { delta: string }).delta).join("");
    expect(text).toBe("Hello there!");
  });

  it("reports a tool call with its arguments under the tool's grammar", async () => {
    const call = '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>';
    const { model, context } = await modelWith(() => [call]);
    const tools = [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }];
    const result = await model.chat(user("Weather?"), { tools, maxTokens: 100 });
    expect(result.finishReason).toBe("tool_calls");
    expect(result.toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), name: "get_weather", arguments: '{"city":"Paris"}' }]);
    const grammars = context.samplers.map((s) => s.options.grammar).filter(Boolean);
    expect(grammars).toHaveLength(1);
    expect(grammars[0]).toContain('"\\"city\\""');
  });

  it("ends at a stop string without showing it, and stops decoding", async () => {
    const { model, context } = await modelWith(() => ["<|channel|>final<|message|>one two STOP three four five six<|return|>"]);
    const result = await model.chat(user("Count"), { stop: ["STOP"], maxTokens: 100 });
    expect(result.content).toBe("one two ");
    expect(result.finishReason).toBe("stop");
    expect(context.tokensOf(0).length).toBeLessThan(context.batches[0]!.tokens.length + 8);
  });

  it("maxReasoningTokens 0 writes the final header itself, skipping analysis", async () => {
    // The forced header is decoded with the prompt, so the script sees it at the end of the prompt.
    const { model, context, tokenizer } = await modelWith((prompt) => [prompt.endsWith("<|channel|>final<|message|>") ? "Direct.<|return|>" : ANSWER]);
    const result = await model.chat(user("Hi"), { maxReasoningTokens: 0, maxTokens: 50 });
    expect(result).toMatchObject({ content: "Direct.", reasoning: "", finishReason: "stop" });
    const firstBatch = context.batches[0]!.tokens;
    const header = tokenizer.encodeWithSpecials("<|start|>assistant<|channel|>final<|message|>");
    expect(firstBatch.slice(-header.length)).toEqual(header);
  });

  it("a reasoning budget ends the analysis and forces the final header", async () => {
    const long = "<|channel|>analysis<|message|> a b c d e f g h i j k<|end|><|start|>assistant<|channel|>final<|message|>late<|return|>";
    const cut = "<|channel|>analysis<|message|> a b c<|end|><|start|>assistant<|channel|>final<|message|>On time.<|return|>";
    const { model } = await modelWith(() => [long, cut]);
    const result = await model.chat(user("Hi"), { maxReasoningTokens: 3, maxTokens: 50 });
    expect(result).toMatchObject({ reasoning: " a b c", content: "On time.", finishReason: "stop" });
    expect(result.usage.reasoningTokens).toBe(3);
  });

  it("toolChoice by name forces the call header; required offers a header grammar", async () => {
    const named = '<|channel|>commentary to=functions.b <|constrain|>json<|message|>{}<|call|>';
    const { model, context } = await modelWith(() => [named]);
    const tools = [{ name: "a" }, { name: "b" }];
    const result = await model.chat(user("Go"), { tools, toolChoice: { name: "b" }, maxReasoningTokens: 0, maxTokens: 50 });
    expect(result.toolCalls.map((c) => c.name)).toEqual(["b"]);
    expect(context.batches[0]!.samplers[0]!.options.grammar).toContain("{");

    const { model: free, context: freeContext } = await modelWith(() => [named]);
    await free.chat(user("Go"), { tools, toolChoice: "required", maxTokens: 50 });
    const headerGrammar = freeContext.batches[0]!.samplers[0]!.options.grammar!;
    expect(headerGrammar).toContain(`<[${HarmonyToken.channel}]>`);
    expect(headerGrammar).toContain('"commentary to=functions.a"');
    expect(headerGrammar).toContain('"analysis"');
    expect(headerGrammar).not.toContain('"final"');
  });

  it("parses and validates structured output; invalid output is returned without parsed, never thrown", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"], additionalProperties: false };
    const { model } = await modelWith((prompt) => [prompt.includes("valid") && !prompt.includes("invalid") ? '<|channel|>final<|message|>{"ok":true}<|return|>' : '<|channel|>final<|message|>{"ok":1}<|return|>']);
    const good = await model.chat(user("valid please"), { responseFormat: { type: "json_schema", schema }, maxTokens: 50 });
    expect(good.parsed).toEqual({ ok: true });
    const bad = await model.chat(user("invalid please"), { responseFormat: { type: "json_schema", schema }, maxTokens: 50 });
    expect(bad.parsed).toBeUndefined();
    expect(bad.content).toBe('{"ok":1}');
  });

  it("turns output that fits no harmony shape into a well-formed result", async () => {
    const garbage = "<|message|>stray<|constrain|><|end|>text<|start|><|channel|><|reserved_200013|>more<|call|>";
    const { model } = await modelWith(() => [garbage]);
    const result = await model.chat(user("?"), { maxTokens: 60 });
    expect(["stop", "tool_calls", "length"]).toContain(result.finishReason);
    expect(result.content + result.reasoning).not.toMatch(/<\|/);
  });
});

describe("errors, cancellation and reuse", () => {
  it("validates options with one message style", async () => {
    const { model } = await modelWith(() => [ANSWER]);
    await expect(model.chat(user("x"), { temperature: -1 })).rejects.toThrow(
      "Expected number between 0 and 100 for temperature but received -1 of type number",
    );
    await expect(model.chat(user("x"), { toolChoice: "required" })).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
    await expect(model.chat([], {})).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
    await expect(model.chat(user("x"), { responseFormat: { type: "json_schema", schema: { type: "object", not: {} } } })).rejects.toMatchObject({
      code: "ERR_SCHEMA_INVALID",
    });
  });

  it("refuses a responseFormat that is not an object with the uniform message", async () => {
    const { model } = await modelWith(() => [ANSWER]);
    await expect(model.chat(user("x"), { responseFormat: null as never })).rejects.toThrow(
      "Expected object for responseFormat but received null of type null",
    );
  });

  it("refuses a grammar that does not parse before any work, not after the analysis", async () => {
    const { model, context } = await modelWith(() => [ANSWER]);
    const events: StreamEvent[] = [];
    const error = await (async () => {
      for await (const event of model.stream(user("x"), { grammar: 'answer ::= "yes"', maxTokens: 100 })) events.push(event);
    })().catch((e) => e);
    expect(hasCode(error, "ERR_GRAMMAR_INVALID")).toBe(true);
    expect(events).toEqual([]);
    expect(context.batches).toHaveLength(0);
    expect(context.samplers.every((s) => s.disposed)).toBe(true);
  });

  it("refuses a prompt plus maxTokens beyond the context before any work, but not beyond a slot's share", async () => {
    const { model, context } = await modelWith(() => [ANSWER], { contextSize: 512, sequences: 2 });
    const error = await model.chat(user("Hi"), { maxTokens: 500 }).catch((e) => e);
    expect(hasCode(error, "ERR_CONTEXT_OVERFLOW")).toBe(true);
    expect(error.message).toMatch(/maximum context length is 512 tokens\. However, you requested \d+ tokens \(\d+ in the messages, 500 in the completion\)/);
    expect(context.batches).toHaveLength(0);
    await expect(model.chat(user("Hi"), { maxTokens: 300 })).resolves.toMatchObject({ content: expect.any(String) });
  });

  it("refuses an inverted repetition in a hand-written grammar before the native parser sees it", async () => {
    const { model, context } = await modelWith(() => [ANSWER]);
    for (const grammar of ['root ::= "a"{5,2}', 'root ::= x\nx ::= [a-z]{ 3 , 1 }']) {
      await expect(model.chat(user("Hi"), { grammar, maxTokens: 10 }), grammar).rejects.toMatchObject({ code: "ERR_GRAMMAR_INVALID" });
    }
    expect(context.samplers).toHaveLength(0);
    // The same characters inside a literal, a character class or a comment are no repetition.
    await expect(model.chat(user("Hi"), { grammar: 'root ::= "{5,2}" [{5,2}] "a"{2,5} # {5,2}\n', maxTokens: 10 })).resolves.toBeDefined();
  });

  it("an abort rejects with ERR_ABORTED and frees the slot", async () => {
    const endless = `<|channel|>final<|message|>${"la ".repeat(500)}`;
    const { model } = await modelWith(() => [endless], { sequences: 1 });
    const abort = new AbortController();
    const pending = model.chat(user("Sing"), { signal: abort.signal, maxTokens: 400 });
    setTimeout(() => abort.abort(), 5);
    await expect(pending).rejects.toMatchObject({ code: "ERR_ABORTED" });
    const next = await model.chat(user("Again"), { maxTokens: 3 });
    expect(next.finishReason).toBe("length");
  });

  it("a follow-up turn reuses the cached conversation prefix", async () => {
    const { model } = await modelWith(() => ["<|channel|>final<|message|>Hello there!<|return|>"], { sequences: 1 });
    const first = await model.chat(user("Hi"), { maxTokens: 50 });
    expect(first.usage.cachedPromptTokens).toBe(0);
    const second = await model.chat(
      [...user("Hi"), { role: "assistant", content: first.content }, ...user("And now?")],
      { maxTokens: 50 },
    );
    expect(second.usage.cachedPromptTokens).toBeGreaterThan(first.usage.promptTokens);
  });
});

describe("runTools", () => {
  it("runs tools round by round, feeds errors back, keeps the chain of thought", async () => {
    const callBoth =
      "<|channel|>analysis<|message|>Need data.<|end|><|start|>assistant<|channel|>commentary to=functions.lookup <|constrain|>json<|message|>{\"q\":\"x\"}<|call|>";
    const second = "<|channel|>commentary to=functions.broken <|constrain|>json<|message|>{}<|call|>";
    const done = "<|channel|>final<|message|>All done.<|return|>";
    const prompts: string[] = [];
    const { model } = await modelWith((prompt) => {
      prompts.push(prompt);
      if (prompt.includes("exploded")) return [done];
      if (prompt.includes("result-for-x")) return [second];
      return [callBoth];
    });
    const calls: unknown[] = [];
    const result = await model.runTools(user("Do it"), {
      tools: {
        lookup: { parameters: { type: "object", properties: { q: { type: "string" } } }, execute: (args) => (calls.push(args), { value: "result-for-x" }) },
        broken: { execute: () => { throw new Error("exploded"); } },
      },
      maxTokens: 100,
    });
    expect(result.rounds).toBe(3);
    expect(result.finishReason).toBe("stop");
    expect(result.content).toBe("All done.");
    expect(calls).toEqual([{ q: "x" }]);
    const toolMessages = result.messages.filter((m) => m.role === "tool");
    expect(toolMessages.map((m) => m.content)).toEqual(['{"value":"result-for-x"}', '{"error":"exploded"}']);
    // Round 2's prompt still carries round 1's chain of thought.
    expect(prompts.find((p) => p.includes("result-for-x"))).toContain("Need data.");
  });

  it("stops after maxRounds with the pending calls", async () => {
    const call = "<|channel|>commentary to=functions.again <|constrain|>json<|message|>{}<|call|>";
    const { model } = await modelWith(() => [call]);
    let runs = 0;
    const result = await model.runTools(user("Loop"), { tools: { again: { execute: () => ++runs } }, maxRounds: 2, maxTokens: 50 });
    expect(result).toMatchObject({ rounds: 2, finishReason: "tool_calls" });
    expect(runs).toBe(1);
  });
});
