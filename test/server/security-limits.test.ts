// Per-key permissions, the key file and the limits, against a real server on a real socket: 403 for a model or
// route a key may not use and /v1/models filtered; the key file reloaded on change (and kept when invalid); the
// request timeout cancelling a generation and freeing its slot; the per-key concurrency cap and token quota; the
// counts one request may hold (messages, input items, tools), schema bounds and the context size as 400s naming the
// field; logs free of keys and prompts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseServeConfig } from "../../src/cli/serve.js";
import { SCHEMA_LIMITS } from "../../src/grammar/json-schema.js";
import { DEFAULT_MAX_MESSAGES, DEFAULT_MAX_TOOLS, type ApiKeyEntry } from "../../src/server/index.js";
import { FakeModel } from "../helpers/fake-model.js";
import { createScriptedModel, harmonyScript } from "../helpers/scripted-context.js";
import { startServer, type Harness } from "./harness.js";

let h: Harness | undefined;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gpt-oss-keys-"));
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const until = async (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000) => {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

function keyFile(keys: ApiKeyEntry[]): string {
  const path = join(dir, "keys.json");
  writeFileSync(path, JSON.stringify({ keys }));
  return path;
}

/** A fastify logger writing into `lines` (JSON lines, as pino writes them). */
function capturedLogger(lines: string[], level = "trace") {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  return { level, stream };
}

interface Call {
  status: number;
  headers: Headers;
  body: { error?: { message: string; type: string; code: string; param: string | null }; data?: Array<{ id: string }>; model?: string };
}

async function call(baseUrl: string, key: string | undefined, path: string, body?: object): Promise<Call> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: body ? "POST" : "GET",
    headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body && { "content-type": "application/json" }) },
    ...(body && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text.startsWith("{") ? JSON.parse(text) : { raw: text } };
}

const chat = (model?: string, extra: object = {}) => ({ ...(model && { model }), messages: [{ role: "user", content: "hi" }], ...extra });

