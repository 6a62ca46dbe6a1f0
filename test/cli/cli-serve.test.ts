// `gpt-oss serve` as a process: prints where it listens, serves the tiny model, exits 0 on SIGTERM.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { tinyModelPath } from "../helpers/fixture.js";

describe("gpt-oss serve", () => {
  it("serves until SIGTERM, then shuts down cleanly", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--model", await tinyModelPath(), "--alias", "tiny", "--port", "0", "--ctx-size", "1024", "--parallel", "1", "--api-key", "k"], {
      env: { ...process.env, LOG_LEVEL: "warn" },
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const exited = once(child, "exit");
    try {
      const started = Date.now();
      while (!/listening on (http:\/\/\S+)/.test(stdout)) {
        if (Date.now() - started > 30_000) throw new Error(`no listen line; stdout: ${stdout}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /listening on (http:\/\/\S+)/.exec(stdout)![1];
      let health: { status: string };
      do {
        await new Promise((r) => setTimeout(r, 100));
        health = (await (await fetch(`${url}/v1/health`)).json()) as { status: string };
      } while (health.status !== "healthy" && Date.now() - started < 30_000);
      expect(health.status).toBe("healthy");
      const unauthorized = await fetch(`${url}/v1/models`);
      expect(unauthorized.status).toBe(401);
      const models = (await (await fetch(`${url}/v1/models`, { headers: { authorization: "Bearer k" } })).json()) as { data: Array<{ id: string }> };
      expect(models.data.map((m) => m.id)).toEqual(["tiny"]);
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = await exited;
    expect(code).toBe(0);
  });
});
