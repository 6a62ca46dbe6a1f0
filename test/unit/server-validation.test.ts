// Every client mistake is a 4xx in OpenAI's error shape naming the field; never a 500, never a crash.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GptOssError } from "../../src/errors.js";
import { createServer, type GptOssServer } from "../../src/server/index.js";
import type { Model } from "../../src/chat/types.js";
import { FakeModel } from "../helpers/fake-model.js";
import { createScriptedModel, harmonyScript } from "../helpers/scripted-context.js";

const model = new FakeModel();
let server: GptOssServer;
/** The library's own checks (reasoning effort, context window) run in the real ChatModel, over a scripted context. */
let libraryServer: GptOssServer;
let scripted: Model;

beforeAll(async () => {
  server = createServer({ models: [{ id: "fake", model }], bodyLimitBytes: 64 * 1024, gpuProbe: false });
  await server.app.ready();
  ({ model: scripted } = await createScriptedModel({
    contextSize: 512,
    sequences: 2,
    script: (t) => harmonyScript(t, () => ["<|channel|>final<|message|>ok<|return|>"]),
  }));
  libraryServer = createServer({ models: [{ id: "scripted", model: scripted }], gpuProbe: false });
  await libraryServer.app.ready();
});
afterAll(async () => {
  await server.shutdown({ timeoutMs: 100 });
  await libraryServer.shutdown({ timeoutMs: 100 });
  await scripted.dispose();
});

const libraryChat = (body: object) => libraryServer.app.inject({ method: "POST", url: "/v1/chat/completions", payload: body });

const chat = (body: unknown, headers: Record<string, string> = {}) =>
  server.app.inject({
    method: "POST",
    url: "/v1/chat/completions",
    headers: { "content-type": "application/json", ...headers },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });

const user = [{ role: "user", content: "hi" }];

/** Asserts OpenAI's error shape and returns the error object. */
function expectError(response: { statusCode: number; json(): any }, status: number, code: string, param: string | null = null) {
  expect(response.statusCode).toBe(status);
  const body = response.json();
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(body.error.code).toBe(code);
  expect(body.error.param).toBe(param);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error;
}