describe("per-key permissions", () => {
  it("answers 403 for a model or route the key may not use, and lists only its models", async () => {
    const path = keyFile([
      { key: "sk-chat-only-1234", name: "team-a", models: ["small"], routes: ["/v1/chat/completions", "/v1/models"] },
      { key: "sk-everything-5678", name: "admin" },
    ]);
    h = await startServer({ small: new FakeModel({ content: "small here" }, { parameterCount: 1e9 }), large: new FakeModel({ content: "large here" }) }, { apiKeyFile: path });

    const denied = await call(h.baseUrl, "sk-chat-only-1234", "/v1/chat/completions", chat("large"));
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ type: "invalid_request_error", code: "permission_denied", param: "model" });
    expect(denied.body.error!.message).toContain("'large'");
    expect(denied.body.error!.message).toContain("team-a");
    expect(denied.body.error!.message).not.toContain("sk-chat-only");

    const route = await call(h.baseUrl, "sk-chat-only-1234", "/v1/responses", { model: "small", input: "hi" });
    expect(route.status).toBe(403);
    expect(route.body.error).toMatchObject({ code: "permission_denied" });
    expect(route.body.error!.message).toContain("/v1/responses");
    expect((await call(h.baseUrl, "sk-chat-only-1234", "/v1/metrics")).status).toBe(403);
    expect((await call(h.baseUrl, "sk-chat-only-1234", "/v1/health")).status).toBe(200);

    expect((await call(h.baseUrl, "sk-chat-only-1234", "/v1/models")).body.data!.map((m) => m.id)).toEqual(["small"]);
    expect((await call(h.baseUrl, "sk-chat-only-1234", "/v1/models/large")).status).toBe(403);
    expect((await call(h.baseUrl, "sk-everything-5678", "/v1/models")).body.data!.map((m) => m.id)).toEqual(["small", "large"]);

    const allowed = await call(h.baseUrl, "sk-chat-only-1234", "/v1/chat/completions", chat("small"));
    expect(allowed.status).toBe(200);
    // No model named: the first one the key may use. "auto" is not in its list.
    expect((await call(h.baseUrl, "sk-chat-only-1234", "/v1/chat/completions", chat())).body.model).toBe("small");
    expect((await call(h.baseUrl, "sk-chat-only-1234", "/v1/chat/completions", chat("auto"))).status).toBe(403);
    expect((await call(h.baseUrl, "sk-everything-5678", "/v1/responses", { model: "large", input: "hi" })).status).toBe(200);
  });

  it("keeps each key's stored responses its own: another key gets 404 for reading, continuing or deleting them", async () => {
    h = await startServer({ fake: new FakeModel({ content: "stored" }) }, { apiKeyFile: keyFile([{ key: "sk-team-a", name: "a" }, { key: "sk-team-b", name: "b" }]) });
    const created = await call(h.baseUrl, "sk-team-a", "/v1/responses", { model: "fake", input: "hi" });
    expect(created.status).toBe(200);
    const id = (created.body as { id: string }).id;
    for (const path of [`/v1/responses/${id}`, `/v1/responses/${id}/input_items`]) {
      expect((await call(h.baseUrl, "sk-team-b", path)).body.error?.code).toBe("response_not_found");
      expect((await call(h.baseUrl, "sk-team-a", path)).status).toBe(200);
    }
    const continued = await call(h.baseUrl, "sk-team-b", "/v1/responses", { model: "fake", input: "more", previous_response_id: id });
    expect(continued.body.error?.code).toBe("previous_response_not_found");
    const deleted = await fetch(`${h.baseUrl}/v1/responses/${id}`, { method: "DELETE", headers: { authorization: "Bearer sk-team-b" } });
    expect(deleted.status).toBe(404);
    expect((await call(h.baseUrl, "sk-team-a", "/v1/responses", { model: "fake", input: "more", previous_response_id: id })).status).toBe(200);
  });

  it('routes "auto" only among the models the key may use', async () => {
    const path = keyFile([{ key: "sk-auto", name: "auto-small", models: ["auto", "small"] }]);
    h = await startServer({ small: new FakeModel({ content: "s" }, { parameterCount: 1e9 }), large: new FakeModel({ content: "l" }) }, { apiKeyFile: path });
    // High effort would pick the large model; this key may only reach the small one.
    const routed = await call(h.baseUrl, "sk-auto", "/v1/chat/completions", chat("auto", { reasoning_effort: "high" }));
    expect(routed.status).toBe(200);
    expect(routed.body.model).toBe("small");
  });
});

