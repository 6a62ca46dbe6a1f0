// A server whose Redis dies between a response's start and its end: the response cannot be stored, so the client
// must not be told it completed — a JSON request answers 503 state_store_unavailable, a streaming one ends with an
// `error` event instead of `response.completed`. Requests that need no Redis (chat completions without a rate
// limit, health) keep working.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../src/chat/types.js";
import { loadModel } from "../../src/index.js";
import { tinyModelPath } from "../helpers/fixture.js";
import { startServer, type Harness } from "../server/harness.js";
import { RedisServer, redisAvailable } from "./redis-server.js";

describe.skipIf(!redisAvailable())("a response store lost mid-request", () => {
  let redis: RedisServer;
  let model: Model;
  let h: Harness;

  beforeAll(async () => {
    redis = await RedisServer.start();
    model = await loadModel(await tinyModelPath(), { contextSize: 512, parallel: 1, threads: 1 });
    h = await startServer({ tiny: model }, { redis: { url: redis.url, keyPrefix: "store-failure:" } });
    const made = await h.client.responses.create({ model: "tiny", input: "hi", max_output_tokens: 4 });
    expect((await h.client.responses.retrieve(made.id)).id).toBe(made.id);
    await redis.kill();
  });
  afterAll(async () => {
    await h?.close();
    await model?.dispose();
    await redis?.kill();
  });

  it("answers a JSON request 503 instead of an unstored response", async () => {
    await expect(h.client.responses.create({ model: "tiny", input: "hi", max_output_tokens: 4 })).rejects.toMatchObject({
      status: 503,
      type: "server_error",
      code: "state_store_unavailable",
    });
  });

  it("ends a stream with an error event, not response.completed", async () => {
    const response = await fetch(`${h.baseUrl}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", input: "hi", max_output_tokens: 4, stream: true }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    const events = text.split("\n").flatMap((line) => (line.startsWith("event: ") ? [line.slice(7)] : []));
    expect(events[0]).toBe("response.created");
    expect(events.at(-1)).toBe("error");
    expect(events).not.toContain("response.completed");
    expect(events).not.toContain("response.incomplete");
    expect(text.trim().split("\n").at(-1)).toMatch(/"code":"state_store_unavailable".*Redis at redis:\/\//);
  });

  it("keeps serving what needs no Redis", async () => {
    const chat = await h.client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
    expect(chat.choices).toHaveLength(1);
    expect((await fetch(`${h.baseUrl}/v1/health`)).status).toBe(200);
    const unstored = await h.client.responses.create({ model: "tiny", input: "hi", max_output_tokens: 4, store: false });
    expect(unstored.status === "completed" || unstored.status === "incomplete").toBe(true);
  });
});
