// The real library on the tiny synthetic model (random weights: output is gibberish, but its shape is not).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../src/chat/types.js";
import { loadModel } from "../../src/index.js";
import { tinyModelPath } from "../helpers/fixture.js";
import { assertPrometheusText, startServer, type Harness } from "./harness.js";

let model: Model;
let h: Harness;

beforeAll(async () => {
  model = await loadModel(await tinyModelPath(), { contextSize: 2048, parallel: 2 });
  h = await startServer({ tiny: model });
});
afterAll(async () => {
  await h?.close();
  await model?.dispose();
});

const weatherTool = {
  type: "function" as const,
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};

/** OpenRouter-style reasoning budget 0 (an extension field the SDK's types do not know). */
const noReasoning = { reasoning: { max_tokens: 0 } } as {};

describe("end to end on the tiny model", () => {
  it("chats within max_tokens", async () => {
    const completion = await h.client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Hello" }], max_tokens: 8, reasoning_effort: "low" });
    expect(completion.choices[0].finish_reason).toMatch(/^(stop|length)$/);
    expect(completion.usage!.completion_tokens).toBeLessThanOrEqual(8);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(10);
    expect(typeof completion.choices[0].message.content).toBe("string");
  });

  it("streams chunks and [DONE] with usage", async () => {
    const stream = await h.client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 6, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks.at(-2)!.choices[0].finish_reason).toMatch(/^(stop|length)$/);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeLessThanOrEqual(6);
  });

  it("calls a tool when tool_choice is required", async () => {
    // Random weights would ramble in the analysis channel until max_tokens: a zero reasoning budget skips it.
    const completion = await h.client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [weatherTool],
      tool_choice: "required",
      max_tokens: 40,
      ...noReasoning,
    });
    const calls = completion.choices[0].message.tool_calls ?? [];
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls[0]).toMatchObject({ type: "function", function: { name: "get_weather" } });
    expect(calls[0].id).toMatch(/\S/);
  });

  it("returns JSON that parses and fits the schema", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"], additionalProperties: false };
    const completion = await h.client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Answer in JSON." }],
      response_format: { type: "json_schema", json_schema: { name: "answer", schema, strict: true } },
      max_tokens: 200,
      temperature: 0,
      ...noReasoning,
    });
    const parsed = JSON.parse(completion.choices[0].message.content!) as { ok: unknown };
    expect(typeof parsed.ok).toBe("boolean");
  });

  it("frees the slot when the client disconnects mid-stream", async () => {
    const controller = new AbortController();
    const stream = await h.client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Tell a long story." }], max_tokens: 900, stream: true }, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    controller.abort();
    const started = Date.now();
    while (model.stats().activeRequests > 0) {
      if (Date.now() - started > 5000) throw new Error("the generation was not cancelled");
      await new Promise((r) => setTimeout(r, 20));
    }
    const samples = assertPrometheusText(await (await fetch(`${h.baseUrl}/v1/metrics`)).text());
    expect(samples.get("gpt_oss_active_requests")).toBe(0);
    expect(model.stats().completionTokensTotal).toBeLessThan(900);
  });

  it("answers the Responses API", async () => {
    const response = await h.client.responses.create({ model: "tiny", input: "Hi", max_output_tokens: 8, reasoning: { effort: "low" } });
    expect(response.object).toBe("response");
    expect(["completed", "incomplete"]).toContain(response.status);
    expect(response.usage!.output_tokens).toBeLessThanOrEqual(8);
  });
});
