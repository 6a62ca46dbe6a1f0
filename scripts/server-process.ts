/**
 * An HTTP server run as a child process for the scripts that load one (the soak, the server benchmark): started,
 * waited on until its health route answers 200, and stopped with SIGTERM. Its output is kept for the error message
 * when it does not come up.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

export interface ServerProcess {
  pid: number;
  /** Base URL, without a trailing slash. */
  url: string;
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Where the base URL comes from: a fixed one, or the first match of this pattern's group 1 in stdout. */
  url: string | RegExp;
  /** Answers 200 once the server is ready (`/v1/health`, llama-server's `/health`). */
  healthPath: string;
  /** Give up after this long (default 120000 ms). */
  readyTimeoutMs?: number;
}

/** Starts the server and resolves once its health route answers 200; stops it and rejects if that never comes. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child = spawn(options.command, options.args, { env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const started = Date.now();
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  try {
    for (;;) {
      const url = typeof options.url === "string" ? options.url : options.url.exec(stdout)?.[1];
      if (url && (await fetch(`${url}${options.healthPath}`).then((r) => r.status, () => 0)) === 200) return { pid: child.pid!, url, stop };
      if (child.exitCode !== null || child.signalCode !== null || Date.now() - started > timeoutMs) {
        throw new Error(`${options.command} did not become ready: ${stderr.slice(-800)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A TCP port free on the loopback interface right now (for servers that cannot be given port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/** VmRSS of a process in kB (Linux /proc), 0 where unavailable. */
export function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
