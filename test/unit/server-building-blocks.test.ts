// The server's small parts on their own: token bucket, response store, error registry, key check.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiKeyVerifier } from "../../src/server/auth.js";
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
    const identity = verifier.verify("Bearer secret-key-1");
    expect(identity).toMatch(/^key:[0-9a-f]{12}$/);
    expect(identity).not.toContain("secret");
    expect(verifier.verify("Bearer secret-key-2")).toBeNull();
    expect(verifier.verify("Bearer secret-key-1x")).toBeNull();
    expect(verifier.verify(undefined)).toBeNull();
    expect(new ApiKeyVerifier([]).enabled).toBe(false);
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
