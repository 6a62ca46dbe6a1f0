/**
 * Stored responses in Redis, shared by every replica using the same Redis and key prefix: `ResponseStore`'s
 * semantics with Redis doing the work — each value a JSON string under `<prefix>response:<id>` that expires `ttlMs`
 * after its last store or use (SET PX, refreshed on read), and an index of last uses (`<prefix>responses`) that
 * holds the count to `maxEntries`, least recently used out first.
 */
import { RESPONSE_STORE_DEFAULTS, type ResponseStorage, type ResponseStoreOptions } from "../responses/store.js";
import type { RedisConnection } from "./connection.js";

export class RedisResponseStore<T> implements ResponseStorage<T> {
  private readonly maxEntries: number;
  private readonly ttlMs: number;

  /** `options.now` does not apply: expiry runs on Redis's clock. */
  constructor(
    private readonly connection: RedisConnection,
    options: ResponseStoreOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? RESPONSE_STORE_DEFAULTS.maxEntries;
    this.ttlMs = options.ttlMs ?? RESPONSE_STORE_DEFAULTS.ttlMs;
  }

  async get(id: string): Promise<T | undefined> {
    const json = await this.connection.run("storeGet", this.keysOf(id), [String(this.ttlMs)]);
    return typeof json === "string" ? (JSON.parse(json) as T) : undefined;
  }

  async set(id: string, value: T): Promise<void> {
    await this.connection.run("storeSet", this.keysOf(id), [JSON.stringify(value), String(this.ttlMs), String(this.maxEntries)]);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.connection.run("storeDelete", this.keysOf(id), [])) === 1;
  }

  private keysOf(id: string): [string, string] {
    const prefix = this.connection.keyPrefix;
    return [`${prefix}response:${id}`, `${prefix}responses`];
  }
}
