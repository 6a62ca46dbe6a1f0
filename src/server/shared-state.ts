/**
 * The state a server keeps between requests — rate-limit buckets, token-quota balances and stored responses — in
 * this process (the default) or in Redis, shared by every replica behind a load balancer (`ServerOptions.redis`, `--redis`).
 */
import { TokenBucketLimiter, type RateLimiter } from "./rate-limit.js";
import { RedisConnection, type RedisConnectionLog, type RedisStateOptions } from "./redis/connection.js";
import { RedisTokenBucketLimiter } from "./redis/rate-limit.js";
import { RedisResponseStore } from "./redis/response-store.js";
import { RedisTokenQuota } from "./redis/token-quota.js";
import { TokenQuotaBuckets, type TokenQuota } from "./token-quota.js";
import { ResponseStore, type ResponseStorage, type ResponseStoreOptions, type StoredConversation } from "./responses/store.js";

export interface SharedStateOptions {
  rateLimit?: { requestsPerSecond: number; burst?: number };
  responseStore?: ResponseStoreOptions;
  redis?: RedisStateOptions;
}

export interface SharedState {
  /** Undefined without a rate limit. */
  limiter: RateLimiter | undefined;
  /** Tokens per minute per client (used only for clients that have a quota). */
  quota: TokenQuota;
  responses: ResponseStorage<StoredConversation>;
  /** Connects to the store when it is remote (rejects with a one-line message when it cannot); else nothing. */
  open(): Promise<void>;
  close(): Promise<void>;
}

export function createSharedState(options: SharedStateOptions, log: RedisConnectionLog): SharedState {
  if (!options.redis) {
    return {
      limiter: options.rateLimit && new TokenBucketLimiter(options.rateLimit),
      quota: new TokenQuotaBuckets(),
      responses: new ResponseStore<StoredConversation>(options.responseStore),
      open: async () => {},
      close: async () => {},
    };
  }
  const connection = new RedisConnection(options.redis, log);
  return {
    limiter: options.rateLimit && new RedisTokenBucketLimiter(connection, options.rateLimit),
    quota: new RedisTokenQuota(connection),
    responses: new RedisResponseStore<StoredConversation>(connection, options.responseStore),
    open: () => connection.open(),
    close: () => connection.close(),
  };
}
