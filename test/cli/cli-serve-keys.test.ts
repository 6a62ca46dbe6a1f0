// `gpt-oss serve --api-key-file` as a process: SIGHUP re-reads the key file (and does not kill the server), the
// logs — at trace level — hold neither keys nor prompts, and a non-loopback bind without a key warns on stderr.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tinyModelPath } from "../helpers/fixture.js";

interface Served {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
}

const children: ChildProcessWithoutNullStreams[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const until = async (condition: () => boolean | Promise<boolean>, what: string, output: () => string, timeoutMs = 30_000) => {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}; output: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

async function serve(args: string[]): Promise<Served> {
  const { OPENAI_API_KEY: _key, GPT_OSS_API_KEY_FILE: _file, ...env } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--model", await tinyModelPath(), "--alias", "tiny", "--port", "0", "--ctx-size", "512", "--parallel", "1", "--threads", "1", ...args], {
    env: { ...env, LOG_LEVEL: "trace" },
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const served = { child, stdout: () => stdout, stderr: () => stderr };
  await until(() => /listening on (http:\/\/\S+)/.test(stdout), "the listen line", () => stdout + stderr);
  return served;
}

const urlOf = (served: Served) => /listening on (http:\/\/\S+)/.exec(served.stdout())![1]!.replace("0.0.0.0", "127.0.0.1");
const status = async (url: string, key: string) => (await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status;

describe("gpt-oss serve --api-key-file", () => {
  it("re-reads the key file on SIGHUP and never logs keys or prompts", async () => {
    dir = mkdtempSync(join(tmpdir(), "gpt-oss-serve-keys-"));
    const keyFile = join(dir, "keys.json");
    writeFileSync(keyFile, JSON.stringify({ keys: [{ key: "sk-first-secret", name: "first", models: ["tiny"] }] }));
    const served = await serve(["--api-key-file", keyFile]);
    const url = urlOf(served);
    const output = () => served.stdout() + served.stderr();
    await until(async () => ((await (await fetch(`${url}/v1/health`)).json()) as { status: string }).status === "healthy", "the model", output);

    const prompt = "Tell me about the purple walrus";
    const chat = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sk-first-secret", "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: prompt }], max_tokens: 4, reasoning_effort: "low" }),
    });
    expect(chat.status).toBe(200);
    const answer = ((await chat.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content;

    // An unchanged file: only SIGHUP can make the server say it reloaded.
    served.child.kill("SIGHUP");
    await until(() => /API key file .* reloaded: 1 key\(s\)/.test(served.stdout()), "the reload line", output);
    expect(served.child.exitCode).toBeNull();

    writeFileSync(keyFile, JSON.stringify({ keys: [{ key: "sk-second-secret", name: "second" }] }));
    served.child.kill("SIGHUP");
    await until(async () => (await status(url, "sk-second-secret")) === 200, "the new key", output);
    expect(await status(url, "sk-first-secret")).toBe(401);
    expect(await status(url, "sk-never-valid")).toBe(401);

    const logs = output();
    expect(logs).toContain('"reqId"'); // trace-level request logging was on
    for (const secret of ["sk-first-secret", "sk-second-secret", "sk-never-valid", "purple walrus"]) expect(logs).not.toContain(secret);
    if (answer.trim().length > 8) expect(logs).not.toContain(answer.trim());
  });

  it("warns on stderr when it listens beyond loopback without a key", async () => {
    const open = await serve(["--host", "0.0.0.0"]);
    expect(open.stderr()).toMatch(/Warning: listening on 0\.0\.0\.0 without an API key/);
    const keyed = await serve(["--host", "0.0.0.0", "--api-key", "sk-some-key"]);
    const loopback = await serve([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(keyed.stderr() + loopback.stderr()).not.toContain("without an API key");
  });
});

describe("serve's key and limit flags", () => {
  const cleanEnv = { GPT_OSS_CONFIG: join(tmpdir(), "gpt-oss-no-config.json") };

  it("passes the key file and limits to the server, with the documented defaults", async () => {
    const { parseServeConfig } = await import("../../src/cli/serve.js");
    const parsed = parseServeConfig(
      ["--api-key-file", "/etc/keys.json", "--tokens-per-minute", "20000", "--max-concurrent-per-key", "4", "--request-timeout", "1.5", "--max-body-bytes", "65536"],
      cleanEnv,
    ).server;
    expect(parsed).toMatchObject({ apiKeyFile: "/etc/keys.json", tokensPerMinute: 20000, maxConcurrentPerKey: 4, requestTimeoutMs: 1500, bodyLimitBytes: 65536 });
    expect(parseServeConfig([], { ...cleanEnv, GPT_OSS_API_KEY_FILE: "/run/keys.json" }).server.apiKeyFile).toBe("/run/keys.json");
    const defaults = parseServeConfig([], cleanEnv).server;
    for (const option of ["apiKeyFile", "tokensPerMinute", "maxConcurrentPerKey", "requestTimeoutMs", "bodyLimitBytes"]) expect(defaults).not.toHaveProperty(option);
    expect(parseServeConfig(["--request-timeout", "0"], cleanEnv).server.requestTimeoutMs).toBe(0);
    for (const bad of [["--tokens-per-minute", "lots"], ["--max-concurrent-per-key", "1.5"], ["--request-timeout", "soon"], ["--max-body-bytes", "10"]]) {
      expect(() => parseServeConfig(bad, cleanEnv), bad.join(" ")).toThrow(/Expected/);
    }
  });
});
