// What the model receives: reasoning-effort precedence, defaults, and request fields → GenerationOptions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type GptOssServer } from "../../src/server/index.js";
import { FakeModel } from "../helpers/fake-model.js";

const model = new FakeModel();
let server: GptOssServer;

beforeAll(async () => {
  // Server defaults differ from the library's so that the test sees which one applied.
  server = createServer({
    models: [{ id: "fake", model }],
    defaults: { reasoningEffort: "low", maxTokens: 333, temperature: 0.2, topP: 0.5 },
    gpuProbe: false,
  });
  await server.app.ready();
});
afterAll(() => server.shutdown({ timeoutMs: 100 }));

async function send(body: Record<string, unknown>, url = "/v1/chat/completions") {
  const response = await server.app.inject({ method: "POST", url, payload: body });
  expect(response.statusCode, response.body).toBe(200);
  return { body: response.json(), call: model.lastCall! };
}

const user = { role: "user", content: "hi" };

describe("reasoning fields → library options (the library resolves the effort)", () => {
  it("passes no effort when the request sets none, and the server's defaults as defaults", async () => {
    const { call } = await send({ messages: [user] });
    expect(call.options.reasoningEffort).toBeUndefined();
    expect(call.options.defaults).toEqual({ reasoningEffort: "low", maxTokens: 333, temperature: 0.2, topP: 0.5 });
  });

  it("leaves a system message's Reasoning: line to the library", async () => {
    const messages = [{ role: "system", content: "Be brief.\nReasoning: HIGH" }, user];
    const { call } = await send({ messages });
    expect(call.options.reasoningEffort).toBeUndefined();
    expect(call.messages).toEqual(messages);
  });

  it("takes reasoning_effort, then reasoning.effort, then reasoning_level", async () => {
    expect((await send({ messages: [user], reasoning_level: "medium" })).call.options.reasoningEffort).toBe("medium");
    expect((await send({ messages: [user], reasoning_level: "low", reasoning: { effort: "high" } })).call.options.reasoningEffort).toBe("high");
    expect((await send({ messages: [user], reasoning_effort: "high", reasoning_level: "low" })).call.options.reasoningEffort).toBe("high");
  });

  it("maps OpenAI efforts gpt-oss was not trained with onto the nearest", async () => {
    expect((await send({ messages: [user], reasoning_effort: "minimal" })).call.options).toMatchObject({ reasoningEffort: "low" });
    expect((await send({ messages: [user], reasoning_effort: "xhigh" })).call.options).toMatchObject({ reasoningEffort: "high" });
    expect((await send({ messages: [user], reasoning_effort: "none" })).call.options).toMatchObject({ reasoningEffort: "low", maxReasoningTokens: 0 });
    // An explicit budget wins over the one `none` implies.
    expect((await send({ messages: [user], reasoning_effort: "none", reasoning: { max_tokens: 5 } })).call.options).toMatchObject({ maxReasoningTokens: 5 });
  });

  it("accepts the OpenRouter reasoning object: effort, max_tokens budget, exclude, enabled", async () => {
    const { call, body } = await send({ messages: [user], reasoning: { effort: "high", max_tokens: 64, exclude: true } });
    expect(call.options.reasoningEffort).toBe("high");
    expect(call.options.maxReasoningTokens).toBe(64);
    expect(body.choices[0].message.reasoning).toBeUndefined();
    expect(body.choices[0].message.reasoning_content).toBeUndefined();
    expect(body.choices[0].message.content).toBe("Hello from the fake model.");
    expect((await send({ messages: [user], reasoning: { enabled: false } })).call.options.maxReasoningTokens).toBe(0);
  });

  it("uses reasoning.effort of the Responses API and echoes the effort the library will use", async () => {
    const explicit = await send({ input: "hi", reasoning: { effort: "high" } }, "/v1/responses");
    expect(explicit.call.options.reasoningEffort).toBe("high");
    expect(explicit.body.reasoning.effort).toBe("high");
    const input = [{ role: "system", content: "Reasoning: medium" }, user];
    const line = await send({ input }, "/v1/responses");
    expect(line.call.options.reasoningEffort).toBeUndefined();
    expect(line.call.messages).toEqual(input);
    expect(line.body.reasoning.effort).toBe("medium");
    expect((await send({ input: "hi" }, "/v1/responses")).body.reasoning.effort).toBe("low");
  });
});

