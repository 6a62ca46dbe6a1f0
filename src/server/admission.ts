/**
 * Who may make a request, checked before any route runs, in this order: the API key (401), the key's routes (403),
 * the request rate (429 `rate_limit_exceeded`), and for generation routes the token quota (429
 * `token_quota_exceeded`) and the concurrency cap (429 `concurrent_requests_exceeded`). A client is its key's name
 * (`key:NAME`), or its address (`ip:ADDRESS`) on a server without keys. Token use is charged after each finished
 * generation (`chargeUsage`).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Usage } from "../chat/types.js";
import type { ApiKeyVerifier } from "./auth.js";
import type { ConcurrencyCaps } from "./concurrency-caps.js";
import { ApiError } from "./errors.js";
import { mayUseRoute, type KeyGrant } from "./key-grants.js";
import type { ServerMetrics } from "./metrics.js";
import type { RateLimiter } from "./rate-limit.js";
import type { TokenQuota } from "./token-quota.js";

/** Retry-After of a 429 concurrent_requests_exceeded: a place frees when one of the client's requests ends. */
const RETRY_CONCURRENT_SECONDS = "1";

export interface AdmissionLimits {
  /** Tokens per minute of a client whose key sets none (0: unlimited). */
  tokensPerMinute: number;
  /** Generation requests at once of a client whose key sets none (0: unlimited). */
  maxConcurrentPerKey: number;
}

export interface AdmissionParts {
  keys: ApiKeyVerifier;
  limiter: RateLimiter | undefined;
  quota: TokenQuota;
  caps: ConcurrencyCaps;
  metrics: ServerMetrics;
  limits: AdmissionLimits;
}

/** The bucket id of a request's client. */
function clientOf(request: FastifyRequest): string {
  return request.apiKeyGrant ? `key:${request.apiKeyGrant.name}` : `ip:${request.ip}`;
}

export class Admission {
  constructor(private readonly parts: AdmissionParts) {}

  /**
   * Checks one request (throws the ApiError to answer): `path` is the route it matched, `generation` whether it
   * runs the model. Sets `request.apiKeyGrant`.
   */
  async admit(request: FastifyRequest, reply: FastifyReply, route: { path: string; generation: boolean }): Promise<void> {
    const { keys, limiter, quota, caps, limits } = this.parts;
    const grant = keys.enabled ? this.authenticate(request, reply) : null;
    request.apiKeyGrant = grant;
    if (!mayUseRoute(grant, route.path)) {
      throw new ApiError("permission_denied", `The API key '${grant!.name}' may not use ${route.path}; it may use: ${grant!.routes!.join(", ") || "no route"}.`);
    }
    const client = clientOf(request);
    if (limiter) {
      const decision = await limiter.take(client);
      if (!decision.allowed) {
        throw new ApiError("rate_limit_exceeded", `Rate limit reached (${limiter.requestsPerSecond} requests/s, burst ${limiter.burst}); retry in ${decision.retryAfterSeconds} s.`, null, {
          "Retry-After": String(decision.retryAfterSeconds),
        });
      }
    }
    if (!route.generation) return;
    const tokensPerMinute = this.tokensPerMinuteOf(grant);
    if (tokensPerMinute > 0) {
      const decision = await quota.check(client, tokensPerMinute);
      if (!decision.allowed) {
        throw new ApiError("token_quota_exceeded", `Token quota reached (${tokensPerMinute} tokens per minute, prompt and completion); retry in ${decision.retryAfterSeconds} s.`, null, {
          "Retry-After": String(decision.retryAfterSeconds),
        });
      }
    }
    const maxConcurrent = grant?.maxConcurrent ?? limits.maxConcurrentPerKey;
    const release = caps.tryAcquire(client, maxConcurrent);
    if (!release) {
      throw new ApiError("concurrent_requests_exceeded", `Too many requests at once (at most ${maxConcurrent} for this ${grant ? "API key" : "client"}); retry when one has finished.`, null, {
        "Retry-After": RETRY_CONCURRENT_SECONDS,
      });
    }
    reply.raw.once("close", release);
  }

  /** Counts a finished generation's tokens against its client's quota (and the per-key token metric). Never throws. */
  chargeUsage(request: FastifyRequest, usage: Usage): void {
    const tokens = usage.promptTokens + usage.completionTokens;
    const grant = request.apiKeyGrant;
    if (grant) this.parts.metrics.observeKeyTokens(grant.name, tokens);
    const tokensPerMinute = this.tokensPerMinuteOf(grant);
    if (tokensPerMinute <= 0 || tokens <= 0) return;
    Promise.resolve()
      .then(() => this.parts.quota.charge(clientOf(request), tokensPerMinute, tokens))
      .catch((error: unknown) => request.log.warn(`token quota not charged: ${(error as Error).message}`));
  }

  private tokensPerMinuteOf(grant: KeyGrant | null): number {
    return grant?.tokensPerMinute ?? this.parts.limits.tokensPerMinute;
  }

  private authenticate(request: FastifyRequest, reply: FastifyReply): KeyGrant {
    const grant = this.parts.keys.verify(request.headers.authorization);
    if (grant) return grant;
    reply.header("www-authenticate", 'Bearer realm="gpt-oss"');
    throw new ApiError("invalid_api_key", request.headers.authorization ? "Incorrect API key provided." : "Missing API key: send 'Authorization: Bearer YOUR_KEY'.");
  }
}
