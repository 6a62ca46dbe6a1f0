/**
 * Finished responses kept for `previous_response_id` and `GET /v1/responses/{id}`: a bounded in-memory map with least-recently-used
 * eviction (`maxEntries`) and expiry (`ttlMs`). Lost on restart, like any in-memory cache. The Redis store
 * (redis/response-store.ts) implements the same `ResponseStorage` for replicas that share responses.
 */
import type { ChatMessage } from "../../types.js";

/** What a stored response keeps: the whole conversation so far (for `previous_response_id`), the response as it was returned and its input items. */
export interface StoredConversation {
  /** The name of the API key that created it (none on a server without keys): only that key can read it. */
  owner?: string;
  messages: ChatMessage[];
  response: object;
  inputItems: Array<Record<string, unknown>>;
}

export interface ResponseStoreOptions {
  /** Most responses kept (default 1000). */
  maxEntries?: number;
  /** Time a response stays retrievable after it was last stored or used (default 1 hour). */
  ttlMs?: number;
  /** Clock (tests; the in-memory store only). Default Date.now. */
  now?: () => number;
}

/** Defaults of `ResponseStoreOptions`, for every store. */
export const RESPONSE_STORE_DEFAULTS = { maxEntries: 1000, ttlMs: 3_600_000 } as const;

/** What the routes ask of a response store, in memory or shared (each call may wait for the store). */
export interface ResponseStorage<T> {
  /** The value, refreshed as most recently used; undefined when unknown or expired. */
  get(id: string): T | undefined | Promise<T | undefined>;
  set(id: string, value: T): void | Promise<void>;
  /** Removes a response; false when it was unknown or expired. */
  delete(id: string): boolean | Promise<boolean>;
}

/** Responses in this process's memory (the default). */
export class ResponseStore<T> implements ResponseStorage<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: ResponseStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? RESPONSE_STORE_DEFAULTS.maxEntries;
    this.ttlMs = options.ttlMs ?? RESPONSE_STORE_DEFAULTS.ttlMs;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, refreshed as most recently used; undefined when unknown or expired. */
  get(id: string): T | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (entry.expiresAt <= this.now()) return undefined;
    entry.expiresAt = this.now() + this.ttlMs;
    this.entries.set(id, entry);
    return entry.value;
  }

  /** Removes a response; false when it was unknown or expired. */
  delete(id: string): boolean {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    return entry !== undefined && entry.expiresAt > this.now();
  }

  set(id: string, value: T): void {
    this.entries.delete(id);
    this.entries.set(id, { value, expiresAt: this.now() + this.ttlMs });
    this.evict();
  }

  private evict(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(id);
    }
    // Map iteration order is insertion order, and get/set re-insert: the first key is the least recently used.
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(id);
    }
  }
}
