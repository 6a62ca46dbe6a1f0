// The `redis` package loads only for a server given `redis`: the default, in-process path never pays for it.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/** Runs a server with a rate limit and the response routes, in memory, then lists the loaded @redis modules. */
const SCRIPT = `
import { createRequire } from "node:module";
import { createServer } from "./src/server/index.ts";
const server = createServer({ models: [{ id: "m", model: new Promise(() => {}) }], rateLimit: { requestsPerSecond: 5 }, gpuProbe: false });
const missing = await server.app.inject({ url: "/v1/responses/resp_x" });
if (missing.statusCode !== 404) throw new Error("expected 404, got " + missing.statusCode);
await server.shutdown({ timeoutMs: 0 });
const cache = createRequire(import.meta.url)("node:module")._cache;
console.log(JSON.stringify(Object.keys(cache).filter((path) => /[\\\\/]node_modules[\\\\/](redis|@redis)[\\\\/]/.test(path))));
`;

describe("the redis package", () => {
  it("is not loaded by a server without Redis", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCRIPT], { timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toEqual([]);
  });

  it("is imported lazily (type-only imports at the top of src/)", async () => {
    const { stdout } = await promisify(execFile)("grep", ["-rnE", `^import [^t].*from "(redis|@redis/[a-z-]+)"`, "src"]).catch(() => ({ stdout: "" }));
    expect(stdout).toBe("");
  });
});
