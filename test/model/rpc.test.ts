// ggml's RPC backend across two `gpt-oss rpc-server` processes on loopback: the layers split across them give the
// local run's greedy output, the remote devices are listed, and a server that goes away fails requests, not the process.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../src/index.js";
import type { Model } from "../../src/chat/types.js";
import { freePort } from "../../scripts/server-process.js";
import { tinyModelPath } from "../helpers/fixture.js";

const CLI = ["--import", "tsx", "src/cli/main.ts"];

/** Starts `gpt-oss rpc-server` on a free loopback port; resolves once it serves. */
async function startRpcServer(): Promise<{ endpoint: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...CLI, "rpc-server", "--port", String(port), "--threads", "1", "--no-cache"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data;
      if (output.includes(`serving CPU on 127.0.0.1:${port}`)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`rpc-server exited with ${code}: ${output}`)));
  });
  return { endpoint: `127.0.0.1:${port}`, process: child };
}

const messages = [{ role: "user" as const, content: "Split me across two machines." }];
const GREEDY = { maxTokens: 16, temperature: 0, maxReasoningTokens: 4 };

describe("RPC across two local rpc-servers", () => {
  const servers: Array<{ endpoint: string; process: ChildProcess }> = [];
  let path: string;
  let remote: Model;

  beforeAll(async () => {
    path = await tinyModelPath();
    servers.push(await startRpcServer(), await startRpcServer());
    remote = await loadModel(path, { gpu: false, rpc: servers.map((s) => s.endpoint), contextSize: 512, parallel: 2, threads: 2 });
  });
  afterAll(async () => {
    await remote?.dispose();
    for (const server of servers) server.process.kill("SIGTERM");
  });

  it("places layers and KV cache on both servers' devices", () => {
    expect(remote.info.backend).toBe("CPU+RPC");
    expect(remote.info.devices).toEqual(["RPC0", "RPC1"]);
    for (const device of ["RPC0", "RPC1"]) {
      const held = remote.info.memory.filter((m) => m.device === device);
      expect(held.reduce((sum, m) => sum + m.modelBytes, 0)).toBeGreaterThan(0);
      expect(held.reduce((sum, m) => sum + m.contextBytes, 0)).toBeGreaterThan(0);
    }
  });

  it("gives the local run's greedy output", async () => {
    const local = await loadModel(path, { gpu: false, contextSize: 512, parallel: 2, threads: 2 });
    try {
      const [here, there] = [await local.chat(messages, GREEDY), await remote.chat(messages, GREEDY)];
      expect(there.content).toBe(here.content);
      expect(there.reasoning).toBe(here.reasoning);
      expect(there.usage).toEqual(here.usage);
    } finally {
      await local.dispose();
    }
  });

  it("gpt-oss info --rpc lists the remote device; a server busy with another client is a clear error, not a hang", async () => {
    const free = await startRpcServer();
    try {
      const info = spawnSync(process.execPath, [...CLI, "info", "--rpc", free.endpoint], { encoding: "utf8", timeout: 60_000 });
      expect(info.status).toBe(0);
      expect(info.stdout).toMatch(new RegExp(`RPC0 \\(RPC, gpu\\) ${free.endpoint.replace(/\./g, "\\.")}`));
    } finally {
      free.process.kill("SIGTERM");
    }
    // servers[0] serves this process's model: an rpc-server takes one client at a time.
    const busy = spawnSync(process.execPath, [...CLI, "info", "--rpc", servers[0]!.endpoint], { encoding: "utf8", timeout: 60_000 });
    expect(busy.status).not.toBe(0);
    expect(busy.status).not.toBeNull();
    expect(busy.stderr).toContain(`RPC server ${servers[0]!.endpoint} does not answer (no handshake within`);
  });

  it("an unreachable server or a malformed endpoint is a clear error before anything loads", async () => {
    const port = await freePort(); // nothing listens there
    await expect(loadModel(path, { gpu: false, rpc: [`127.0.0.1:${port}`] })).rejects.toMatchObject({
      code: "ERR_BACKEND_UNAVAILABLE", message: expect.stringMatching(new RegExp(`RPC server 127\\.0\\.0\\.1:${port} does not answer \\(ECONNREFUSED\\)`)),
    });
    await expect(loadModel(path, { gpu: false, rpc: ["no-port"] })).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
    await expect(loadModel(path, { gpu: false, rpc: "127.0.0.1:1" as never })).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
  });

  it("a server that goes away mid-request fails the requests with its name, and the process lives on", async () => {
    // Its own servers and model: this test breaks them for good.
    const doomed = [await startRpcServer(), await startRpcServer()];
    const model = await loadModel(path, { gpu: false, rpc: doomed.map((s) => s.endpoint), contextSize: 512, parallel: 2, threads: 2 });
    try {
      const running = model.chat(messages, { maxTokens: 400, temperature: 0, maxReasoningTokens: 0 });
      setTimeout(() => doomed[1]!.process.kill("SIGKILL"), 300);
      await expect(running).rejects.toMatchObject({
        code: "ERR_DECODE_FAILED", message: expect.stringContaining(`RPC server ${doomed[1]!.endpoint} stopped answering`),
      });
      await expect(model.chat(messages, GREEDY)).rejects.toMatchObject({ code: "ERR_DECODE_FAILED" });
      expect((await remote.chat(messages, { ...GREEDY, maxTokens: 4 })).usage.completionTokens).toBeGreaterThan(0);
    } finally {
      await model.dispose();
      for (const server of doomed) server.process.kill("SIGKILL");
    }
  });
});
