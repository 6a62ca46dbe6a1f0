// `gpt-oss serve` as a process under faults (README "Exit codes" and "Faults"): a port already in use, signals while
// a model is loading (a load stuck reading a FIFO stands for slow storage), and a model file deleted while serving.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOAD_ABORT_WAIT_MS } from "../../src/cli/serve.js";
import { tinyModelPath } from "../helpers/fixture.js";

const dir = mkdtempSync(join(tmpdir(), "gpt-oss-faults-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  output: { stdout: string; stderr: string };
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

function serve(...args: string[]): ServeProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--port", "0", "--ctx-size", "1024", "--parallel", "1", ...args], {
    env: { ...process.env, LOG_LEVEL: "warn" },
  });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => (output.stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output.stderr += d.toString()));
  return { child, output, exited: once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]> };
}

/** Resolves with the base URL once the process printed its listening line. */
async function listening({ output, child }: ServeProcess): Promise<string> {
  const started = Date.now();
  for (;;) {
    const match = /listening on (http:\/\/\S+)/.exec(output.stdout);
    if (match) return match[1]!;
    if (child.exitCode !== null || Date.now() - started > 30_000) throw new Error(`no listening line; stderr: ${output.stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function healthy(url: string): Promise<void> {
  const started = Date.now();
  while ((await fetch(`${url}/v1/health`)).status !== 200) {
    if (Date.now() - started > 30_000) throw new Error("the model never became ready");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The exit code (or the signal that ended the process) and how long after `since` the process exited. */
async function exitOf(p: ServeProcess, since: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const [code, signal] = await p.exited;
  return { code, signal, ms: Date.now() - since };
}

const chat = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 4 }),
  });

describe("gpt-oss serve under faults", () => {
  it("a second server on the same port exits 1 with one line naming the address, no stack trace", { timeout: 60_000 }, async () => {
    const first = serve("--model", await tinyModelPath());
    try {
      const port = new URL(await listening(first)).port;
      const second = serve("--model", await tinyModelPath(), "--port", port);
      const { code } = await exitOf(second, Date.now());
      expect(code).toBe(1);
      expect(second.output.stderr).toMatch(new RegExp(`^gpt-oss serve: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use .*\\(EADDRINUSE\\)\\n$`));
    } finally {
      first.child.kill("SIGTERM");
    }
    expect((await exitOf(first, Date.now())).code).toBe(0);
  });

  it("SIGTERM right after the listening line (the model loading) exits 0 promptly", { timeout: 60_000 }, async () => {
    const p = serve("--model", await tinyModelPath());
    await listening(p);
    const signalled = Date.now();
    p.child.kill("SIGTERM");
    const { code, ms } = await exitOf(p, signalled);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(p.output.stderr).toContain("SIGTERM: finishing in-flight requests");
  });

  it.skipIf(process.platform === "win32")("a load stuck in file I/O does not hold SIGTERM, nor does a second signal: both end the process by the signal (128+N)", { timeout: 60_000 }, async () => {
    const fifo = join(dir, "stuck.gguf");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0); // opening it for reading blocks until a writer comes: never
    const term = serve("--model", fifo);
    await listening(term);
    await new Promise((r) => setTimeout(r, 300)); // the load is now blocked opening the file
    let signalled = Date.now();
    term.child.kill("SIGTERM");
    const stopped = await exitOf(term, signalled);
    expect(stopped).toMatchObject({ code: null, signal: "SIGTERM" }); // a shell reports 143
    expect(stopped.ms).toBeLessThan(LOAD_ABORT_WAIT_MS + 3_000);
    expect(term.output.stderr).toContain(`did not stop within ${LOAD_ABORT_WAIT_MS} ms`);

    const twice = serve("--model", fifo);
    await listening(twice);
    await new Promise((r) => setTimeout(r, 300));
    signalled = Date.now();
    twice.child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 300));
    twice.child.kill("SIGINT");
    const forced = await exitOf(twice, signalled);
    expect(forced).toMatchObject({ code: null, signal: "SIGINT" }); // a shell reports 130
    expect(forced.ms).toBeLessThan(3_000);
    expect(twice.output.stderr).toContain("Second SIGINT: exiting now.");
  });

  it("keeps serving after its model file is deleted (the mapping stays valid)", { timeout: 60_000 }, async () => {
    const copy = join(dir, "deleted.gguf");
    copyFileSync(await tinyModelPath(), copy);
    const p = serve("--model", copy);
    try {
      const url = await listening(p);
      await healthy(url);
      expect((await chat(url)).status).toBe(200);
      unlinkSync(copy);
      for (let i = 0; i < 2; i++) expect((await chat(url)).status).toBe(200);
      expect((await fetch(`${url}/v1/health`)).status).toBe(200);
    } finally {
      p.child.kill("SIGTERM");
    }
    expect((await exitOf(p, Date.now())).code).toBe(0);
  });
});
