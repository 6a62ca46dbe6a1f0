// model: "auto" routes by the documented default policy (or a custom one); the response names the model that
// answered, and metrics count the pick.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, defaultRoutingPolicy, type GptOssServer } from "../../src/server/index.js";
import { FakeModel } from "../helpers/fake-model.js";

const small = new FakeModel({ content: "small" }, { parameterCount: 20e9, contextSize: 8192 });
const large = new FakeModel({ content: "large" }, { parameterCount: 120e9, contextSize: 8192 });
let server: GptOssServer;

beforeAll(async () => {
  // The large one first: "first served" must not be what auto means.
  server = createServer({ models: [{ id: "gpt-oss-120b", model: large }, { id: "gpt-oss-20b", model: small }], gpuProbe: false });
  await server.app.ready();
});
afterAll(async () => {
  await server.shutdown({ timeoutMs: 100 });
});

async function chat(body: object, headers: Record<string, string> = {}) {
  const response = await server.app.inject({ method: "POST", url: "/v1/chat/completions", headers: { "content-type": "application/json", ...headers }, payload: JSON.stringify({ model: "auto", ...body }) });
  expect(response.statusCode, response.body).toBe(200);
  const json = response.json();
  return { model: json.model as string, content: json.choices[0].message.content as string };
}

const user = (content: string) => [{ role: "user", content }];
const tool = { type: "function", function: { name: "f", parameters: { type: "object", properties: {} } } };

describe('model: "auto"', () => {
  it("short plain requests go to the smallest model, and the response names it", async () => {
    expect(await chat({ messages: user("hi") })).toEqual({ model: "gpt-oss-20b", content: "small" });
  });

  it("high effort, tools, a long prompt or a hint go to the largest", async () => {
    expect((await chat({ messages: user("hi"), reasoning_effort: "high" })).model).toBe("gpt-oss-120b");
    expect((await chat({ messages: [{ role: "system", content: "Reasoning: high" }, ...user("hi")] })).model).toBe("gpt-oss-120b");
    expect((await chat({ messages: user("hi"), tools: [tool] })).model).toBe("gpt-oss-120b");
    expect((await chat({ messages: user("word ".repeat(2000)) })).model).toBe("gpt-oss-120b");
    expect((await chat({ messages: user("hi") }, { "x-model-hint": "large" })).content).toBe("large");
    expect((await chat({ messages: user("hi"), reasoning_effort: "high" }, { "x-model-hint": "gpt-oss-20b" })).model).toBe("gpt-oss-20b");
  });

  it("responses route the same way", async () => {
    const response = await server.app.inject({ method: "POST", url: "/v1/responses", payload: { model: "auto", input: "hi", reasoning: { effort: "high" } } });
    expect(response.json().model).toBe("gpt-oss-120b");
  });

  it("metrics count each pick by model and reason", async () => {
    const text = (await server.app.inject({ method: "GET", url: "/v1/metrics" })).body;
    expect(text).toMatch(/gpt_oss_routed_requests_total\{model="gpt-oss-20b",reason="default"\} [1-9]/);
    expect(text).toMatch(/gpt_oss_routed_requests_total\{model="gpt-oss-120b",reason="tools"\} 1/);
    expect(text).toMatch(/gpt_oss_routed_requests_total\{model="gpt-oss-120b",reason="hint"\} 1/);
    expect(text).toMatch(/gpt_oss_completion_tokens_total\{model="gpt-oss-20b"\}/);
  });

  it("a custom policy replaces the default", async () => {
    const custom = createServer({
      models: [{ id: "a", model: small }, { id: "b", model: large }],
      routing: (request, models) => ({ id: request.estimatedPromptTokens > 3 ? "a" : models[1]!.id, reason: "custom" }),
      gpuProbe: false,
    });
    const answer = async (content: string) =>
      (await custom.app.inject({ method: "POST", url: "/v1/chat/completions", payload: { model: "auto", messages: user(content) } })).json().model;
    expect(await answer("hi")).toBe("b");
    expect(await answer("a longer question")).toBe("a");
    await custom.shutdown({ timeoutMs: 100 });
  });

  it("the default policy answers with the only model when one is ready", () => {
    const policy = defaultRoutingPolicy();
    const only = { id: "x", created: 0, state: "ready" as const, model: small };
    expect(policy({ messages: [], estimatedPromptTokens: 99999, toolCount: 3, reasoningEffort: "high" }, [only])).toMatchObject({ id: "x" });
  });
});
