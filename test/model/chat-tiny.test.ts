// The library API end to end on the tiny synthetic model (random weights: tests check structure, not prose).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../src/index.js";
import type { Model } from "../../src/chat/types.js";
import { validateJson } from "../../src/grammar/json-schema-validate.js";
import { tinyModelPath } from "../helpers/fixture.js";

const user = (content: string) => [{ role: "user" as const, content }];
let model: Model;

beforeAll(async () => {
  model = await loadModel(await tinyModelPath(), { contextSize: 4096, parallel: 4, threads: 2, gpu: false });
});
afterAll(async () => {
  await model?.dispose();
});

describe("loadModel → chat → dispose on the tiny model", () => {
  it("loads with the requested geometry and reports it", () => {
    expect(model.info).toMatchObject({ architecture: "gpt-oss", contextSize: 4096, parallel: 4, backend: "CPU", vocabSize: 201088 });
    expect(model.info.activeParameterCount).toBeLessThan(model.info.parameterCount);
    expect(model.tokenize("hello world")).toEqual([24912, 2375]);
    expect(model.detokenize([24912, 2375])).toBe("hello world");
  });

  it("returns a well-formed result whatever the random weights emit", async () => {
    const result = await model.chat(user("Hello"), { maxTokens: 12, seed: 1 });
    expect(["stop", "length", "tool_calls"]).toContain(result.finishReason);
    expect(result.usage.completionTokens).toBeLessThanOrEqual(12);
    expect(result.usage.promptTokens).toBeGreaterThan(10);
    expect(`${result.content}${result.reasoning}`).not.toMatch(/<\|(start|end|message|channel|return|call|constrain)\|>/);
  });

  it("is deterministic for a fixed seed", async () => {
    const options = { maxTokens: 16, seed: 1234, temperature: 1, maxReasoningTokens: 0 };
    const a = await model.chat(user("Tell me a story"), options);
    const b = await model.chat(user("Tell me a story"), options);
    expect(b.content).toBe(a.content);
    expect(a.content.length).toBeGreaterThan(0);
  });

  it("concurrent greedy requests each equal their solo output", async () => {
    const prompts = ["one", "two two", "three three three"];
    const options = { maxTokens: 10, temperature: 0, maxReasoningTokens: 0 };
    const solo: string[] = [];
    for (const p of prompts) solo.push((await model.chat(user(p), options)).content);
    const together = await Promise.all(prompts.map((p) => model.chat(user(`${p}`), options)));
    expect(together.map((r) => r.content)).toEqual(solo);
  });

  it("reuses the cached prompt of an identical request and still produces the same greedy output", async () => {
    const options = { maxTokens: 6, temperature: 0, maxReasoningTokens: 0 };
    const messages = user("A question about prefix caching that is long enough to matter.");
    const first = await model.chat(messages, options);
    const second = await model.chat(messages, options);
    expect(second.usage.cachedPromptTokens).toBeGreaterThanOrEqual(second.usage.promptTokens - 1);
    expect(second.content).toBe(first.content);
    const stats = model.stats();
    expect(stats.cachedPromptTokensTotal).toBeGreaterThan(0);
    expect(stats.activeRequests).toBe(0);
  });

  it("produces schema-valid JSON under a response format", async () => {
    const schema = {
      type: "object",
      properties: {
        answer: { type: "string", enum: ["yes", "no", "maybe"] },
        confident: { type: "boolean" },
        tag: { type: "string", maxLength: 3 },
        items: { type: "array", items: { type: "integer", enum: [1, 2, 3] }, minItems: 1, maxItems: 2 },
      },
      required: ["answer", "confident", "tag", "items"],
      additionalProperties: false,
    };
    const result = await model.chat(user("Answer in JSON"), {
      responseFormat: { type: "json_schema", schema },
      maxReasoningTokens: 0,
      maxTokens: 120,
      seed: 3,
    });
    expect(result.finishReason).toBe("stop");
    const value = JSON.parse(result.content);
    expect(validateJson(value, schema)).toEqual([]);
    expect(result.parsed).toEqual(value);
  });

  it("forces a tool call with schema-valid arguments (toolChoice required)", async () => {
    const tools = [
      { name: "get_weather", parameters: { type: "object", properties: { unit: { enum: ["c", "f"] } }, required: ["unit"] } },
      { name: "get_time", parameters: { type: "object", properties: { zone: { type: "string", maxLength: 4 } }, required: ["zone"] } },
    ];
    const result = await model.chat(user("Weather?"), { tools, toolChoice: "required", maxReasoningTokens: 0, maxTokens: 60, seed: 5 });
    expect(result.finishReason).toBe("tool_calls");
    expect(result.toolCalls).toHaveLength(1);
    const call = result.toolCalls[0]!;
    const tool = tools.find((t) => t.name === call.name)!;
    expect(validateJson(JSON.parse(call.arguments), tool.parameters)).toEqual([]);
  });

  it("stops at a stop string in the final answer", async () => {
    const grammar = 'root ::= "alpha beta gamma delta"';
    const full = await model.chat(user("Say it"), { grammar, maxReasoningTokens: 0, maxTokens: 30 });
    expect(full.content).toBe("alpha beta gamma delta");
    const cut = await model.chat(user("Say it"), { grammar, stop: ["gamma"], maxReasoningTokens: 0, maxTokens: 30 });
    expect(cut).toMatchObject({ content: "alpha beta ", finishReason: "stop" });
  });

  it("runs the tool loop with a forced first call", async () => {
    const seen: unknown[] = [];
    const result = await model.runTools(user("Use the tool"), {
      tools: {
        pick: {
          parameters: { type: "object", properties: { n: { type: "integer", enum: [1, 2] } }, required: ["n"] },
          execute: (args) => {
            seen.push(args);
            return { ok: true };
          },
        },
      },
      toolChoice: { name: "pick" },
      maxReasoningTokens: 0,
      maxRounds: 2,
      maxTokens: 40,
      seed: 9,
    });
    expect(seen).toHaveLength(1);
    expect([1, 2]).toContain((seen[0] as { n: number }).n);
    expect(result.messages.some((m) => m.role === "tool" && m.content === '{"ok":true}')).toBe(true);
    expect(result.rounds).toBeLessThanOrEqual(2);
  });

  it("an abort ends the request with ERR_ABORTED and frees its slot", async () => {
    const abort = new AbortController();
    const events: string[] = [];
    const run = (async () => {
      for await (const event of model.stream(user("Go on forever"), { maxTokens: 900, signal: abort.signal, maxReasoningTokens: 0, temperature: 0 })) {
        events.push(event.type);
        if (events.length === 3) abort.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ code: "ERR_ABORTED" });
    expect(model.stats().activeRequests).toBe(0);
  });

  it("refuses a request that cannot fit the context, but not one beyond a slot's share", { timeout: 240_000 }, async () => {
    await expect(model.chat(user("Hi"), { maxTokens: 4096 })).rejects.toMatchObject({ code: "ERR_CONTEXT_OVERFLOW" });
    // 4096 cells for 4 slots: one request still gets more than a quarter of them.
    const long = await model.chat(user("Hi"), { maxTokens: 1100, temperature: 0, maxReasoningTokens: 0 });
    expect(long.usage.promptTokens + long.usage.completionTokens).toBeGreaterThan(1024);
  });
});

describe("loading", () => {
  it("asking for a GPU backend that is absent gives ERR_BACKEND_UNAVAILABLE", async () => {
    const { loadNative } = await import("../../src/native/index.js");
    const addon = loadNative();
    addon.loadBackends();
    if (addon.listDevices().some((d) => d.backend === "Vulkan")) return; // this machine has one: nothing to check
    await expect(loadModel(await tinyModelPath(), { gpu: "vulkan" })).rejects.toMatchObject({ code: "ERR_BACKEND_UNAVAILABLE" });
  });

  it("an onProgress that throws stops the load and loadModel rejects with its error (the process lives on)", async () => {
    const thrown = new Error("progress handler failed");
    const phases: string[] = [];
    await expect(loadModel(await tinyModelPath(), {
      gpu: false, contextSize: 512, parallel: 1, threads: 2,
      onProgress: ({ phase, fraction }) => {
        phases.push(phase);
        if (phase === "load" && fraction > 0) throw thrown;
      },
    })).rejects.toBe(thrown);
    expect(phases).not.toContain("context");
    expect(model.info.contextSize).toBe(4096); // the suite's model is untouched
  });
});

describe("grammars on the native sampler", () => {
  it("llama.cpp accepts every grammar the schema builder writes", async () => {
    const schemas = [
      { type: "object", properties: { a: { type: "number" }, b: { type: "array", items: { type: "string" }, maxItems: 2 } } },
      { $defs: { n: { type: "object", properties: { next: { anyOf: [{ $ref: "#/$defs/n" }, { type: "null" }] } } } }, $ref: "#/$defs/n" },
      { type: "object", additionalProperties: { type: ["integer", "null"] } },
      { enum: ["a\"b", 1, null, { x: [true] }] },
      { type: "string", minLength: 2, maxLength: 5 },
      { type: "integer", minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
      { type: "number", exclusiveMinimum: -2.5, maximum: 1e3, multipleOf: 0.01 },
      { type: "integer", minimum: 0, maximum: 100, multipleOf: 5 },
      { type: "string", pattern: "^[A-Z][a-z]+(?: [A-Z][a-z]+)?\\.?$" },
      { type: "string", pattern: "x\\d" },
      ...["date", "time", "date-time", "uuid", "email", "uri"].map((format) => ({ type: "string", format })),
    ];
    for (const schema of schemas) {
      const result = await model.chat(user("JSON"), { responseFormat: { type: "json_schema", schema }, maxReasoningTokens: 0, maxTokens: 4, seed: 1 });
      expect(result.usage.completionTokens, JSON.stringify(schema)).toBeGreaterThan(0);
    }
    await expect(model.chat(user("x"), { grammar: "root ::= (", maxReasoningTokens: 0, maxTokens: 4 })).rejects.toMatchObject({
      code: "ERR_GRAMMAR_INVALID",
    });
    expect(model.stats().activeRequests).toBe(0);
  });

  it("bounded integers and numbers come out in range (enforced while sampling, not checked afterwards)", async () => {
    const schema = {
      type: "object",
      properties: {
        n: { type: "integer", minimum: 1, maximum: 10 },
        x: { type: "number", exclusiveMinimum: -1, exclusiveMaximum: 1 },
        big: { type: "integer" },
      },
      required: ["n", "x", "big"],
      additionalProperties: false,
    };
    for (const seed of [1, 2]) {
      const result = await model.chat(user("Numbers"), { responseFormat: { type: "json_schema", schema }, maxReasoningTokens: 0, maxTokens: 120, seed, temperature: 1.5 });
      expect(result.finishReason, result.content).toBe("stop");
      const value = JSON.parse(result.content) as { n: number; x: number; big: number };
      expect(value.n).toBeGreaterThanOrEqual(1);
      expect(value.n).toBeLessThanOrEqual(10);
      expect(Math.abs(value.x)).toBeLessThan(1);
      expect(Number.isSafeInteger(value.big), String(value.big)).toBe(true);
    }
  });
});
