// Token quotas in Redis, against a real redis-server: the Lua scripts decide exactly like the in-process
// TokenQuotaBuckets (Retry-After included), a balance expires once it would be full again, and two servers sharing
// the Redis hold a key to one quota (the second server refuses what the first one spent).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisConnection } from "../../src/server/redis/connection.js";
import { RedisTokenQuota } from "../../src/server/redis/token-quota.js";
import { TokenQuotaBuckets } from "../../src/server/token-quota.js";
import { FakeModel } from "../helpers/fake-model.js";
import { startServer, type Harness } from "../server/harness.js";
import { RedisServer, redisAvailable, startRedisFixture, type RawRedisClient, type RedisFixture } from "./redis-server.js";

describe.skipIf(!redisAvailable())("token quotas in Redis", () => {
  let redis: RedisServer;
  let connection: RedisConnection;
  let raw: RawRedisClient;
  let fixture: RedisFixture | undefined;

  beforeAll(async () => ({ redis, connection, raw } = fixture = await startRedisFixture("quota-test:")));
  afterAll(() => fixture?.close());

  it("the Lua scripts decide like TokenQuotaBuckets, Retry-After included", async () => {
    let now = 5_000_000;
    const local = new TokenQuotaBuckets({ now: () => now });
    const shared = new RedisTokenQuota(connection, () => now);
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const decisions: Array<[unknown, unknown]> = [];
    for (let i = 0; i < 150; i++) {
      now += Math.floor(random() < 0.6 ? random() * 2000 : random() * 40_000);
      const client = random() < 0.8 ? "a" : "b";
      const decision = local.check(client, 120);
      decisions.push([decision, await shared.check(client, 120)]);
      if (decision.allowed) {
        const tokens = 1 + Math.floor(random() * 90);
        local.charge(client, 120, tokens);
        await shared.charge(client, 120, tokens);
      }
    }
    for (const [expected, actual] of decisions) expect(actual).toEqual(expected);
    expect(decisions.some(([d]) => (d as { allowed: boolean }).allowed)).toBe(true);
    expect(decisions.some(([d]) => !(d as { allowed: boolean }).allowed)).toBe(true);
  });

  it("uses Redis's clock by default, and a balance expires once it would be full", async () => {
    const quota = new RedisTokenQuota(connection);
    await quota.charge("c", 6000, 50); // 100 tokens/s: full again after 0.5 s
    const ttl = await raw.pTTL("quota-test:tokens:c");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(500);
    await quota.charge("d", 60, 61); // 1 token/s, 2 tokens short of a whole one
    expect(await quota.check("d", 60)).toEqual({ allowed: false, retryAfterSeconds: 2 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await raw.exists("quota-test:tokens:c")).toBe(0);
  });

  it("holds a key to one quota across two servers sharing the Redis", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gpt-oss-quota-"));
    const keyFile = join(dir, "keys.json");
    writeFileSync(keyFile, JSON.stringify({ keys: [{ key: "sk-shared", name: "shared", tokensPerMinute: 30 }] }));
    const options = { apiKeyFile: keyFile, redis: { url: redis.url, keyPrefix: `replicas-${process.pid}:` } };
    const servers: Harness[] = [];
    try {
      servers.push(await startServer({ fake: new FakeModel() }, options, "sk-shared"), await startServer({ fake: new FakeModel() }, options, "sk-shared"));
      const [a, b] = servers;
      // 20 tokens per request (the fake model's usage): A spends 20, then 20 more (10 in debt).
      await a!.client.chat.completions.create({ model: "fake", messages: [{ role: "user", content: "hi" }] });
      await b!.client.chat.completions.create({ model: "fake", messages: [{ role: "user", content: "hi" }] });
      await expect(a!.client.chat.completions.create({ model: "fake", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({
        status: 429,
        code: "token_quota_exceeded",
      });
      const refused = await fetch(`${b!.baseUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer sk-shared", "content-type": "application/json" },
        body: JSON.stringify({ model: "fake", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(21);
      expect(await raw.exists(`replicas-${process.pid}:tokens:key:shared`)).toBe(1);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
