// HTTP details clients rely on: CORS and preflights, request ids, 405 + Allow, framework errors in OpenAI's shape,
// public health probes, model entries, and stored responses read back (GET/DELETE, input_items).
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type GptOssServer } from "../../src/server/index.js";
import { parseServeConfig } from "../../src/cli/serve.js";
import { FakeModel } from "../helpers/fake-model.js";

const KEY = "secret-key";
const AUTH = { authorization: `Bearer ${KEY}` };
const APP_ORIGIN = "https://app.example";
const model = new FakeModel();
let server: GptOssServer;

beforeAll(async () => {
  server = createServer({ models: [{ id: "fake", model }], apiKeys: [KEY], cors: [APP_ORIGIN], gpuProbe: false });
  await server.app.ready();
});
afterAll(async () => {
  await server.shutdown({ timeoutMs: 100 });
});

const inject = (method: "GET" | "POST" | "DELETE" | "OPTIONS" | "PUT", url: string, headers: Record<string, string> = {}, payload?: object) =>
  server.app.inject({ method, url, headers: { ...(payload && { "content-type": "application/json" }), ...headers }, ...(payload && { payload: JSON.stringify(payload) }) });

function expectOpenAiError(response: { statusCode: number; json(): any }, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  const body = response.json();
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(body.error.code).toBe(code);
}

describe("CORS", () => {
  it("answers a preflight from an allowed origin without a key", async () => {
    const response = await inject("OPTIONS", "/v1/chat/completions", {
      origin: APP_ORIGIN,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, x-stainless-os",
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers["access-control-allow-origin"]).toBe(APP_ORIGIN);
    expect(response.headers["access-control-allow-methods"]).toContain("POST");
    expect(response.headers["access-control-allow-headers"]).toContain("x-stainless-os");
  });

  it("marks real responses for the allowed origin only", async () => {
    const allowed = await inject("GET", "/v1/models", { ...AUTH, origin: APP_ORIGIN });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers["access-control-allow-origin"]).toBe(APP_ORIGIN);
    expect(String(allowed.headers["access-control-expose-headers"])).toContain("x-request-id");
    const other = await inject("OPTIONS", "/v1/models", { origin: "https://evil.example", "access-control-request-method": "GET" });
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
    expect(other.statusCode).toBe(401);
  });

  it("is off by default", async () => {
    const plain = createServer({ models: [{ id: "fake", model }], gpuProbe: false });
    const response = await plain.app.inject({ method: "GET", url: "/v1/models", headers: { origin: APP_ORIGIN } });
    expect(response.headers["access-control-allow-origin"]).toBeUndefined();
    await plain.shutdown({ timeoutMs: 100 });
  });

  it("--cors is repeatable or '*' alone", () => {
    const env = { GPT_OSS_MODEL: "demo" };
    expect(parseServeConfig(["--cors", "https://a.example", "--cors", "http://localhost:3000"], env).server.cors).toEqual(["https://a.example", "http://localhost:3000"]);
    expect(parseServeConfig(["--cors", "*"], env).server.cors).toBe("*");
    expect(parseServeConfig([], env).server.cors).toBeUndefined();
    expect(() => parseServeConfig(["--cors", "*", "--cors", "https://a.example"], env)).toThrow(/alone/);
    expect(() => parseServeConfig(["--cors", "app.example"], env)).toThrow(/origin/);
  });
});

describe("request ids", () => {
  it("every response has x-request-id; a client's X-Client-Request-Id is echoed", async () => {
    const a = await inject("GET", "/v1/models", AUTH);
    const b = await inject("GET", "/v1/nothing", AUTH);
    const c = await inject("GET", "/v1/models");
    for (const response of [a, b, c]) expect(String(response.headers["x-request-id"])).toMatch(/^req_[0-9a-f]{24}$/);
    expect(a.headers["x-request-id"]).not.toBe(b.headers["x-request-id"]);
    const echoed = await inject("GET", "/v1/models", { ...AUTH, "x-client-request-id": "my-trace-42" });
    expect(echoed.headers["x-request-id"]).toBe("my-trace-42");
  });
});

describe("routes and framework errors", () => {
  it("a wrong method on a known path is 405 with Allow", async () => {
    const response = await inject("GET", "/v1/chat/completions", AUTH);
    expectOpenAiError(response, 405, "method_not_allowed");
    expect(response.headers.allow).toBe("POST");
    const item = await inject("PUT", "/v1/responses/resp_x", AUTH);
    expectOpenAiError(item, 405, "method_not_allowed");
    expect(item.headers.allow).toBe("DELETE, GET");
    expectOpenAiError(await inject("GET", "/v1/unknown", AUTH), 404, "not_found");
  });

  it("a header too large is a 431 in OpenAI's shape", async () => {
    const url = await server.listen({ port: 0 });
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${url}/v1/models`, { headers: { "x-big": "a".repeat(40_000) } }, (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(431);
    expect(JSON.parse(body).error).toMatchObject({ code: "request_header_fields_too_large", type: "invalid_request_error" });
  });

  it("/health and /v1/health are public", async () => {
    for (const url of ["/health", "/v1/health"]) {
      const response = await inject("GET", url);
      expect(response.statusCode, url).toBe(200);
      expect(response.json().status).toBe("healthy");
    }
    expect((await inject("GET", "/v1/models")).statusCode).toBe(401);
  });

  it("model entries carry the fields of OpenAI's model object", async () => {
    const entry = (await inject("GET", "/v1/models", AUTH)).json().data[0];
    expect(entry).toMatchObject({ id: "fake", object: "model", root: "fake", parent: null, permission: [], owned_by: "openai" });
    expect(entry.max_input_tokens).toBe(entry.context_length);
    expect(entry.max_input_tokens).toBeGreaterThan(0);
  });
});

describe("stored responses", () => {
  it("GET returns the response as created, input_items lists its input, DELETE removes it", async () => {
    model.script({ content: "stored answer" });
    const created = (await inject("POST", "/v1/responses", AUTH, { model: "fake", input: [{ role: "user", content: "first" }, { role: "user", content: "second" }] })).json();
    const got = await inject("GET", `/v1/responses/${created.id}`, AUTH);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(created);
    const items = (await inject("GET", `/v1/responses/${created.id}/input_items`, AUTH)).json();
    expect(items).toMatchObject({ object: "list", has_more: false });
    expect(items.data.map((item: any) => item.content[0].text)).toEqual(["second", "first"]);
    expect(items.first_id).toBe(items.data[0].id);
    const page = (await inject("GET", `/v1/responses/${created.id}/input_items?order=asc&limit=1`, AUTH)).json();
    expect(page.data.map((item: any) => item.content[0].text)).toEqual(["first"]);
    expect(page.has_more).toBe(true);
    const deleted = await inject("DELETE", `/v1/responses/${created.id}`, AUTH);
    expect(deleted.json()).toEqual({ id: created.id, object: "response", deleted: true });
    expectOpenAiError(await inject("GET", `/v1/responses/${created.id}`, AUTH), 404, "response_not_found");
    expectOpenAiError(await inject("DELETE", `/v1/responses/${created.id}`, AUTH), 404, "response_not_found");
  });

  it("store: false is never retrievable", async () => {
    const created = (await inject("POST", "/v1/responses", AUTH, { model: "fake", input: "hi", store: false })).json();
    expect(created.id).toMatch(/^resp_/);
    expectOpenAiError(await inject("GET", `/v1/responses/${created.id}`, AUTH), 404, "response_not_found");
  });
});
