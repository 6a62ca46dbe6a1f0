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

describe("reasoning effort precedence", () => {
  it("falls back to the server default", async () => {
    expect((await send({ messages: [user] })).call.options.reasoningEffort).toBe("low");
  });

  it("takes a Reasoning: line from the system message and removes it", async () => {
    const { call } = await send({ messages: [{ role: "system", content: "Be brief.\nReasoning: HIGH" }, user] });
    expect(call.options.reasoningEffort).toBe("high");
    expect(call.messages[0]).toEqual({ role: "system", content: "Be brief." });
  });

  it("reads the line with CRLF line ends, and the first of several as the library does", async () => {
    const crlf = await send({ messages: [{ role: "system", content: "Be brief.\r\nReasoning: high\r\nThanks." }, user] });
    expect(crlf.call.options.reasoningEffort).toBe("high");
    expect(crlf.call.messages[0]).toEqual({ role: "system", content: "Be brief.\r\n\nThanks." });
    const several = await send({
      messages: [{ role: "system", content: "Reasoning: medium" }, { role: "system", content: "Reasoning: high" }, user],
    });
    expect(several.call.options.reasoningEffort).toBe("medium");
    expect(several.call.messages).toEqual([user]);
  });

  it("drops a system message that only held the Reasoning: line", async () => {
    const { call } = await send({ messages: [{ role: "system", content: "reasoning: medium" }, user] });
    expect(call.options.reasoningEffort).toBe("medium");
    expect(call.messages).toEqual([user]);
  });

  it("prefers reasoning_level over the system line", async () => {
    const { call } = await send({ reasoning_level: "medium", messages: [{ role: "system", content: "Reasoning: high" }, user] });
    expect(call.options.reasoningEffort).toBe("medium");
  });

  it("prefers reasoning_effort over reasoning_level and the system line", async () => {
    const { call } = await send({ reasoning_effort: "high", reasoning_level: "low", messages: [{ role: "system", content: "Reasoning: medium" }, user] });
    expect(call.options.reasoningEffort).toBe("high");
  });

  it("accepts the OpenRouter reasoning object: effort, max_tokens budget, exclude", async () => {
    const { call, body } = await send({ messages: [user], reasoning: { effort: "high", max_tokens: 64, exclude: true } });
    expect(call.options.reasoningEffort).toBe("high");
    expect(call.options.maxReasoningTokens).toBe(64);
    expect(body.choices[0].message.reasoning).toBeUndefined();
    expect(body.choices[0].message.reasoning_content).toBeUndefined();
    expect(body.choices[0].message.content).toBe("Hello from the fake model.");
  });

  it("uses reasoning.effort of the Responses API and the system line there too", async () => {
    expect((await send({ input: "hi", reasoning: { effort: "high" } }, "/v1/responses")).call.options.reasoningEffort).toBe("high");
    const { call } = await send({ input: [{ role: "system", content: "Reasoning: medium" }, user] }, "/v1/responses");
    expect(call.options.reasoningEffort).toBe("medium");
    expect(call.messages).toEqual([user]);
  });
});

describe("generation options", () => {
  it("applies the server defaults when fields are omitted", async () => {
    const { call } = await send({ messages: [user] });
    expect(call.options).toMatchObject({ maxTokens: 333, temperature: 0.2, topP: 0.5 });
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