describe("chat completions validation", () => {
  it("rejects malformed JSON", async () => {
    expectError(await chat('{"model": "fake", "messages": ['), 400, "invalid_json");
  });

  it("rejects a body that is not an object", async () => {
    expectError(await chat([1, 2]), 400, "invalid_json");
  });

  it("rejects an empty body", async () => {
    expectError(await chat(""), 400, "invalid_json");
  });

  it("rejects a non-JSON content type with 415", async () => {
    const response = await server.app.inject({ method: "POST", url: "/v1/chat/completions", headers: { "content-type": "text/plain" }, payload: "hi" });
    expectError(response, 415, "unsupported_media_type");
  });

  it("rejects an oversized body with 413", async () => {
    const big = "x".repeat(70 * 1024);
    expectError(await chat({ model: "fake", messages: [{ role: "user", content: big }] }), 413, "request_too_large");
  });

  it("names a missing or empty messages field", async () => {
    expectError(await chat({ model: "fake" }), 400, "missing_required_parameter", "messages");
    expectError(await chat({ model: "fake", messages: [] }), 400, "invalid_value", "messages");
    expectError(await chat({ model: "fake", messages: "hi" }), 400, "invalid_type", "messages");
  });

  it("names bad messages", async () => {
    expectError(await chat({ messages: [{ role: "wizard", content: "x" }] }), 400, "invalid_value", "messages[0].role");
    expectError(await chat({ messages: [{ content: "x" }] }), 400, "missing_required_parameter", "messages[0].role");
    expectError(await chat({ messages: [{ role: "user" }] }), 400, "missing_required_parameter", "messages[0].content");
    expectError(await chat({ messages: [{ role: "user", content: 5 }] }), 400, "invalid_type", "messages[0].content");
    expectError(
      await chat({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] }),
      400,
      "invalid_value",
      "messages[0].content[0].type",
    );
    expectError(await chat({ messages: [...user, { role: "tool", tool_call_id: "nope", content: "1" }] }), 400, "invalid_value", "messages[1].tool_call_id");
  });

  it("names wrongly typed and out-of-range parameters", async () => {
    const error = expectError(await chat({ messages: user, temperature: "hot" }), 400, "invalid_type", "temperature");
    expect(error.message).toContain("expected a number");
    expectError(await chat({ messages: user, temperature: 3 }), 400, "invalid_value", "temperature");
    expectError(await chat({ messages: user, top_p: 1.5 }), 400, "invalid_value", "top_p");
    expectError(await chat({ messages: user, max_tokens: 0 }), 400, "invalid_value", "max_tokens");
    expectError(await chat({ messages: user, max_tokens: 1.5 }), 400, "invalid_type", "max_tokens");
    expectError(await chat({ messages: user, seed: "1" }), 400, "invalid_type", "seed");
    expectError(await chat({ messages: user, stop: [1] }), 400, "invalid_type", "stop[0]");
    expectError(await chat({ messages: user, stream: "yes" }), 400, "invalid_type", "stream");
    expectError(await chat({ messages: user, n: 2 }), 400, "unsupported_parameter", "n");
    expectError(await chat({ messages: user, model: 7 }), 400, "invalid_type", "model");
  });

  it("rejects a bad reasoning effort wherever it is given (the library's check, the field named)", async () => {
    expectError(await libraryChat({ messages: user, reasoning_effort: "extreme" }), 400, "invalid_reasoning_effort", "reasoning_effort");
    expectError(await libraryChat({ messages: user, reasoning_level: 3 }), 400, "invalid_reasoning_effort", "reasoning_level");
    expectError(await libraryChat({ messages: user, reasoning: { effort: "max" } }), 400, "invalid_reasoning_effort", "reasoning.effort");
    // A system message's Reasoning line is read by the same rule as the library's: an unknown value is refused.
    const line = expectError(await libraryChat({ messages: [{ role: "system", content: "Reasoning: extreme" }, ...user] }), 400, "invalid_reasoning_effort");
    expect(line.message).toContain("extreme");
    // OpenAI's efforts gpt-oss has no level for are mapped, not refused.
    for (const effort of ["minimal", "none", "xhigh", " HIGH "]) {
      expect((await libraryChat({ messages: user, reasoning_effort: effort, max_tokens: 8 })).statusCode, effort).toBe(200);
    }
  });

  it("refuses an explicit max_tokens that cannot fit with the prompt, naming both numbers; an omitted one fits itself", async () => {
    const error = expectError(await libraryChat({ messages: user, max_tokens: 600 }), 400, "context_length_exceeded", "messages");
    expect(error.message).toMatch(/maximum context length is 512 tokens\. However, you requested \d+ tokens \(\d+ in the messages, 600 in the completion\)/);
    const served = await libraryChat({ messages: user });
    expect(served.statusCode, served.body).toBe(200);
    expect(served.json().choices[0].message.content).toBe("ok");
  });

  it("validates tools, tool_choice and response_format", async () => {
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
    expectError(await chat({ messages: user, tools: [{ type: "code_interpreter" }] }), 400, "invalid_value", "tools[0].type");
    expectError(await chat({ messages: user, tools: [{ type: "function", function: { name: "bad name!" } }] }), 400, "invalid_value", "tools[0].function.name");
    expectError(await chat({ messages: user, tools: [{ type: "function", function: { name: "f", parameters: "x" } }] }), 400, "invalid_schema", "tools[0].function.parameters");
    expectError(await chat({ messages: user, tools, tool_choice: { type: "function", function: { name: "other" } } }), 400, "invalid_value", "tool_choice");
    expectError(await chat({ messages: user, tool_choice: "required" }), 400, "invalid_value", "tool_choice");
    expectError(await chat({ messages: user, response_format: { type: "xml" } }), 400, "invalid_value", "response_format.type");
    expectError(await chat({ messages: user, response_format: { type: "json_schema", json_schema: { name: "x", schema: [] } } }), 400, "invalid_schema", "response_format.json_schema.schema");
    expectError(await chat({ messages: user, response_format: { type: "json_object" }, grammar: 'root ::= "a"' }), 400, "invalid_value", "grammar");
  });

  it("answers 404 model_not_found for an unknown model", async () => {
    const error = expectError(await chat({ model: "gpt-4o", messages: user }), 404, "model_not_found", "model");
    expect(error.message).toContain("'fake'");
  });

  it("maps library errors: context overflow 400, bad schema 400, busy 503", async () => {
    model.script({ error: new GptOssError("ERR_CONTEXT_OVERFLOW", "Prompt (5000 tokens) + max_tokens exceed the context (4096).") });
    const overflow = expectError(await chat({ messages: user }), 400, "context_length_exceeded", "messages");
    expect(overflow.message).toContain("4096");
    // A schema the server's own check passes, refused by the library (the server checks the same bounds first).
    model.script({ error: new GptOssError("ERR_SCHEMA_INVALID", "Unsupported keyword $dynamicRef.") });
    expectError(await chat({ messages: user, response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } } }), 400, "invalid_schema", "response_format");
    model.script({ error: new GptOssError("ERR_BUSY", "All 2 slots are taken and the queue (64) is full.") });
    expectError(await chat({ messages: user }), 503, "server_busy");
    // The same errors on the streaming path are still plain HTTP errors (raised before any chunk).
    model.script({ error: new GptOssError("ERR_CONTEXT_OVERFLOW", "The prompt is too long for the context.") });
    expectError(await chat({ messages: user, stream: true }), 400, "context_length_exceeded", "messages");
  });

  it("a schema keyword the grammar cannot enforce is a 400 naming it, for response formats and tool arguments", async () => {
    const unique = { type: "object", properties: { tags: { type: "array", uniqueItems: true } } };
    const format = await libraryChat({ messages: user, response_format: { type: "json_schema", json_schema: { name: "x", schema: unique } } });
    expectError(format, 400, "invalid_schema", "response_format");
    expect(format.json().error.message).toContain("uniqueItems");
    const tool = await libraryChat({ messages: user, tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { n: { type: "string", pattern: "^(?=a)" } } } } }] });
    expect(tool.statusCode).toBe(400);
    expect(tool.json().error.code).toBe("invalid_schema");
    expect(tool.json().error.message).toContain("lookaround");
  });

  it("hides internal failures behind a 500 without details", async () => {
    model.script({ error: new Error("segfault-ish secret detail") });
    const response = await chat({ messages: user });
    const error = expectError(response, 500, "internal_error");
    expect(error.message).not.toContain("secret");
    expect(error.message).toContain(`Request id: ${response.headers["x-request-id"]}.`);
  });

  it("answers unknown routes in the same shape", async () => {
    expectError(await server.app.inject({ method: "GET", url: "/v1/nothing" }), 404, "not_found");
  });
});

describe("responses validation", () => {
  const responses = (body: unknown) => server.app.inject({ method: "POST", url: "/v1/responses", payload: body as object });

  it("names bad input", async () => {
    expectError(await responses({ model: "fake" }), 400, "missing_required_parameter", "input");
    expectError(await responses({ input: 5 }), 400, "invalid_type", "input");
    expectError(await responses({ input: [{ type: "web_search_call" }] }), 400, "invalid_value", "input[0].type");
    expectError(await responses({ input: [{ type: "function_call_output", call_id: "c1", output: "1" }] }), 400, "invalid_value", "input[0].call_id");
    expectError(await responses({ input: "hi", max_output_tokens: -1 }), 400, "invalid_value", "max_output_tokens");
    expectError(await responses({ input: "hi", reasoning: { effort: "huge" } }), 400, "invalid_reasoning_effort", "reasoning.effort");
    expectError(await responses({ input: "hi", text: { format: { type: "json_schema", name: "x" } } }), 400, "invalid_schema", "text.format.schema");
  });

  it("answers 404 for an unknown previous_response_id", async () => {
    expectError(await responses({ input: "hi", previous_response_id: "resp_missing" }), 404, "previous_response_not_found", "previous_response_id");
  });
});