describe("key file reloads", () => {
  it("applies a changed file (a new key works, a removed key gets 401) and keeps the keys when the file is invalid", async () => {
    const lines: string[] = [];
    const path = keyFile([{ key: "sk-old-key", name: "old" }]);
    h = await startServer({ fake: new FakeModel() }, { apiKeyFile: path, logger: capturedLogger(lines, "info") });
    expect((await call(h.baseUrl, "sk-old-key", "/v1/models")).status).toBe(200);
    expect((await call(h.baseUrl, "sk-new-key", "/v1/models")).status).toBe(401);

    keyFile([{ key: "sk-new-key", name: "new" }]);
    await until(async () => (await call(h!.baseUrl, "sk-new-key", "/v1/models")).status === 200, "the new key to work");
    expect((await call(h.baseUrl, "sk-old-key", "/v1/models")).status).toBe(401);

    writeFileSync(path, '{"keys": [{"key": "sk-broken-key", "name": ');
    await until(() => lines.some((line) => line.includes("not valid JSON")), "the error line");
    expect((await call(h.baseUrl, "sk-new-key", "/v1/models")).status).toBe(200);
    expect((await call(h.baseUrl, "sk-broken-key", "/v1/models")).status).toBe(401);
    const errors = lines.filter((line) => line.includes('"level":50'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("keeping the keys in use");
    expect(lines.join("\n")).not.toMatch(/sk-(old|new|broken)-key/);

    // reloadApiKeys() (SIGHUP in the CLI) reads the file on demand.
    writeFileSync(path, JSON.stringify({ keys: [{ key: "sk-third-key" }] }));
    expect(h.server.reloadApiKeys()).toBe(true);
    expect((await call(h.baseUrl, "sk-third-key", "/v1/models")).status).toBe(200);
  });

  it("refuses to start with an unusable file, and locks every route but health when the file lists no key", async () => {
    await expect(startServer({ fake: new FakeModel() }, { apiKeyFile: join(dir, "missing.json") })).rejects.toThrow(/API key file .*missing\.json: cannot read it \(ENOENT\)/);
    h = await startServer({ fake: new FakeModel() }, { apiKeyFile: keyFile([]) });
    expect((await call(h.baseUrl, undefined, "/v1/models")).status).toBe(401);
    expect((await call(h.baseUrl, undefined, "/v1/health")).status).toBe(200);
  });
});

describe("request timeout", () => {
  it("cancels a request running too long, frees its slot, and answers 504 (a stream: an error event, then the end)", async () => {
    const model = new FakeModel();
    h = await startServer({ fake: model }, { requestTimeoutMs: 300 });
    model.script({ hang: true, content: "never ends" });
    const timedOut = await call(h.baseUrl, undefined, "/v1/chat/completions", chat("fake", { max_tokens: 100000 }));
    expect(timedOut.status).toBe(504);
    expect(timedOut.body.error).toMatchObject({ type: "server_error", code: "generation_timeout" });
    expect(timedOut.body.error!.message).toContain("300 ms");
    await until(() => model.activeCount === 0, "the generation to stop");

    model.script({ hang: true, content: "streamed then stuck" });
    const started = Date.now();
    const stream = await fetch(`${h.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chat("fake", { stream: true })),
    });
    expect(stream.status).toBe(200);
    const text = await stream.text(); // ends: the server closed the stream
    expect(Date.now() - started).toBeLessThan(5000);
    const events = text.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toContain('"code":"generation_timeout"');
    expect(text).not.toContain("[DONE]");
    await until(() => model.activeCount === 0, "the streamed generation to stop");

    const health = (await call(h.baseUrl, undefined, "/v1/health")).body as { active_requests?: number };
    expect(health.active_requests).toBe(0);
    const metrics = await (await fetch(`${h.baseUrl}/v1/metrics`)).text();
    expect(metrics).toMatch(/^gpt_oss_active_requests 0$/m);
    expect((await call(h.baseUrl, undefined, "/v1/chat/completions", chat("fake"))).status).toBe(200);
  });
});

describe("per-key limits", () => {
  it("answers 429 to a request beyond the key's concurrency cap, and lets it in once one finishes", async () => {
    const model = new FakeModel();
    const path = keyFile([{ key: "sk-capped", name: "capped", maxConcurrent: 1 }, { key: "sk-default" }]);
    h = await startServer({ fake: model }, { apiKeyFile: path, maxConcurrentPerKey: 2 });
    model.script({ hang: true }, { hang: true }, { hang: true });
    const controller = new AbortController();
    const first = fetch(`${h.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sk-capped", "content-type": "application/json" },
      body: JSON.stringify(chat("fake")),
      signal: controller.signal,
    }).catch(() => undefined);
    await until(() => model.activeCount === 1, "the first request to run");
    const refused = await call(h.baseUrl, "sk-capped", "/v1/chat/completions", chat("fake"));
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: "rate_limit_error", code: "concurrent_requests_exceeded" });
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await call(h.baseUrl, "sk-capped", "/v1/models")).status).toBe(200); // only generations count

    // The server-wide default (2) for a key without its own cap.
    const others = [1, 2].map(() => fetch(`${h!.baseUrl}/v1/chat/completions`, { method: "POST", headers: { authorization: "Bearer sk-default", "content-type": "application/json" }, body: JSON.stringify(chat("fake")), signal: controller.signal }).catch(() => undefined));
    await until(() => model.activeCount === 3, "the default key's two requests to run");
    expect((await call(h.baseUrl, "sk-default", "/v1/chat/completions", chat("fake"))).body.error?.code).toBe("concurrent_requests_exceeded");

    controller.abort();
    await Promise.all([first, ...others]);
    await until(() => model.activeCount === 0, "the cancelled requests to end");
    await until(async () => (await call(h!.baseUrl, "sk-capped", "/v1/chat/completions", chat("fake"))).status === 200, "a place for the capped key");
  });

  it("answers 429 with Retry-After once the key's tokens per minute are spent, per key", async () => {
    // The fake model's usage: 11 prompt + 9 completion tokens = 20 per request.
    const path = keyFile([{ key: "sk-small-quota", name: "small", tokensPerMinute: 30 }, { key: "sk-unlimited", name: "unlimited", tokensPerMinute: 0 }]);
    const lines: string[] = [];
    h = await startServer({ fake: new FakeModel() }, { apiKeyFile: path, tokensPerMinute: 20, logger: capturedLogger(lines) });
    expect((await call(h.baseUrl, "sk-small-quota", "/v1/chat/completions", chat("fake"))).status).toBe(200); // 10 left
    expect((await call(h.baseUrl, "sk-small-quota", "/v1/responses", { model: "fake", input: "hi" })).status).toBe(200); // 10 in debt
    const refused = await call(h.baseUrl, "sk-small-quota", "/v1/chat/completions", chat("fake"));
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: "rate_limit_error", code: "token_quota_exceeded" });
    expect(refused.body.error!.message).toContain("30 tokens per minute");
    // 11 tokens to refill at 0.5 tokens/s.
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(21);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(22);
    expect((await call(h.baseUrl, "sk-small-quota", "/v1/models")).status).toBe(200); // only generations are held back
    for (let i = 0; i < 3; i++) expect((await call(h.baseUrl, "sk-unlimited", "/v1/chat/completions", chat("fake"))).status).toBe(200);

    const metrics = await (await fetch(`${h.baseUrl}/v1/metrics`, { headers: { authorization: "Bearer sk-unlimited" } })).text();
    expect(metrics).toContain('gpt_oss_key_tokens_total{key="small"} 40');
    expect(metrics).toContain('gpt_oss_key_tokens_total{key="unlimited"} 60');
    expect(metrics).not.toContain("sk-");
  });

  it("applies the server-wide quota per address on a server without keys", async () => {
    h = await startServer({ fake: new FakeModel() }, { tokensPerMinute: 20 });
    expect((await call(h.baseUrl, undefined, "/v1/chat/completions", chat("fake"))).status).toBe(200);
    expect((await call(h.baseUrl, undefined, "/v1/chat/completions", chat("fake"))).body.error?.code).toBe("token_quota_exceeded");
  });
});

