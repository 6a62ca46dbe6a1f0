// The client libraries people use, unmodified, against the server on the tiny model (random weights: these
// check the protocol each library speaks — shapes, streaming, tool calls, schemas — not prose). Every library
// gets a fetch that adds `reasoning: {max_tokens: 0}` (an extension field) so the random model answers at once.
import { ChatOpenAI } from "@langchain/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled } from "@openai/agents";
import { generateText, Output, streamText } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Model } from "../../src/chat/types.js";
import { loadModel } from "../../src/index.js";
import { tinyModelPath } from "../helpers/fixture.js";
import { startServer, type Harness } from "./harness.js";

const KEY = "client-key";
const BROWSER_ORIGIN = "http://localhost:5173";
let model: Model;
let h: Harness;
let client: OpenAI;

/** fetch that adds `reasoning: {max_tokens: 0}` to every JSON body. */
const noReasoningFetch: typeof fetch = (input, init) => {
  if (typeof init?.body === "string") {
    const body = JSON.parse(init.body) as Record<string, unknown>;
    init = { ...init, body: JSON.stringify({ ...body, reasoning: { ...(body.reasoning as object), max_tokens: 0 } }) };
  }
  return fetch(input, init);
};

beforeAll(async () => {
  model = await loadModel(await tinyModelPath(), { contextSize: 2048, parallel: 2 });
  h = await startServer({ tiny: model }, { apiKeys: [KEY], cors: [BROWSER_ORIGIN] }, KEY);
  client = new OpenAI({ baseURL: `${h.baseUrl}/v1`, apiKey: KEY, maxRetries: 0, fetch: noReasoningFetch });
});
afterAll(async () => {
  await h?.close();
  await model?.dispose();
});

/** zod's .int() with bounds and an enum: the grammar must hold both (strings would never end on random weights). */
const Pick = z.object({ score: z.number().int().min(1).max(10), color: z.enum(["red", "blue"]), count: z.number().int() });
const checkPick = (value: unknown) => {
  const parsed = Pick.parse(value);
  expect(Number.isSafeInteger(parsed.count)).toBe(true);
  return parsed;
};
const weather = { name: "get_weather", parameters: { type: "object", properties: { unit: { enum: ["c", "f"] } }, required: ["unit"], additionalProperties: false } };

describe("openai 7", () => {
  it("chat, streaming and the request id", async () => {
    const { data, response } = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 6 }).withResponse();
    expect(data.choices[0]!.finish_reason).toMatch(/stop|length/);
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    const stream = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 6, stream: true });
    let chunks = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) chunks++;
    expect(chunks).toBeGreaterThan(0);
  });

  it("a required tool call and structured output from zod", async () => {
    const completion = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Weather?" }], tools: [{ type: "function", function: weather }], tool_choice: "required", max_tokens: 60 });
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(call.type === "function" && JSON.parse(call.function.arguments)).toMatchObject({ unit: expect.stringMatching(/^[cf]$/) });
    const structured = await client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Pick" }],
      response_format: { type: "json_schema", json_schema: { name: "pick", strict: true, schema: z.toJSONSchema(Pick) as Record<string, unknown> } },
      max_tokens: 80,
    });
    checkPick(JSON.parse(structured.choices[0]!.message.content!));
  });

  it("responses: create, retrieve, input items, delete", async () => {
    const created = await client.responses.create({ model: "tiny", input: "Hello", max_output_tokens: 6 });
    const retrieved = await client.responses.retrieve(created.id);
    expect(retrieved.id).toBe(created.id);
    expect(retrieved.output_text).toBe(created.output_text);
    const items = await client.responses.inputItems.list(created.id);
    expect(items.data.map((item) => item.type)).toEqual(["message"]);
    await client.responses.delete(created.id);
    await expect(client.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
  });
});

describe("Vercel AI SDK with @ai-sdk/openai-compatible", () => {
  const provider = () => // supportsStructuredOutputs: without it the provider sends json_object and drops the schema.
    createOpenAICompatible({ name: "gpt-oss", baseURL: `${h.baseUrl}/v1`, apiKey: KEY, fetch: noReasoningFetch, supportsStructuredOutputs: true });

  it("generateText and streamText", async () => {
    const text = await generateText({ model: provider()("tiny"), prompt: "Hi", maxOutputTokens: 6 });
    expect(text.usage.outputTokens).toBeGreaterThan(0);
    const stream = streamText({ model: provider()("tiny"), prompt: "Hi", maxOutputTokens: 6 });
    let deltas = 0;
    for await (const delta of stream.textStream) if (delta) deltas++;
    expect(deltas).toBeGreaterThan(0);
  });

  it("structured output from a zod schema with integer bounds", async () => {
    const result = await generateText({ model: provider().chatModel("tiny"), prompt: "Pick", output: Output.object({ schema: Pick }), maxOutputTokens: 80 });
    checkPick(result.output);
  });
});

describe("@langchain/openai", () => {
  const chat = () => new ChatOpenAI({ model: "tiny", apiKey: KEY, maxTokens: 80, maxRetries: 0, configuration: { baseURL: `${h.baseUrl}/v1`, fetch: noReasoningFetch } });

  it("invoke, stream and withStructuredOutput", async () => {
    const message = await chat().invoke("Hi");
    expect(typeof message.content).toBe("string");
    let chunks = 0;
    for await (const chunk of await chat().stream("Hi")) if (chunk.content) chunks++;
    expect(chunks).toBeGreaterThan(0);
    checkPick(await chat().withStructuredOutput(Pick, { method: "jsonSchema", strict: true }).invoke("Pick"));
  });

  it("tool calls", async () => {
    const withTool = chat().bindTools([{ type: "function", function: weather }], { tool_choice: "required" });
    const message = await withTool.invoke("Weather?");
    expect(message.tool_calls?.[0]).toMatchObject({ name: "get_weather", args: { unit: expect.stringMatching(/^[cf]$/) } });
  });
});

describe("@openai/agents", () => {
  it("runs an agent over chat completions", async () => {
    setTracingDisabled(true);
    setDefaultOpenAIClient(client);
    setOpenAIAPI("chat_completions");
    const agent = new Agent({ name: "tiny", instructions: "Be brief.", model: "tiny", modelSettings: { maxTokens: 6 } });
    const result = await run(agent, "Hi");
    expect(typeof result.finalOutput).toBe("string");
  });
});

describe("a browser origin", () => {
  it("gets its preflight answered without a key and CORS headers on the call", async () => {
    const preflight = await fetch(`${h.baseUrl}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: { origin: BROWSER_ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(BROWSER_ORIGIN);
    const call = await fetch(`${h.baseUrl}/v1/models`, { headers: { origin: BROWSER_ORIGIN, authorization: `Bearer ${KEY}` } });
    expect(call.status).toBe(200);
    expect(call.headers.get("access-control-allow-origin")).toBe(BROWSER_ORIGIN);
  });
});
