// The Redis backends on their own, against a real redis-server: the Lua token bucket decides exactly like the
// in-process TokenBucketLimiter, buckets and responses expire, the response store keeps ResponseStore's rules,
// prefixes keep deployments apart, and a Redis that goes away gives 503s (never a crash) until it is back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../src/server/errors.js";
import { TokenBucketLimiter } from "../../src/server/rate-limit.js";
import { RedisConnection } from "../../src/server/redis/connection.js";
import { RedisTokenBucketLimiter } from "../../src/server/redis/rate-limit.js";
import { RedisResponseStore } from "../../src/server/redis/response-store.js";
import { RedisServer, redisAvailable, rawRedisClient, startRedisFixture, type RawRedisClient, type RedisFixture } from "./redis-server.js";

const quiet = { warn: () => {}, info: () => {} };

describe.skipIf(!redisAvailable())("Redis backends", () => {
  let redis: RedisServer;
  let connection: RedisConnection;
  let raw: RawRedisClient;
  let fixture: RedisFixture | undefined;
  let prefixes = 0;
  /** A connection with a key prefix no other test uses. */
  const freshConnection = () => new RedisConnection({ url: redis.url, keyPrefix: `t${++prefixes}:`, commandTimeoutMs: 1000 }, quiet);

  beforeAll(async () => ({ redis, connection, raw } = fixture = await startRedisFixture(`t${++prefixes}:`)));
  afterAll(() => fixture?.close());

  it("the Lua bucket decides like TokenBucketLimiter, Retry-After included", async () => {
    let now = 1_000_000;
    const options = { requestsPerSecond: 0.5, burst: 3, now: () => now };
    const local = new TokenBucketLimiter(options);
    const shared = new RedisTokenBucketLimiter(connection, options);
    // A fixed pseudo-random walk: bursts, waits shorter and longer than a token, two clients.
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const decisions: Array<[unknown, unknown]> = [];
    for (let i = 0; i < 120; i++) {
      now += Math.floor(random() < 0.6 ? random() * 300 : random() * 4000);
      const client = random() < 0.8 ? "a" : "b";
      decisions.push([local.take(client), await shared.take(client)]);
    }
    for (const [expected, actual] of decisions) expect(actual).toEqual(expected);
    expect(decisions.some(([d]) => (d as { allowed: boolean }).allowed)).toBe(true);
    expect(decisions.some(([d]) => !(d as { allowed: boolean }).allowed)).toBe(true);
  });

  it("uses Redis's clock by default, and idle buckets expire once they would be full", async () => {
    const limiter = new RedisTokenBucketLimiter(connection, { requestsPerSecond: 2, burst: 2 });
    expect([await limiter.take("c"), await limiter.take("c"), await limiter.take("c")]).toEqual([{ allowed: true }, { allowed: true }, { allowed: false, retryAfterSeconds: 1 }]);
    const ttl = await raw.pTTL(`${connection.keyPrefix}ratelimit:c`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000); // burst 2 at 2/s: full again after 1 s
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await raw.exists(`${connection.keyPrefix}ratelimit:c`)).toBe(0);
    expect(await limiter.take("c")).toEqual({ allowed: true });
  });

  it("stores responses as JSON, refreshes them on use, deletes them", async () => {
    const store = new RedisResponseStore<{ text: string; n: number[] }>(connection, { ttlMs: 60_000 });
    await store.set("resp_1", { text: "héllo", n: [1, 2] });
    await raw.pExpire(`${connection.keyPrefix}response:resp_1`, 5_000);
    expect(await store.get("resp_1")).toEqual({ text: "héllo", n: [1, 2] });
    expect(await raw.pTTL(`${connection.keyPrefix}response:resp_1`)).toBeGreaterThan(50_000); // the read refreshed the TTL
    expect(await store.get("unknown")).toBeUndefined();
    expect(await store.delete("resp_1")).toBe(true);
    expect(await store.delete("resp_1")).toBe(false);
    expect(await store.get("resp_1")).toBeUndefined();
  });

  it("evicts the least recently used response past maxEntries, and expires them after ttlMs", async () => {
    const own = freshConnection();
    try {
      const store = new RedisResponseStore<number>(own, { maxEntries: 2, ttlMs: 300 });
      await store.set("a", 1);
      await store.set("b", 2);
      expect(await store.get("a")).toBe(1); // a is now the most recent
      await store.set("c", 3);
      expect(await store.get("b")).toBeUndefined();
      expect(await store.get("a")).toBe(1);
      expect(await store.get("c")).toBe(3);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await store.get("a")).toBeUndefined();
      expect(await raw.exists(`${own.keyPrefix}responses`)).toBe(0); // the index expires with its entries
    } finally {
      await own.close();
    }
  });

  it("keeps deployments with different key prefixes apart", async () => {
    const other = freshConnection();
    try {
      await new RedisResponseStore<string>(connection).set("same-id", "mine");
      expect(await new RedisResponseStore<string>(other).get("same-id")).toBeUndefined();
      const limit = { requestsPerSecond: 0.01, burst: 1 };
      expect((await new RedisTokenBucketLimiter(connection, limit).take("k")).allowed).toBe(true);
      expect((await new RedisTokenBucketLimiter(other, limit).take("k")).allowed).toBe(true);
    } finally {
      await other.close();
    }
  });

  it("fails fast at start when Redis cannot be reached", async () => {
    const closed = new RedisConnection({ url: "redis://user:secret@127.0.0.1:1" }, quiet);
    await expect(closed.open()).rejects.toThrow(/^Cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
    await expect(closed.open()).rejects.not.toThrow(/secret/);
  });

  it("gives up on a Redis that hangs after commandTimeoutMs", async () => {
    const own = new RedisConnection({ url: redis.url, keyPrefix: "hang:", commandTimeoutMs: 300 }, quiet);
    await own.open();
    const store = new RedisResponseStore<string>(own);
    redis.pause();
    try {
      const started = Date.now();
      await expect(store.get("x")).rejects.toMatchObject({ code: "state_store_unavailable", status: 503 });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      redis.resume();
    }
    await store.set("x", "answered");
    expect(await store.get("x")).toBe("answered");
    await own.close();
  });

  it("answers 503 state_store_unavailable while Redis is away and recovers when it is back", async () => {
    const warnings: string[] = [];
    const own = new RedisConnection({ url: redis.url, keyPrefix: "outage:" }, { warn: (m) => warnings.push(m), info: (m) => warnings.push(m) });
    await own.open();
    const store = new RedisResponseStore<string>(own);
    await store.set("x", "before");
    await raw.close();
    await redis.kill();
    try {
      const failure = await store.get("x").then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ApiError);
      expect((failure as ApiError).status).toBe(503);
      expect((failure as ApiError).toBody().error).toMatchObject({ type: "server_error", code: "state_store_unavailable" });
      expect((failure as ApiError).message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+/);
      expect((failure as ApiError).headers["Retry-After"]).toBeDefined();
      await expect(new RedisTokenBucketLimiter(own, { requestsPerSecond: 1 }).take("k")).rejects.toMatchObject({ code: "state_store_unavailable" });
    } finally {
      await redis.restart();
      raw = fixture!.raw = rawRedisClient(redis.url); // the old client went with the old server process
      await raw.connect();
    }
    // Back (empty: no persistence here): the client reconnects by itself, the scripts are loaded again.
    const deadline = Date.now() + 10_000;
    let value: string | undefined | Error;
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      value = await store.set("x", "after").then(
        () => store.get("x"),
        (error: Error) => error,
      );
    } while (value instanceof Error && Date.now() < deadline);
    expect(value).toBe("after");
    expect(warnings.join("\n")).toMatch(/unavailable[\s\S]*reachable again/);
    await own.close();
  });
});
