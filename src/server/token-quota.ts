/**
 * Token quotas: each client (API key name, or address without keys) may spend `tokensPerMinute` prompt +
 * completion tokens per minute. The budget is a bucket of `tokensPerMinute` that refills continuously at
 * `tokensPerMinute / 60` per second; a finished request's tokens are taken after the fact (the balance may go
 * below zero), and a request is let in only while at least one token is left, so the Retry-After of a refusal is the
 * time the debt takes to refill. `TokenQuotaBuckets` keeps balances in this process; the Redis one
 * (redis/token-quota.ts) shares them between replicas with the same rules (`quotaRetryAfterSeconds`).
 */

export type QuotaDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** What the server asks of a token quota, in process or shared (calls may wait for a store, and fail with 503). */
export interface TokenQuota {
  /** Whether `client` has budget left (a whole token) under a quota of `tokensPerMinute`. */
  check(client: string, tokensPerMinute: number): QuotaDecision | Promise<QuotaDecision>;
  /** Takes `tokens` (a finished request's prompt + completion tokens) from `client`'s budget. */
  charge(client: string, tokensPerMinute: number, tokens: number): void | Promise<void>;
}

/** Whole seconds (at least 1) until a balance of `balance` (< 1) holds a whole token again: the Retry-After. */
export function quotaRetryAfterSeconds(balance: number, tokensPerMinute: number): number {
  return Math.max(1, Math.ceil(((-balance + 1) * 60) / tokensPerMinute));
}

interface Balance {
  tokens: number;
  updatedMs: number;
}

export interface TokenQuotaOptions {
  /** Clock in milliseconds (tests). Default Date.now. */
  now?: () => number;
  /** Balances kept before full ones are dropped (default 10000). */
  maxClients?: number;
}

/** Token budgets in this process's memory (the default: each replica counts on its own). */
export class TokenQuotaBuckets implements TokenQuota {
  private readonly now: () => number;
  private readonly maxClients: number;
  private readonly balances = new Map<string, Balance>();

  constructor(options: TokenQuotaOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxClients = options.maxClients ?? 10_000;
  }

  check(client: string, tokensPerMinute: number): QuotaDecision {
    const balance = this.balances.get(client);
    if (!balance) return { allowed: true };
    const tokens = refilled(balance, tokensPerMinute, this.now());
    return tokens >= 1 ? { allowed: true } : { allowed: false, retryAfterSeconds: quotaRetryAfterSeconds(tokens, tokensPerMinute) };
  }

  charge(client: string, tokensPerMinute: number, tokens: number): void {
    const now = this.now();
    const balance = this.balances.get(client);
    const current = balance ? refilled(balance, tokensPerMinute, now) : tokensPerMinute;
    if (!balance && this.balances.size >= this.maxClients) this.evictFull(tokensPerMinute, now);
    this.balances.set(client, { tokens: current - tokens, updatedMs: now });
  }

  /** Drops balances that would be full by now (forgetting them changes nothing), then the oldest if still too many. */
  private evictFull(tokensPerMinute: number, now: number): void {
    for (const [client, balance] of this.balances) if (refilled(balance, tokensPerMinute, now) >= tokensPerMinute) this.balances.delete(client);
    for (const client of this.balances.keys()) {
      if (this.balances.size < this.maxClients) break;
      this.balances.delete(client);
    }
  }
}

function refilled(balance: Balance, tokensPerMinute: number, now: number): number {
  const elapsedMinutes = Math.max(0, now - balance.updatedMs) / 60_000;
  return Math.min(tokensPerMinute, balance.tokens + elapsedMinutes * tokensPerMinute);
}