describe("request counts", () => {
  const messages = (count: number) => Array.from({ length: count }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `m${i}` }));
  const tools = (count: number, nested = true) =>
    Array.from({ length: count }, (_, i) => (nested ? { type: "function", function: { name: `t${i}`, parameters: { type: "object" } } } : { type: "function", name: `t${i}` }));
  const tooLong = (param: string, max: number, got: number) => ({
    type: "invalid_request_error",
    code: "array_above_max_length",
    param,
    message: expect.stringContaining(`Invalid '${param}': array too long. Expected an array with maximum length ${max}, but got an array with length ${got} instead`),
  });

  it("takes the default maximum of messages and tools, and answers 400 array_above_max_length beyond it", async () => {
    expect([DEFAULT_MAX_MESSAGES, DEFAULT_MAX_TOOLS]).toEqual([4096, 512]);
    const model = new FakeModel({ content: "ok" });
    h = await startServer({ fake: model });
    expect((await call(h.baseUrl, undefined, "/v1/chat/completions", { messages: messages(DEFAULT_MAX_MESSAGES), tools: tools(DEFAULT_MAX_TOOLS) })).status).toBe(200);
    const overMessages = await call(h.baseUrl, undefined, "/v1/chat/completions", { messages: messages(DEFAULT_MAX_MESSAGES + 1) });
    expect(overMessages.status).toBe(400);
    expect(overMessages.body.error).toEqual(tooLong("messages", DEFAULT_MAX_MESSAGES, DEFAULT_MAX_MESSAGES + 1));
    const overTools = await call(h.baseUrl, undefined, "/v1/chat/completions", { messages: messages(1), tools: tools(DEFAULT_MAX_TOOLS + 1) });
    expect(overTools.body.error).toEqual(tooLong("tools", DEFAULT_MAX_TOOLS, DEFAULT_MAX_TOOLS + 1));
    const overInput = await call(h.baseUrl, undefined, "/v1/responses", { input: messages(DEFAULT_MAX_MESSAGES + 1) });
    expect(overInput.body.error).toEqual(tooLong("input", DEFAULT_MAX_MESSAGES, DEFAULT_MAX_MESSAGES + 1));
    expect(model.calls).toHaveLength(1); // the refused requests never reached the model
  });

  it("applies maxMessages to messages and Responses input items, maxTools to both routes' tools (stream or not)", async () => {
    h = await startServer({ fake: new FakeModel({ content: "ok" }) }, { maxMessages: 3, maxTools: 1 });
    expect((await call(h.baseUrl, undefined, "/v1/chat/completions", { messages: messages(3), tools: tools(1) })).status).toBe(200);
    expect((await call(h.baseUrl, undefined, "/v1/chat/completions", { messages: messages(4), stream: true })).body.error).toEqual(tooLong("messages", 3, 4));
    expect((await call(h.baseUrl, undefined, "/v1/chat/completions", { messages: messages(1), tools: tools(2) })).body.error).toEqual(tooLong("tools", 1, 2));
    expect((await call(h.baseUrl, undefined, "/v1/responses", { input: messages(3), tools: tools(1, false) })).status).toBe(200);
    expect((await call(h.baseUrl, undefined, "/v1/responses", { input: messages(4), stream: true })).body.error).toEqual(tooLong("input", 3, 4));
    expect((await call(h.baseUrl, undefined, "/v1/responses", { input: "hi", tools: tools(2, false) })).body.error).toEqual(tooLong("tools", 1, 2));
    // A string input is one item.
    expect((await call(h.baseUrl, undefined, "/v1/responses", { input: "x".repeat(1000) })).status).toBe(200);
  });

  it("reads --max-messages and --max-tools", () => {
    const env = { GPT_OSS_CONFIG: "/nonexistent/config.json" };
    expect(parseServeConfig(["--model", "demo", "--max-messages", "10", "--max-tools", "0"], env).server).toMatchObject({ maxMessages: 10, maxTools: 0 });
    expect(parseServeConfig(["--model", "demo"], env).server).not.toHaveProperty("maxMessages");
    expect(() => parseServeConfig(["--model", "demo", "--max-messages", "0"], env)).toThrow(/--max-messages/);
    expect(() => parseServeConfig(["--model", "demo", "--max-tools", "-1"], env)).toThrow(/--max-tools/);
  });
});

