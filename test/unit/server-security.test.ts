// API keys, rate limits and the concurrency cap, seen from a client.
import { afterEach, describe, expect, it } from "vitest";
import type { Model } from "../../src/chat/types.js";
import { createServer, type GptOssServer } from "../../src/server/index.js";
import { FakeModel } from "../helpers/fake-model.js";
import { createScriptedModel, harmonyScript } from "../helpers/scripted-context.js";

let server: GptOssServer | undefined;
afterEach(async () => {
  await server?.shutdown({ timeoutMs: 100 });
  server = undefined;
});

function start(options: Omit<Parameters<typeof createServer>[0], "models"> = {}, model: Model = new FakeModel()) {
  server = createServer({ models: [{ id: "fake", model }], gpuProbe: false, ...options });
  return server;
}

const chatBody = { messages: [{ role: "user", content: "hi" }] };
const post = (s: GptOssServer, headers: Record<string, string> = {}, payload: object = chatBody) =>
  s.app.inject({ method: "POST", url: "/v1/chat/completions", headers, payload });

describe("API keys", () => {
  it("requires a known bearer key on every route but health", async () => {
    const s = start({ apiKeys: ["sk-one", "sk-two"] });
    const missing = await post(s);
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    expect(missing.headers["www-authenticate"]).toContain("Bearer");
    expect((await post(s, { authorization: "Bearer sk-wrong" })).statusCode).toBe(401);
    expect((await post(s, { authorization: "Bearer sk-on" })).statusCode).toBe(401);
    expect((await post(s, { authorization: "sk-one" })).statusCode).toBe(401);
    expect((await post(s, { authorization: "Bearer sk-two" })).statusCode).toBe(200);
    expect((await s.app.inject({ url: "/v1/models" })).statusCode).toBe(401);
    expect((await s.app.inject({ url: "/v1/metrics" })).statusCode).toBe(401);
    expect((await s.app.inject({ url: "/v1/models", headers: { authorization: "bearer sk-one" } })).statusCode).toBe(200);
    expect((await s.app.inject({ url: "/v1/health" })).statusCode).toBe(200);
  });

  it("lets everything in when no key is configured", async () => {
    expect((await post(start())).statusCode).toBe(200);
  });
});

describe("rate limiting", () => {
  it("answers 429 with Retry-After once the burst is spent, per key", async () => {
    const s = start({ apiKeys: ["a", "b"], rateLimit: { requestsPerSecond: 0.5, burst: 2 } });
    expect((await post(s, { authorization: "Bearer a" })).statusCode).toBe(200);
    expect((await post(s, { authorization: "Bearer a" })).statusCode).toBe(200);
    const limited = await post(s, { authorization: "Bearer a" });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    // One token per 2 s: the next one is at most 2 s away.
    expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(2);
    expect((await post(s, { authorization: "Bearer b" })).statusCode).toBe(200);
    expect((await s.app.inject({ url: "/v1/health" })).statusCode).toBe(200);
  });
});

describe("concurrency cap", () => {
  it("refuses with 503 and Retry-After when every slot is busy and the engine's queue is full", async () => {
    const { model } = await createScriptedModel({
      sequences: 1,
      maxQueue: 1,
      decodeDelayMs: 5,
      script: (t) => harmonyScript(t, () => ["<|channel|>final<|message|>done here<|return|>"]),
    });
    const s = start({}, model);
    const first = post(s);
    const second = post(s);
    await new Promise((r) => setTimeout(r, 10));
    const refused = await post(s);
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatchObject({ type: "server_error", code: "server_busy" });
    expect(refused.headers["retry-after"]).toBe("1");
    expect((await first).json().choices[0].message.content).toBe("done here");
    expect((await second).json().choices[0].message.content).toBe("done here");
    await model.dispose();
  });

  it("answers 503 model_loading while the model loads, then serves it", async () => {
    let finishLoading!: (m: FakeModel) => void;
    const loading = new Promise<FakeModel>((resolve) => (finishLoading = resolve));
    server = createServer({ models: [{ id: "fake", model: loading }], gpuProbe: false });
    const early = await post(server);
    expect(early.statusCode).toBe(503);
    expect(early.json().error.code).toBe("model_loading");
    const health = await server.app.inject({ url: "/v1/health" });
    expect(health.statusCode).toBe(503);
    expect(health.json().status).toBe("unavailable");
    finishLoading(new FakeModel());
    await server.registry.settled;
    expect((await post(server)).statusCode).toBe(200);
    expect((await server.app.inject({ url: "/v1/health" })).json().status).toBe("healthy");
  });

  it("reports a failed load as 503 model_unavailable and degraded health", async () => {
    server = createServer({
      models: [
        { id: "good", model: new FakeModel() },
        { id: "broken", model: Promise.reject(new Error("file is truncated")) },
      ],
      gpuProbe: false,
    });
    await server.registry.settled;
    const response = await post(server, {}, { ...chatBody, model: "broken" });
    expect(response.statusCode).toBe(503);
    expect(response.json().error.message).toContain("file is truncated");
    expect((await server.app.inject({ url: "/v1/health" })).json().status).toBe("degraded");
  });
});
