/**
 * The Lua scripts the shared state runs inside Redis, each one atomic. Times come from Redis's own clock (TIME),
 * so replicas whose clocks disagree still share one bucket; `takeToken` and the quota scripts accept a clock in ARGV for tests.
 * Scripts touch keys derived from their KEYS (evicted responses), so they need a single Redis, not Redis Cluster.
 */

/** Redis's clock in microseconds (exact in a Lua double until the year 2255). */
const NOW_MICROSECONDS = `local clock = redis.call('TIME')
local now_us = tonumber(clock[1]) * 1000000 + tonumber(clock[2])`;

/**
 * A bucket (hash {tokens, updated_us} at KEYS[1]) refilled to now: `rate` tokens per `unitUs` microseconds up to
 * `capacity` (Lua expressions over ARGV); a missing bucket is a full one. Sets `now_us` (ARGV[clockArg] in ms when it
 * is not "", else Redis's clock), `capacity` and `tokens`. The token bucket and the token quota both start with it.
 */
function refilledBucket(bucket: { capacity: string; rate: string; unitUs: number; clockArg: number }): string {
  return `${NOW_MICROSECONDS}
if ARGV[${bucket.clockArg}] ~= '' then now_us = tonumber(ARGV[${bucket.clockArg}]) * 1000 end
local capacity = ${bucket.capacity}
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated_us')
local tokens = tonumber(state[1])
if tokens == nil then
  tokens = capacity
else
  local elapsed = math.max(0, now_us - tonumber(state[2])) / ${bucket.unitUs}
  tokens = math.min(capacity, tokens + elapsed * ${bucket.rate})
end`;
}

/**
 * One token bucket, the rules of TokenBucketLimiter: refill `rate` tokens per second up to `burst`, take one if
 * there is one. The bucket is a hash {tokens, updated_us} that expires once it would be full again (a missing
 * bucket is a full one). KEYS[1] bucket; ARGV rate, burst, expiry ms, clock in ms or "" (Redis's).
 * Returns {1} when allowed, else {0, tokens left as a string} (Lua numbers become integers in replies).
 */
const TAKE_TOKEN = `${refilledBucket({ capacity: "tonumber(ARGV[2])", rate: "tonumber(ARGV[1])", unitUs: 1000000, clockArg: 4 })}
local allowed = tokens >= 1
if allowed then tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'updated_us', string.format('%.17g', now_us))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if allowed then return {1} end
return {0, string.format('%.17g', tokens)}`;

/**
 * Stores a response for ARGV[2] ms and records its use in the index (a sorted set of response keys by last use);
 * past ARGV[3] entries the least recently used are deleted. KEYS[1] response, KEYS[2] index; ARGV[1] the JSON.
 */
const STORE_SET = `${NOW_MICROSECONDS}
local ttl_ms = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl_ms)
redis.call('ZADD', KEYS[2], now_us, KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now_us - ttl_ms * 1000)
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if excess > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], excess)
  for i = 1, #oldest, 2 do redis.call('DEL', oldest[i]) end
end
redis.call('PEXPIRE', KEYS[2], ttl_ms)
return 1`;

/** Reads a response and refreshes its expiry (ARGV[1] ms) and its place in the index; nil when gone. */
const STORE_GET = `${NOW_MICROSECONDS}
local value = redis.call('GET', KEYS[1])
if not value then
  redis.call('ZREM', KEYS[2], KEYS[1])
  return false
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], now_us, KEYS[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return value`;

/** Deletes a response; 1 when it existed. */
const STORE_DELETE = `redis.call('ZREM', KEYS[2], KEYS[1])
return redis.call('DEL', KEYS[1])`;

/**
 * A token-quota balance refilled to now (the rules of TokenQuotaBuckets): `tpm` tokens per minute up to `tpm`; a
 * missing balance is a full one. Sets `tokens` (the balance), `capacity` (tpm) and `now_us`. ARGV[1] tpm, ARGV[2]
 * clock in ms or "" (Redis's).
 */
const REFILL_QUOTA = refilledBucket({ capacity: "tonumber(ARGV[1])", rate: "capacity", unitUs: 60000000, clockArg: 2 });
/** Whether a client has quota left: {1}, else {0, balance as a string}. KEYS[1] balance; ARGV tpm, clock. Writes nothing. */
const QUOTA_CHECK = `${REFILL_QUOTA}
if tokens >= 1 then return {1} end
return {0, string.format('%.17g', tokens)}`;

/**
 * Takes ARGV[3] tokens from a balance (it may go below zero) and lets it expire once it would be full again.
 * KEYS[1] balance; ARGV tpm, clock, tokens. Returns the new balance as a string.
 */
const QUOTA_CHARGE = `${REFILL_QUOTA}
tokens = tokens - tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'updated_us', string.format('%.17g', now_us))
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((capacity - tokens) * 60000 / capacity)))
return string.format('%.17g', tokens)`;

/** Every script, by the name the connection runs it under, with its number of KEYS. */
export const REDIS_SCRIPTS = {
  takeToken: { lua: TAKE_TOKEN, keys: 1 },
  storeSet: { lua: STORE_SET, keys: 2 },
  storeGet: { lua: STORE_GET, keys: 2 },
  storeDelete: { lua: STORE_DELETE, keys: 2 },
  quotaCheck: { lua: QUOTA_CHECK, keys: 1 },
  quotaCharge: { lua: QUOTA_CHARGE, keys: 1 },
} as const satisfies Record<string, { lua: string; keys: number }>;

export type RedisScriptName = keyof typeof REDIS_SCRIPTS;
