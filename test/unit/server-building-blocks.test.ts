// The server's small parts on their own: token bucket, response store, error registry, key check, key file,
// token quota, concurrency caps, log redaction.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiKeyVerifier } from "../../src/server/auth.js";
import { ConcurrencyCaps } from "../../src/server/concurrency-caps.js";
import { parseKeyFile } from "../../src/server/key-file.js";
import { mayUseModel, mayUseRoute } from "../../src/server/key-grants.js";
import { redactedLogger } from "../../src/server/log-redaction.js";
import { quotaRetryAfterSeconds, TokenQuotaBuckets } from "../../src/server/token-quota.js";
import { SERVER_ERRORS } from "../../src/server/errors.js";
import { TokenBucketLimiter, parseRateLimit } from "../../src/server/rate-limit.js";
import { ResponseStore } from "../../src/server/responses/store.js";

describe("TokenBucketLimiter", () => {
  it("allows a burst, then one request per 1/rps seconds", () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ requestsPerSecond: 2, burst: 3, now: () => now });
    expect([1, 2, 3].map(() => limiter.take("k").allowed)).toEqual([true, true, true]);
    expect(limiter.take("k")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 499;
    expect(limiter.take("k").allowed).toBe(false);
    now += 2;
    expect(limiter.take("k").allowed).toBe(true);
    expect(limiter.take("other").allowed).toBe(true);
    now += 10_000; // refills to the burst, not beyond
    expect([1, 2, 3, 4].map(() => limiter.take("k").allowed)).toEqual([true, true, true, false]);
  });

  it("tells slow limits how long to wait", () => {
    const limiter = new TokenBucketLimiter({ requestsPerSecond: 0.1, burst: 1, now: () => 0 });
    limiter.take("k");
    expect(limiter.take("k")).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it("parses RPS[:BURST] and rejects nonsense", () => {
    expect(parseRateLimit("5")).toEqual({ requestsPerSecond: 5 });
    expect(parseRateLimit("0.5:3")).toEqual({ requestsPerSecond: 0.5, burst: 3 });
    expect(() => parseRateLimit("0")).toThrow(/rate limit/);
    expect(() => parseRateLimit("fast")).toThrow(/rate limit/);
  });
});

describe("ResponseStore", () => {
  it("evicts the least recently used entry past its cap", () => {
    const store = new ResponseStore<number>({ maxEntries: 2 });
    store.set("a", 1);
    store.set("b", 2);
    expect(store.get("a")).toBe(1); // a is now the most recent
    store.set("c", 3);
    expect(store.get("b")).toBeUndefined();
    expect(store.get("a")).toBe(1);
    expect(store.get("c")).toBe(3);
  });

  it("expires entries after their TTL", () => {
    let now = 0;
    const store = new ResponseStore<string>({ ttlMs: 1000, now: () => now });
    store.set("x", "kept");
    now = 999;
    expect(store.get("x")).toBe("kept"); // use refreshes the TTL
    now = 1998;
    expect(store.get("x")).toBe("kept");
    now = 3000;
    expect(store.get("x")).toBeUndefined();
    expect(store.size).toBe(0);
  });
});

describe("ApiKeyVerifier", () => {
  it("accepts only configured keys and gives a non-secret identity", () => {
    const verifier = new ApiKeyVerifier(["secret-key-1"]);
    const grant = verifier.verify("Bearer secret-key-1");
    expect(grant).toEqual({ name: expect.stringMatching(/^key-[0-9a-f]{12}$/) });
    expect(grant!.name).not.toContain("secret");
    expect(verifier.verify("Bearer secret-key-2")).toBeNull();
    expect(verifier.verify("Bearer secret-key-1x")).toBeNull();
    expect(verifier.verify(undefined)).toBeNull();
    expect(new ApiKeyVerifier([]).enabled).toBe(false);
    expect(new ApiKeyVerifier([], { required: true }).enabled).toBe(true);
  });

  it("gives a file key's name, models, routes and limits; replace() swaps the set", () => {
    const verifier = new ApiKeyVerifier(["plain"]);
    verifier.replace([{ key: "sk-a", name: "team-a", models: ["m1", "auto"], routes: ["/v1/chat/completions/"], tokensPerMinute: 100, maxConcurrent: 2 }]);
    expect(verifier.verify("Bearer plain")).toBeNull();
    const grant = verifier.verify("Bearer sk-a")!;
    expect(grant).toMatchObject({ name: "team-a", routes: ["/v1/chat/completions"], tokensPerMinute: 100, maxConcurrent: 2 });
    expect([mayUseModel(grant, "m1"), mayUseModel(grant, "auto"), mayUseModel(grant, "m2"), mayUseModel(null, "m2")]).toEqual([true, true, false, true]);
    expect([mayUseRoute(grant, "/v1/chat/completions"), mayUseRoute(grant, "/v1/models"), mayUseRoute(grant, "/v1/chat/completionsX")]).toEqual([true, false, false]);
    expect(mayUseRoute({ name: "r", routes: ["/v1/responses"] }, "/v1/responses/:id/input_items")).toBe(true);
  });
});

