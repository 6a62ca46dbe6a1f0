/**
 * Token buckets in Redis, shared by every replica using the same Redis and key prefix: the rules of
 * TokenBucketLimiter (rate, burst, Retry-After), applied atomically by the `takeToken` script. Buckets expire once
 * they would be full again, so idle clients leave nothing behind.
 */
import { defaultBurst, retryAfterSeconds, type RateLimitDecision, type RateLimiter, type RateLimitOptions } from "../rate-limit.js";
import type { RedisConnection } from "./connection.js";

export class RedisTokenBucketLimiter implements RateLimiter {
  readonly requestsPerSecond: number;
  readonly burst: number;
  /** Time an untouched bucket needs to fill up: after it, the bucket is dropped. */
  private readonly expiryMs: number;

  /** `options.now` (tests) replaces Redis's clock; `maxClients` does not apply (expiry bounds the buckets). */
  constructor(
    private readonly connection: RedisConnection,
    private readonly options: RateLimitOptions,
  ) {
    if (!(options.requestsPerSecond > 0)) throw new RangeError(`requestsPerSecond must be > 0, got ${options.requestsPerSecond}`);
    this.requestsPerSecond = options.requestsPerSecond;
    this.burst = options.burst ?? defaultBurst(options.requestsPerSecond);
    this.expiryMs = Math.ceil((this.burst / this.requestsPerSecond) * 1000);
  }

  /** Takes one token for `client`; rejects with a 503 `state_store_unavailable` ApiError when Redis is away. */
  async take(client: string): Promise<RateLimitDecision> {
    const args = [String(this.requestsPerSecond), String(this.burst), String(this.expiryMs), this.options.now ? String(this.options.now()) : ""];
    const [allowed, tokens] = (await this.connection.run("takeToken", [`${this.connection.keyPrefix}ratelimit:${client}`], args)) as [number, string?];
    return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterSeconds: retryAfterSeconds(Number(tokens), this.requestsPerSecond) };
  }
}
