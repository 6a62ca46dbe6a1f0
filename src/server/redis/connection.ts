/**
 * The server's one connection to Redis (`--redis URL`), shared by the rate limiter and the response store. The
 * `redis` package (node-redis) is imported on first connect, so a server without Redis never loads it.
 *
 * Failure behaviour: the first connect fails fast (`open()` rejects, `gpt-oss serve` exits 1). Once connected, a lost
 * connection is retried with backoff forever; meanwhile every operation fails at once (no offline queue) or after
 * `commandTimeoutMs`, as a 503 `state_store_unavailable` with Retry-After, and the next request after Redis returns
 * works again. Scripts run by EVALSHA (node-redis falls back to EVAL when a restarted Redis no longer has them).
 */
import type { CommandParser, RedisClientType } from "redis";
import { ApiError } from "../errors.js";
import { REDIS_SCRIPTS, type RedisScriptName } from "./scripts.js";

export interface RedisStateOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (TLS). */
  url: string;
  /** Prefix of every key this server writes (default "gpt-oss:"): deployments sharing a Redis use different ones. */
  keyPrefix?: string;
  /** Longest wait for one Redis operation before the request fails with 503 (default 2000 ms). */
  commandTimeoutMs?: number;
}

/** Where the connection reports outages and recoveries (fastify's logger fits). */
export interface RedisConnectionLog {
  warn(message: string): void;
  info(message: string): void;
}

/** Default of `RedisStateOptions.keyPrefix`. */
export const DEFAULT_REDIS_KEY_PREFIX = "gpt-oss:";
const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;
/** Reconnect backoff after a lost connection: 100 ms doubling up to 2 s. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 2_000;
/** Retry-After of a 503 state_store_unavailable: reconnect attempts are at most 2 s apart. */
const RETRY_UNAVAILABLE_SECONDS = "2";

/** The URL without credentials, for messages and logs. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}

type ScriptClient = Record<RedisScriptName, (keys: string[], args: string[]) => Promise<unknown>>;

export class RedisConnection {
  readonly keyPrefix: string;
  private readonly where: string;
  private readonly commandTimeoutMs: number;
  private client: (RedisClientType & ScriptClient) | undefined;
  private opening: Promise<void> | undefined;
  private connectedOnce = false;
  private outage = false;
  private closed = false;

  constructor(
    private readonly options: RedisStateOptions,
    private readonly log: RedisConnectionLog,
  ) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    this.where = describeRedisUrl(options.url);
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  }

  /** Connects (once; later calls share the attempt). Rejects with a one-line message when Redis cannot be reached. */
  open(): Promise<void> {
    this.opening ??= this.connect().catch((error: unknown) => {
      this.opening = undefined;
      throw new Error(`Cannot reach Redis at ${this.where}: ${(error as Error).message}`);
    });
    return this.opening;
  }

  /** Runs one of REDIS_SCRIPTS; any failure to get an answer from Redis becomes a 503 `state_store_unavailable`. */
  async run(script: RedisScriptName, keys: string[], args: string[]): Promise<unknown> {
    try {
      await this.open();
      return await this.client![script](keys, args);
    } catch (error) {
      throw new ApiError(
        "state_store_unavailable",
        `The shared state store (Redis at ${this.where}) is unavailable: ${firstLine(error)}. The server reconnects by itself; retry shortly.`,
        null,
        { "Retry-After": RETRY_UNAVAILABLE_SECONDS },
      );
    }
  }

  /** Disconnects; pending operations fail. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client?.isOpen) await client.close();
  }

  private async connect(): Promise<void> {
    if (this.closed) throw new Error("the connection is closed");
    const { createClient, defineScript } = await import("redis");
    const scripts = Object.fromEntries(
      Object.entries(REDIS_SCRIPTS).map(([name, script]) => [
        name,
        defineScript({
          SCRIPT: script.lua,
          NUMBER_OF_KEYS: script.keys,
          parseCommand(parser: CommandParser, keys: string[], args: string[]) {
            for (const key of keys) parser.pushKey(key);
            parser.push(...args);
          },
          transformReply: (reply: unknown) => reply as never,
        }),
      ]),
    );
    const client = createClient({
      url: this.options.url,
      scripts,
      // Fail requests while disconnected instead of queueing them until Redis returns.
      disableOfflineQueue: true,
      commandOptions: { timeout: this.commandTimeoutMs, rejectInFlight: true },
      socket: {
        connectTimeout: this.commandTimeoutMs,
        // Before the first connection an error ends connect() (startup fails fast); after it, retry forever.
        reconnectStrategy: (retries, cause) =>
          this.connectedOnce && !this.closed ? Math.min(RECONNECT_FIRST_MS * 2 ** retries, RECONNECT_MAX_MS) : cause,
      },
    }) as unknown as RedisClientType & ScriptClient;
    client.on("error", (error: Error) => {
      if (!this.connectedOnce || this.outage || this.closed) return;
      this.outage = true;
      this.log.warn(`Redis at ${this.where} unavailable (${firstLine(error)}); reconnecting. Requests needing shared state answer 503 until it is back.`);
    });
    client.on("ready", () => {
      if (this.outage) this.log.info(`Redis at ${this.where} reachable again.`);
      this.outage = false;
    });
    await client.connect();
    this.connectedOnce = true;
    if (this.closed) {
      await client.close();
      throw new Error("the connection is closed");
    }
    this.client = client;
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.replace(/\.$/, "");
}