describe("key file", () => {
  it("accepts the documented format and refuses mistakes without echoing a key", () => {
    expect(parseKeyFile({ keys: [{ key: "sk-1" }, { key: "sk-2", name: "b", models: ["x"], routes: ["/v1/models"], tokensPerMinute: 0, maxConcurrent: 3 }] })).toEqual([
      { key: "sk-1" },
      { key: "sk-2", name: "b", models: ["x"], routes: ["/v1/models"], tokensPerMinute: 0, maxConcurrent: 3 },
    ]);
    const refusals: Array<[unknown, RegExp]> = [
      [[], /expected \{"keys"/],
      [{ keys: [{ name: "a" }] }, /keys\[0\]\.key must be/],
      [{ keys: [{ key: "sk-secret", nmae: "a" }] }, /unknown field "nmae"/],
      [{ keys: [{ key: "sk-secret", name: "has space" }] }, /keys\[0\]\.name must be/],
      [{ keys: [{ key: "sk-secret", models: "x" }] }, /models must be an array/],
      [{ keys: [{ key: "sk-secret", routes: ["v1/models"] }] }, /routes entries must be paths/],
      [{ keys: [{ key: "sk-secret", tokensPerMinute: -1 }] }, /tokensPerMinute must be an integer/],
      [{ keys: [{ key: "sk-secret" }, { key: "sk-secret" }] }, /keys\[1\]\.key repeats/],
    ];
    for (const [json, message] of refusals) {
      expect(() => parseKeyFile(json)).toThrow(message);
      try {
        parseKeyFile(json);
      } catch (error) {
        expect((error as Error).message).not.toContain("sk-secret");
      }
    }
  });
});

describe("TokenQuotaBuckets", () => {
  it("lets a client in while its balance is above zero, charges after the fact, refills per minute", () => {
    let now = 0;
    const quota = new TokenQuotaBuckets({ now: () => now });
    expect(quota.check("k", 600)).toEqual({ allowed: true });
    quota.charge("k", 600, 500);
    expect(quota.check("k", 600)).toEqual({ allowed: true }); // 100 left
    quota.charge("k", 600, 400); // 300 in debt: 10 tokens/s refill
    expect(quota.check("k", 600)).toEqual({ allowed: false, retryAfterSeconds: 31 });
    expect(quota.check("other", 600)).toEqual({ allowed: true });
    now += 30_000;
    expect(quota.check("k", 600).allowed).toBe(false); // exactly 0 left
    now += 200;
    expect(quota.check("k", 600)).toEqual({ allowed: true });
    now += 3_600_000; // refills to the quota, not beyond
    quota.charge("k", 600, 600);
    expect(quota.check("k", 600).allowed).toBe(false);
    expect(quotaRetryAfterSeconds(0, 60)).toBe(1);
  });
});

describe("ConcurrencyCaps", () => {
  it("holds a client to its cap until a place is released (0: no cap)", () => {
    const caps = new ConcurrencyCaps();
    const first = caps.tryAcquire("k", 2)!;
    const second = caps.tryAcquire("k", 2)!;
    expect(caps.tryAcquire("k", 2)).toBeNull();
    expect(caps.tryAcquire("other", 2)).not.toBeNull();
    first();
    first(); // releasing twice frees one place
    expect(caps.runningFor("k")).toBe(1);
    expect(caps.tryAcquire("k", 2)).not.toBeNull();
    second();
    expect(Array.from({ length: 5 }, () => caps.tryAcquire("u", 0) !== null)).toEqual([true, true, true, true, true]);
  });
});

describe("log redaction", () => {
  it("adds the credential headers to any logger options, keeping the caller's paths", () => {
    expect(redactedLogger(false)).toBe(false);
    const options = redactedLogger({ level: "info", redact: ["req.body.secret"] }) as { level: string; redact: { paths: string[] } };
    expect(options.level).toBe("info");
    expect(options.redact.paths).toEqual(expect.arrayContaining(['req.headers["authorization"]', 'req.headers["x-api-key"]', "req.body.secret"]));
  });
});

describe("server error registry", () => {
  function sourceFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
    });
  }

  it("documents every code used in src/server, with a 4xx/5xx status", () => {
    const used = new Set<string>();
    for (const file of sourceFiles("src/server")) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/new ApiError\(\s*"([a-z_]+)"/g)) used.add(match[1]);
      for (const match of text.matchAll(/:\s*"([a-z_]+)",?\s*$/gm)) if (file.endsWith("errors.ts")) used.add(match[1]);
    }
    expect(used.size).toBeGreaterThan(10);
    for (const code of used) expect(SERVER_ERRORS, `code ${code} is not in SERVER_ERRORS`).toHaveProperty(code);
    for (const [code, entry] of Object.entries(SERVER_ERRORS)) {
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.doc.length, code).toBeGreaterThan(15);
    }
  });
});