describe("schema bounds and the context size", () => {
  /** Object schemas nested `levels` deep, as text (JSON.stringify would recurse). */
  const deepSchema = (levels: number) => `${'{"type":"object","properties":{"a":'.repeat(levels)}{"type":"string"}${"}}".repeat(levels)}`;
  const post = async (path: string, body: string) => {
    const response = await fetch(`${h!.baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    return { status: response.status, contentType: response.headers.get("content-type"), body: (await response.json()) as Call["body"] };
  };

  it("answers 400 invalid_schema naming the schema's field for a schema 10,000 levels deep, in every place a schema goes", async () => {
    const model = new FakeModel({ content: "ok" });
    h = await startServer({ fake: model });
    const deep = deepSchema(10_000);
    const cases: Array<[string, string, string]> = [
      ["/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${deep}}}}`, "response_format"],
      ["/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"stream":true,"tools":[{"type":"function","function":{"name":"f","parameters":${deep}}}]}`, "tools[0].function.parameters"],
      ["/v1/responses", `{"input":"hi","text":{"format":{"type":"json_schema","name":"x","schema":${deep}}}}`, "text.format"],
      ["/v1/responses", `{"input":"hi","stream":true,"tools":[{"type":"function","name":"f","parameters":${deep}}]}`, "tools[0].parameters"],
    ];
    for (const [path, body, param] of cases) {
      const answer = await post(path, body);
      expect(answer.status, param).toBe(400);
      expect(answer.contentType).toContain("application/json"); // not an event stream: refused before any work
      expect(answer.body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_schema", param });
      expect(answer.body.error!.message).toContain(`SCHEMA_LIMITS.maxDepth = ${SCHEMA_LIMITS.maxDepth}`);
      expect(answer.body.error!.message.length).toBeLessThan(1000);
    }
    const cycle = await post("/v1/chat/completions", JSON.stringify({ messages: [{ role: "user", content: "hi" }], tools: [{ type: "function", function: { name: "f", parameters: { $ref: "#" } } }] }));
    expect(cycle.body.error).toMatchObject({ code: "invalid_schema", param: "tools[0].function.parameters" });
    expect(model.calls).toHaveLength(0);
  });

  it("answers 400 context_length_exceeded for a prompt longer than the context, naming both numbers", async () => {
    const { model } = await createScriptedModel({ contextSize: 256, sequences: 1, script: (t) => harmonyScript(t, () => ["<|channel|>final<|message|>ok<|return|>"]) });
    try {
      h = await startServer({ scripted: model });
      const long = { role: "user", content: "word ".repeat(2000) };
      const chat = await call(h.baseUrl, undefined, "/v1/chat/completions", { messages: [long] });
      expect(chat.status).toBe(400);
      expect(chat.body.error).toMatchObject({ type: "invalid_request_error", code: "context_length_exceeded", param: "messages" });
      expect(chat.body.error!.message).toMatch(/maximum context length is 256 tokens, but the messages take \d+ tokens/);
      const responses = await call(h.baseUrl, undefined, "/v1/responses", { input: [long] });
      expect(responses.body.error).toMatchObject({ code: "context_length_exceeded", param: "input" });
      expect((await call(h.baseUrl, undefined, "/v1/chat/completions", { messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    } finally {
      await h?.close();
      h = undefined;
      await model.dispose();
    }
  });
});

describe("logs", () => {
  it("never contain the API key nor the prompt or the answer, even at trace level", async () => {
    const lines: string[] = [];
    const model = new FakeModel({ content: "The secret answer is 42.", reasoning: "Pondering the riddle." });
    h = await startServer({ fake: model }, { apiKeys: ["sk-do-not-log-me"], logger: capturedLogger(lines) });
    const prompt = "My private prompt about zebras";
    const body = { model: "fake", messages: [{ role: "user", content: prompt }] };
    expect((await call(h.baseUrl, "sk-do-not-log-me", "/v1/chat/completions", body)).status).toBe(200);
    expect((await call(h.baseUrl, "sk-do-not-log-me", "/v1/chat/completions", { ...body, stream: true })).status).toBe(200);
    expect((await call(h.baseUrl, "sk-wrong-key-xyz", "/v1/chat/completions", body)).status).toBe(401);
    expect(lines.length).toBeGreaterThan(3); // the request log lines are there
    const log = lines.join("\n");
    for (const secret of ["sk-do-not-log-me", "sk-wrong-key-xyz", "zebras", "secret answer", "Pondering"]) expect(log).not.toContain(secret);
    expect(log.toLowerCase()).not.toContain("bearer");
  });
});
