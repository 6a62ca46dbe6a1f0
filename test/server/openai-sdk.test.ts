// The official `openai` SDK against a real socket, with a scripted fake model behind the server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeModel } from "../helpers/fake-model.js";
import { assertPrometheusText, startServer, type Harness } from "./harness.js";

const model = new FakeModel();
const other = new FakeModel({ content: "I am the other model." }, { contextSize: 1024, parallel: 1 });
let h: Harness;

beforeAll(async () => {
  h = await startServer({ "gpt-oss-20b": model, small: other });
});
afterAll(() => h.close());

const weatherTool = {
  type: "function" as const,
  function: { name: "get_weather", description: "Current weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};

describe("chat completions", () => {
  it("answers a plain chat with reasoning, usage and the model id", async () => {
    const completion = await h.client.chat.completions.create({ model: "gpt-oss-20b", messages: [{ role: "user", content: "Hello" }], max_tokens: 50 });
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe("gpt-oss-20b");
    const choice = completion.choices[0];
    expect(choice.message.content).toBe("Hello from the fake model.");
    expect((choice.message as any).reasoning).toBe("The user greets me.");
    expect((choice.message as any).reasoning_content).toBe("The user greets me.");
    expect(choice.finish_reason).toBe("stop");
    expect(completion.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 9, total_tokens: 20, completion_tokens_details: { reasoning_tokens: 4 } });
    expect(model.lastCall?.options.maxTokens).toBe(50);
  });

  it("routes by model id", async () => {
    const completion = await h.client.chat.completions.create({ model: "small", messages: [{ role: "user", content: "who?" }] });
    expect(completion.choices[0].message.content).toBe("I am the other model.");
  });

  it("streams: role first, reasoning, content, finish reason, usage, [DONE]", async () => {
    const stream = await h.client.chat.completions.create({
      model: "gpt-oss-20b",
      messages: [{ role: "user", content: "Hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    const reasoning = chunks.map((c) => (c.choices[0]?.delta as any)?.reasoning ?? "").join("");
    const content = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(reasoning).toBe("The user greets me.");
    expect(content).toBe("Hello from the fake model.");
    const finish = chunks.at(-2)!;
    expect(finish.choices[0].finish_reason).toBe("stop");
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage?.total_tokens).toBe(20);
    for (const chunk of chunks) expect(chunk.object).toBe("chat.completion.chunk");
    // The SDK hides [DONE]: check it on the wire.
    const raw = await fetch(`${h.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    expect(raw.headers.get("content-type")).toContain("text/event-stream");
    expect((await raw.text()).trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("returns and streams tool calls", async () => {
    const toolCall = { id: "call_abc", name: "get_weather", arguments: '{"city":"Paris"}' };
    model.script({ reasoning: "Need weather.", toolCalls: [toolCall] });
    const completion = await h.client.chat.completions.create({ model: "gpt-oss-20b", messages: [{ role: "user", content: "Weather in Paris?" }], tools: [weatherTool], tool_choice: "required" });
    expect(completion.choices[0].finish_reason).toBe("tool_calls");
    expect(completion.choices[0].message.content).toBeNull();
    expect(completion.choices[0].message.tool_calls).toEqual([{ id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }]);
    expect(model.lastCall?.options.toolChoice).toBe("required");

    model.script({ toolCalls: [toolCall] });
    const stream = h.client.chat.completions.stream({ model: "gpt-oss-20b", messages: [{ role: "user", content: "Weather?" }], tools: [weatherTool] });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0].message.tool_calls?.[0]).toMatchObject({ id: "call_abc", function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    expect(final.choices[0].finish_reason).toBe("tool_calls");
  });

  it("passes json_schema through and returns the JSON text", async () => {
    model.script({ content: '{"answer":42}' });
    const schema = { type: "object", properties: { answer: { type: "number" } }, required: ["answer"], additionalProperties: false };
    const completion = await h.client.chat.completions.create({
      model: "gpt-oss-20b",
      messages: [{ role: "user", content: "answer" }],
      response_format: { type: "json_schema", json_schema: { name: "result", schema, strict: true } },
    });
    expect(JSON.parse(completion.choices[0].message.content!)).toEqual({ answer: 42 });
    expect(model.lastCall?.options.responseFormat).toEqual({ type: "json_schema", name: "result", schema, strict: true });
  });

  it("turns an unknown model into the SDK's NotFoundError", async () => {
    await expect(h.client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    });
  });
});

describe("responses API", () => {
  it("answers, stores, and continues with previous_response_id", async () => {
    const first = await h.client.responses.create({ model: "gpt-oss-20b", input: "My name is Ada.", instructions: "Be nice.", reasoning: { effort: "high" } });
    expect(first.object).toBe("response");
    expect(first.status).toBe("completed");
    expect(first.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    expect(first.output_text).toBe("Hello from the fake model.");
    expect(first.usage?.output_tokens_details.reasoning_tokens).toBe(4);
    expect(model.lastCall?.options).toMatchObject({ reasoningEffort: "high", instructions: "Be nice." });

    const second = await h.client.responses.create({ model: "gpt-oss-20b", input: "What is my name?", previous_response_id: first.id });
    expect(second.previous_response_id).toBe(first.id);
    expect(model.lastCall?.messages).toEqual([
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: "Hello from the fake model.", reasoning: "The user greets me." },
      { role: "user", content: "What is my name?" },
    ]);
  });

  it("continues a tool loop: function_call output answers the stored call", async () => {
    model.script({ toolCalls: [{ id: "call_w", name: "get_weather", arguments: '{"city":"Oslo"}' }] });
    const tools = [{ type: "function" as const, name: "get_weather", parameters: weatherTool.function.parameters, strict: false }];
    const first = await h.client.responses.create({ model: "gpt-oss-20b", input: "Weather in Oslo?", tools });
    const call = first.output.find((item) => item.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", call_id: "call_w", name: "get_weather", arguments: '{"city":"Oslo"}' });
    await h.client.responses.create({
      model: "gpt-oss-20b",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "call_w", output: "-3C" }],
      tools,
    });
    expect(model.lastCall?.messages.at(-1)).toEqual({ role: "tool", toolCallId: "call_w", name: "get_weather", content: "-3C" });
  });

  it("streams events with sequence numbers that the SDK accumulates", async () => {
    model.script({ reasoning: "Think.", content: "Streamed answer.", toolCalls: [{ id: "c1", name: "get_weather", arguments: '{"city":"Rome"}' }] });
    const stream = h.client.responses.stream({ model: "gpt-oss-20b", input: "go" });
    const types: string[] = [];
    const sequence: number[] = [];
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
    }
    const final = await stream.finalResponse();
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    for (const type of ["response.output_item.added", "response.reasoning_text.delta", "response.output_text.delta", "response.function_call_arguments.delta", "response.output_item.done"]) {
      expect(types).toContain(type);
    }
    expect(final.output_text).toBe("Streamed answer.");
    expect(final.output.map((item) => item.type)).toEqual(["reasoning", "message", "function_call"]);
    expect(final.output[2]).toMatchObject({ arguments: '{"city":"Rome"}', status: "completed" });
  });
});

describe("models, health, metrics", () => {
  it("lists every model with its geometry", async () => {
    const list = await h.client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(["gpt-oss-20b", "small"]);
    expect(list.data[1]).toMatchObject({ object: "model", owned_by: "openai", context_length: 1024, architecture: "gpt-oss", total_parameters: 20_914_757_184, active_parameters: 3_610_000_000 });
    expect((await h.client.models.retrieve("small")).id).toBe("small");
  });

  it("reports health", async () => {
    const response = await fetch(`${h.baseUrl}/v1/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    expect(body).toMatchObject({ status: "healthy", model: "gpt-oss-20b", active_requests: 0 });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    expect(body.memory_usage_gb).toBeGreaterThan(0);
  });

  it("exposes Prometheus metrics that count what happened", async () => {
    const response = await fetch(`${h.baseUrl}/v1/metrics`);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const samples = assertPrometheusText(await response.text());
    expect(samples.get('gpt_oss_requests_total{route="/v1/chat/completions",status="200"}')).toBeGreaterThanOrEqual(6);
    expect(samples.get('gpt_oss_request_count{status="404"}')).toBeGreaterThanOrEqual(1);
    expect(samples.get('gpt_oss_completion_tokens_total{model="gpt-oss-20b"}')).toBeGreaterThan(0);
    expect(samples.get('gpt_oss_time_to_first_token_seconds_count{model="gpt-oss-20b"}')).toBeGreaterThan(0);
    expect(samples.get("gpt_oss_avg_latency_ms")).toBeGreaterThan(0);
    expect(samples.get("gpt_oss_active_requests")).toBe(0);
    expect(samples.has('gpt_oss_kv_cache_usage_ratio{model="small"}')).toBe(true);
    expect(samples.has('gpt_oss_queue_depth{model="gpt-oss-20b"}')).toBe(true);
  });
});
