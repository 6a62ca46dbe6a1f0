/**
 * Token quotas in Redis, shared by every replica using the same Redis and key prefix: the rules of
 * TokenQuotaBuckets (refill, debt, Retry-After), applied atomically by the `quotaCheck` and `quotaCharge` scripts.
 * A balance expires once it would be full again, so idle clients leave nothing behind.
 */
import { quotaRetryAfterSeconds, type QuotaDecision, type TokenQuota } from "../token-quota.js";
import type { RedisConnection } from "./connection.js";

export class RedisTokenQuota implements TokenQuota {
  /** `now` (tests) replaces Redis's clock. */
  constructor(
    private readonly connection: RedisConnection,
    private readonly now?: () => number,
  ) {}

  /** Rejects with a 503 `state_store_unavailable` ApiError when Redis is away. */
  async check(client: string, tokensPerMinute: number): Promise<QuotaDecision> {
    const [allowed, balance] = (await this.connection.run("quotaCheck", [this.keyOf(client)], [String(tokensPerMinute), this.clock()])) as [number, string?];
    return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterSeconds: quotaRetryAfterSeconds(Number(balance), tokensPerMinute) };
  }

  async charge(client: string, tokensPerMinute: number, tokens: number): Promise<void> {
    await this.connection.run("quotaCharge", [this.keyOf(client)], [String(tokensPerMinute), this.clock(), String(tokens)]);
  }

  private keyOf(client: string): string {
    return `${this.connection.keyPrefix}tokens:${client}`;
  }

  private clock(): string {
    return this.now ? String(this.now()) : "";
  }
}
