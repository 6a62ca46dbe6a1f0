/**
 * What one API key may do: its non-secret `name` (the identity in logs, metrics and rate-limit / quota buckets),
 * the models and routes it may use, and its own limits. Keys come from `ServerOptions.apiKeys` (a plain string is
 * a key with no restrictions) and from a key file (key-file.ts). An omitted field means "no restriction" (or, for a
 * limit, the server-wide default).
 */
import { createHash } from "node:crypto";

/** One key as configured (the key file's `keys[]` entries, or `ServerOptions.apiKeys`). */
export interface ApiKeyEntry {
  /** The secret bearer key. */
  key: string;
  /**
   * Non-secret identity for logs, metrics and rate-limit / token-quota buckets (letters, digits, `.`, `_`, `-`;
   * at most 64). Keys sharing a name share those buckets. Default: `key-` and 12 hex digits of the key's SHA-256.
   */
  name?: string;
  /** Model ids (as served) the key may use; include "auto" to let it send `model: "auto"`. Default: every model. */
  models?: string[];
  /**
   * Paths the key may call, each also covering the paths below it ("/v1/responses" covers
   * "/v1/responses/{id}/input_items"). /v1/health and /health are always open. Default: every route.
   */
  routes?: string[];
  /** Prompt + completion tokens per minute (0: unlimited). Default: the server's `tokensPerMinute`. */
  tokensPerMinute?: number;
  /** Generation requests at once (0: unlimited). Default: the server's `maxConcurrentPerKey`. */
  maxConcurrent?: number;
}

/** A verified key's permissions and limits (never its secret). */
export interface KeyGrant {
  readonly name: string;
  /** Undefined: every model. */
  readonly models?: ReadonlySet<string>;
  /** Undefined: every route. */
  readonly routes?: readonly string[];
  readonly tokensPerMinute?: number;
  readonly maxConcurrent?: number;
}

/** What a key name may look like: safe in logs, Prometheus labels and Redis keys. */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The name of a key configured without one. */
export function defaultKeyName(key: string): string {
  return `key-${createHash("sha256").update(key, "utf8").digest("hex").slice(0, 12)}`;
}

/** The grant of a configured key. */
export function grantOf(entry: ApiKeyEntry): KeyGrant {
  return {
    name: entry.name ?? defaultKeyName(entry.key),
    ...(entry.models && { models: new Set(entry.models) }),
    ...(entry.routes && { routes: entry.routes.map((route) => route.replace(/\/+$/, "")) }),
    ...(entry.tokensPerMinute !== undefined && { tokensPerMinute: entry.tokensPerMinute }),
    ...(entry.maxConcurrent !== undefined && { maxConcurrent: entry.maxConcurrent }),
  };
}

/** Whether `grant` may call `path` (a request path without its query). */
export function mayUseRoute(grant: KeyGrant | null, path: string): boolean {
  if (!grant?.routes) return true;
  return grant.routes.some((route) => path === route || path.startsWith(`${route}/`));
}

/** Whether `grant` may use the served model `id` (or "auto"). */
export function mayUseModel(grant: KeyGrant | null, id: string): boolean {
  return !grant?.models || grant.models.has(id);
}

/** Whether `grant` may ask for "auto" without naming a served model of its own (it then routes among all of them). */
export function routesAmongAll(grant: KeyGrant | null, servedIds: readonly string[]): boolean {
  return !grant?.models || !servedIds.some((id) => grant.models!.has(id));
}

declare module "fastify" {
  interface FastifyRequest {
    /** The verified API key's grant; null on a server without keys (and on public routes). */
    apiKeyGrant: KeyGrant | null;
  }
}
