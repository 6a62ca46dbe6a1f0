// Two `gpt-oss serve` processes sharing one redis-server (`--redis`), as replicas behind a load balancer would:
// a response made on A is continued and read on B, a key's rate limit counts across both, killing Redis gives
// 503 state_store_unavailable while both servers stay up, and a restarted Redis makes them work again. Also: an
// unreachable Redis at start is a one-line error and exit 1.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyModelPath } from "../helpers/fixture.js";
import { freePort } from "../../scripts/server-process.js";
import { RedisServer, redisAvailable } from "./redis-server.js";

/** Every test uses its own key: each has its own bucket (the limit below), so tests never starve each other. */
const KEYS = Array.from({ length: 12 }, (_, i) => `key-${i}`);
const BURST = 6; // the first test makes six requests with one key (a key's stored responses are its own)
const RATE = 0.01; // one token per 100 s: nothing refills during the test

interface Replica {
  url: string;
  child: ChildProcessWithoutNullStreams;
  output: () => string;
}

function serveArgs(model: string, redisUrl: string): string[] {
  return [
    "--import", "tsx", "src/cli/main.ts", "serve",
    "--model", model, "--alias", "tiny", "--port", "0", "--ctx-size", "512", "--parallel", "1", "--threads", "1",
    "--rate-limit", `${RATE}:${BURST}`, "--redis", redisUrl, "--redis-prefix", `replicas-${process.pid}:`,
    ...KEYS.flatMap((key) => ["--api-key", key]),
  ];
}

async function startReplica(model: string, redisUrl: string): Promise<Replica> {
  const child = spawn(process.execPath, serveArgs(model, redisUrl), { env: { ...process.env, LOG_LEVEL: "warn" } });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const started = Date.now();
  while (!/listening on (http:\/\/\S+)/.test(output)) {
    if (child.exitCode !== null || Date.now() - started > 60_000) throw new Error(`serve did not start; output: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /listening on (http:\/\/\S+)/.exec(output)![1]!;
  let status = "";
  while (status !== "healthy" && Date.now() - started < 60_000) {
    await new Promise((r) => setTimeout(r, 100));
    status = ((await (await fetch(`${url}/v1/health`)).json()) as { status: string }).status;
  }
  expect(status).toBe("healthy");
  return { url, child, output: () => output };
}

async function stopReplica(replica: Replica | undefined): Promise<void> {
  if (!replica || replica.child.exitCode !== null) return;
  const exited = once(replica.child, "exit");
  replica.child.kill("SIGTERM");
  await exited;
}

let nextKey = 0;
/** An SDK client on `replica` with `key`. */
const clientOf = (replica: Replica, key: string) => new OpenAI({ baseURL: `${replica.url}/v1`, apiKey: key, maxRetries: 0, timeout: 30_000 });
const ask = (client: OpenAI, input: string, previous?: string) =>
  client.responses.create({ model: "tiny", input, max_output_tokens: 8, reasoning: { effort: "low" }, ...(previous && { previous_response_id: previous }) });

describe.skipIf(!redisAvailable())("replicas sharing Redis", () => {
  let redis: RedisServer;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const model = await tinyModelPath();
    [a, b] = await Promise.all([startReplica(model, redis.url), startReplica(model, redis.url)]);
  });
  afterAll(async () => {
    await Promise.all([stopReplica(a), stopReplica(b)]);
    await redis?.kill();
  });

  it("continues, reads and deletes on B a response created on A", async () => {
    const key = KEYS[nextKey++]!;
    const first = await ask(clientOf(a, key), "Say hi.");
    expect(first.status === "completed" || first.status === "incomplete").toBe(true);
    const onB = clientOf(b, key);
    const second = await ask(onB, "And again.", first.id);
    expect(second.previous_response_id).toBe(first.id);
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens); // B saw A's conversation
    const retrieved = await onB.responses.retrieve(first.id);
    expect(retrieved).toEqual(JSON.parse(JSON.stringify(first)));
    const reader = clientOf(b, key);
    const items = await reader.responses.inputItems.list(second.id);
    expect(items.data.map((item) => (item as { content: Array<{ text: string }> }).content[0]!.text)).toEqual(["And again."]);
    await clientOf(a, key).responses.delete(first.id);
    await expect(reader.responses.retrieve(first.id)).rejects.toMatchObject({ status: 404, code: "response_not_found" });
  });

  it("holds a key's rate limit across both replicas", async () => {
    const key = KEYS[nextKey++]!;
    const models = (replica: Replica) => fetch(`${replica.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    for (let i = 0; i < BURST; i++) expect((await models(i % 2 === 0 ? a : b)).status).toBe(200);
    const third = await models(b);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBe(Math.ceil(1 / RATE));
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe("rate_limit_exceeded");
  });

  it("answers 503 state_store_unavailable while Redis is down, stays up, and works again once it is back", async () => {
    const key = KEYS[nextKey++]!;
    await redis.kill();
    for (const replica of [a, b]) {
      const refused = await fetch(`${replica.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
      const body = (await refused.json()) as { error: { type: string; code: string; message: string } };
      expect(body.error).toMatchObject({ type: "server_error", code: "state_store_unavailable" });
      expect(body.error.message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+/);
      expect((await fetch(`${replica.url}/v1/health`)).status).toBe(200); // public: needs no Redis
    }
    await redis.restart();
    // The clients reconnect by themselves (backoff at most 2 s); Redis came back empty, so buckets are full again.
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await fetch(`${b.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status;
    }
    expect(status).toBe(200);
    const made = await ask(clientOf(b, key), "Back?");
    expect((await clientOf(a, key).responses.retrieve(made.id)).id).toBe(made.id);
    expect([a.child.exitCode, b.child.exitCode]).toEqual([null, null]);
    expect(a.output() + b.output()).not.toMatch(/Unhandled|unhandledRejection/i);
  });

  it("exits 1 with one line when Redis cannot be reached at start", async () => {
    const closedPort = await freePort();
    const child = spawn(process.execPath, serveArgs(await tinyModelPath(), `redis://127.0.0.1:${closedPort}`), { env: { ...process.env, LOG_LEVEL: "warn" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`^gpt-oss serve: Cannot reach Redis at redis://127\\.0\\.0\\.1:${closedPort}: .*ECONNREFUSED`))]);
  });
});
