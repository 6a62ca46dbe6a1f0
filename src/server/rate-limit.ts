/**
 * Per-client token buckets: each client (API key, or address without keys) may make `requestsPerSecond`
 * requests per second on average, with bursts of up to `burst`. A refused request learns how long until a
 * token is free (HTTP Retry-After). `TokenBucketLimiter` keeps the buckets in this process; the Redis one
 * (redis/rate-limit.ts) shares them between replicas with the same rules (`defaultBurst`, `retryAfterSeconds`).
 */

export interface RateLimitOptions {
  requestsPerSecond: number;
  /** Bucket size (default: max(1, ceil(requestsPerSecond))). */
  burst?: number;
  /** Clock in milliseconds (tests). Default Date.now. */
  now?: () => number;
  /** Buckets kept before idle, full ones are dropped (default 10000). */
  maxClients?: number;
}

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** What the server asks of a rate limiter, in process or shared (the check may wait for a store). */
export interface RateLimiter {
  readonly requestsPerSecond: number;
  readonly burst: number;
  /** Takes one token for `client` if there is one. */
  take(client: string): RateLimitDecision | Promise<RateLimitDecision>;
}

/** The bucket size when none is given: one second's worth of requests, at least 1. */
export function defaultBurst(requestsPerSecond: number): number {
  return Math.max(1, Math.ceil(requestsPerSecond));
}

/** Whole seconds (at least 1) until a bucket holding `tokens` (< 1) has a whole token again: the Retry-After. */
export function retryAfterSeconds(tokens: number, requestsPerSecond: number): number {
  return Math.max(1, Math.ceil((1 - tokens) / requestsPerSecond));
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Parses `--rate-limit` / `API_RATE_LIMIT_RPS` values: "RPS" or "RPS:BURST" (e.g. "5", "0.5:3"). */
export function parseRateLimit(text: string): { requestsPerSecond: number; burst?: number } {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?::\s*(\d+)\s*)?$/.exec(text);
  const requestsPerSecond = match ? Number(match[1]) : NaN;
  if (!match || !(requestsPerSecond > 0)) throw new Error(`Expected a rate limit like "5" or "5:10" (requests per second[:burst]) but received "${text}"`);
  const burst = match[2] === undefined ? undefined : Number(match[2]);
  if (burst !== undefined && burst < 1) throw new Error(`Expected a burst of at least 1 in rate limit "${text}"`);
  return { requestsPerSecond, ...(burst !== undefined && { burst }) };
}

/** Token buckets in this process's memory (the default: each replica counts on its own). */
export class TokenBucketLimiter implements RateLimiter {
  readonly requestsPerSecond: number;
  readonly burst: number;
  private readonly now: () => number;
  private readonly maxClients: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions) {
    if (!(options.requestsPerSecond > 0)) throw new RangeError(`requestsPerSecond must be > 0, got ${options.requestsPerSecond}`);
    this.requestsPerSecond = options.requestsPerSecond;
    this.burst = options.burst ?? defaultBurst(options.requestsPerSecond);
    this.now = options.now ?? Date.now;
    this.maxClients = options.maxClients ?? 10_000;
  }

  /** Takes one token for `client` if there is one. */
  take(client: string): RateLimitDecision {
    const now = this.now();
    const bucket = this.refill(client, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: retryAfterSeconds(bucket.tokens, this.requestsPerSecond) };
  }

  private refill(client: string, now: number): Bucket {
    let bucket = this.buckets.get(client);
    if (!bucket) {
      if (this.buckets.size >= this.maxClients) this.evictFull(now);
      bucket = { tokens: this.burst, updatedMs: now };
      this.buckets.set(client, bucket);
      return bucket;
    }
    const elapsed = Math.max(0, now - bucket.updatedMs) / 1000;
    bucket.tokens = Math.min(this.burst, bucket.tokens + elapsed * this.requestsPerSecond);
    bucket.updatedMs = now;
    return bucket;
  }

  /** Drops buckets that would be full by now (forgetting them changes nothing). */
  private evictFull(now: number): void {
    for (const [client, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.updatedMs) / 1000) * this.requestsPerSecond >= this.burst) this.buckets.delete(client);
    }
    // Still too many (a flood of distinct clients): drop the oldest.
    for (const client of this.buckets.keys()) {
      if (this.buckets.size < this.maxClients) break;
      this.buckets.delete(client);
    }
  }
}