describe("generation options", () => {
  it("sets only what the request sets: omitted fields fall to the defaults the library applies", async () => {
    const { call } = await send({ messages: [user] });
    for (const key of ["maxTokens", "temperature", "topP", "reasoningEffort"] as const) expect(call.options[key], key).toBeUndefined();
    expect(call.options.defaults).toMatchObject({ maxTokens: 333, temperature: 0.2, topP: 0.5 });
  });

  it("maps sampling fields and max_completion_tokens", async () => {
    const { call } = await send({ messages: [user], max_tokens: 10, max_completion_tokens: 20, temperature: 0, top_p: 1, seed: 42, stop: "END", frequency_penalty: 0.5 });
    expect(call.options).toMatchObject({ maxTokens: 20, temperature: 0, topP: 1, seed: 42, stop: ["END"], frequencyPenalty: 0.5 });
  });

  it("maps tools, a named tool_choice, json_schema and grammar", async () => {
    const parameters = { type: "object", properties: { city: { type: "string" } } };
    const tools = [{ type: "function", function: { name: "get_weather", description: "Weather now", parameters } }];
    const { call } = await send({ messages: [user], tools, tool_choice: { type: "function", function: { name: "get_weather" } } });
    expect(call.options.tools).toEqual([{ name: "get_weather", description: "Weather now", parameters }]);
    expect(call.options.toolChoice).toEqual({ name: "get_weather" });

    const schema = { type: "object", properties: { a: { type: "number" } }, required: ["a"] };
    const structured = await send({ messages: [user], response_format: { type: "json_schema", json_schema: { name: "thing", schema, strict: true } } });
    expect(structured.call.options.responseFormat).toEqual({ type: "json_schema", name: "thing", schema, strict: true });

    const grammar = 'root ::= "yes" | "no"';
    expect((await send({ messages: [user], grammar })).call.options.grammar).toBe(grammar);
  });

  it("maps Responses API fields: instructions, flat tools, text.format, max_output_tokens", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" } } };
    const { call } = await send(
      {
        input: "hi",
        instructions: "Answer in French.",
        tools: [{ type: "function", name: "lookup", parameters: { type: "object" } }],
        tool_choice: "required",
        text: { format: { type: "json_schema", name: "r", schema } },
        max_output_tokens: 77,
      },
      "/v1/responses",
    );
    expect(call.options).toMatchObject({
      instructions: "Answer in French.",
      tools: [{ name: "lookup", parameters: { type: "object" } }],
      toolChoice: "required",
      responseFormat: { type: "json_schema", name: "r", schema },
      maxTokens: 77,
    });
  });
});

describe("input messages", () => {
  it("round-trips reasoning under any client name and names tool results", async () => {
    const toolCall = { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } };
    const { call } = await send({
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather " }, { type: "text", text: "in Paris?" }] },
        { role: "assistant", content: null, reasoning_content: "Need the tool.", tool_calls: [toolCall] },
        { role: "tool", tool_call_id: "call_1", content: "18C" },
        { role: "assistant", content: "It is 18C.", thinking: "Done." },
      ],
    });
    expect(call.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: null, reasoning: "Need the tool.", toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }] },
      { role: "tool", toolCallId: "call_1", name: "get_weather", content: "18C" },
      { role: "assistant", content: "It is 18C.", reasoning: "Done." },
    ]);
  });

  it("converts Responses input items: reasoning, function_call, function_call_output", async () => {
    const { call } = await send(
      {
        input: [
          { role: "user", content: [{ type: "input_text", text: "Weather?" }] },
          { type: "reasoning", content: [{ type: "reasoning_text", text: "Call it." }], summary: [] },
          { type: "function_call", call_id: "c9", name: "get_weather", arguments: "{}" },
          { type: "function_call_output", call_id: "c9", output: "sunny" },
        ],
      },
      "/v1/responses",
    );
    expect(call.messages).toEqual([
      { role: "user", content: "Weather?" },
      { role: "assistant", content: null, reasoning: "Call it.", toolCalls: [{ id: "c9", name: "get_weather", arguments: "{}" }] },
      { role: "tool", toolCallId: "c9", name: "get_weather", content: "sunny" },
    ]);
  });
});
