/**
 * A throwaway `redis-server` for the shared-state tests: loopback only, a free port, no persistence. Installed by
 * scripts/system-deps.sh (.ci/run runs it, and sets GPT_OSS_REQUIRE_REDIS=1). Without the binary the tests skip
 * with a message — or fail when CI or GPT_OSS_REQUIRE_REDIS is "1", so that CI cannot skip them silently. (GitHub's
 * CI=true does not count: the release workflow's macOS and Windows rows have no redis-server.)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createClient } from "redis";
import { RedisConnection } from "../../src/server/redis/connection.js";
import { freePort } from "../../scripts/server-process.js";

const BINARY = process.env.GPT_OSS_REDIS_SERVER ?? "/usr/bin/redis-server";
const REQUIRED = process.env.CI === "1" || process.env.GPT_OSS_REQUIRE_REDIS === "1";

/** True when redis-server is installed. Throws when it is missing but required; logs why the tests skip otherwise. */
export function redisAvailable(): boolean {
  if (existsSync(BINARY)) return true;
  const why = `${BINARY} is not installed (scripts/system-deps.sh redis installs it; GPT_OSS_REDIS_SERVER names another)`;
  if (REQUIRED) throw new Error(`The Redis tests are required here (CI or GPT_OSS_REQUIRE_REDIS=1) but ${why}.`);
  console.warn(`Skipping the Redis shared-state tests: ${why}.`);
  return false;
}

export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server on `port` (default: a free one) and waits until it accepts connections. */
  static async start(port?: number): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()));
    await server.restart();
    return server;
  }

  /** (Re)starts it on the same port, empty. */
  async restart(): Promise<void> {
    if (this.child) throw new Error("redis-server is already running");
    const child = spawn(BINARY, ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let output = "";
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (data: Buffer) => {
        output += data.toString();
        if (output.includes("Ready to accept connections")) resolve();
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${output}`)));
    });
    const timeout = setTimeout(() => child.kill("SIGKILL"), 10_000);
    try {
      await ready;
    } finally {
      clearTimeout(timeout);
    }
  }

  /** Freezes it (SIGSTOP): connections stay open but nothing answers, like a hung server. `resume()` undoes it. */
  pause(): void {
    this.child?.kill("SIGSTOP");
  }

  resume(): void {
    this.child?.kill("SIGCONT");
  }

  /** Kills it at once (SIGKILL: no goodbye to the clients), like a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }
}

/** A raw node-redis client, for looking at keys the way an operator would (errors are the test's to see). */
export function rawRedisClient(url: string) {
  const client = createClient({ url });
  client.on("error", () => {});
  return client;
}
export type RawRedisClient = ReturnType<typeof rawRedisClient>;

/** A redis-server with the project's connection (under `keyPrefix`) and a raw client on it. */
export interface RedisFixture {
  redis: RedisServer;
  connection: RedisConnection;
  raw: RawRedisClient;
  close(): Promise<void>;
}

/** Starts a RedisFixture; `close()` stops the clients, then the server. */
export async function startRedisFixture(keyPrefix: string): Promise<RedisFixture> {
  const redis = await RedisServer.start();
  const connection = new RedisConnection({ url: redis.url, keyPrefix, commandTimeoutMs: 1000 }, { warn: () => {}, info: () => {} });
  await connection.open();
  const raw = rawRedisClient(redis.url);
  await raw.connect();
  const fixture: RedisFixture = {
    redis, connection, raw,
    async close() {
      await this.raw.close(); // a test may have replaced it (after restarting the server)
      await this.connection.close();
      await this.redis.kill();
    },
  };
  return fixture;
}
