// The README's code examples run as written, against the tiny synthetic model: only the model path, the package
// import and the server address are substituted.
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadModel } from "../../src/index.js";
import { createServer, type GptOssServer } from "../../src/server/index.js";
import type { Model } from "../../src/chat/types.js";
import { tinyModelPath } from "../helpers/fixture.js";

const readme = readFileSync("README.md", "utf8");

function example(name: string): string {
  const match = readme.match(new RegExp(`<!-- readme-example:${name} -->\\n\`\`\`ts\\n([\\s\\S]*?)\`\`\``));
  if (!match) throw new Error(`README has no example "${name}"`);
  return match[1]!;
}

let scratch: string;
let modelPath: string;

beforeAll(async () => {
  modelPath = await tinyModelPath();
  scratch = await mkdtemp(join(resolve("test"), ".readme-"));
});
afterAll(async () => { await rm(scratch, { recursive: true, force: true }); });

async function run(name: string, code: string): Promise<unknown[][]> {
  const file = join(scratch, `${name}.ts`);
  await writeFile(file, code);
  const logs: unknown[][] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => { logs.push(args); });
  const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    await import(pathToFileURL(file).href);
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
  return logs;
}

describe("README examples", () => {
  it("the library example runs end to end", async () => {
    const code = example("library")
      .replace(`from "gpt-oss-node"`, `from ${JSON.stringify(pathToFileURL(resolve("src/index.ts")).href)}`)
      .replace(`"./gpt-oss-20b-mxfp4.gguf"`, JSON.stringify(modelPath));
    expect(code).toContain(modelPath);
    const logs = await run("library", code);
    const [first, city, tools] = logs;
    expect(["stop", "length"]).toContain(first![0]);
    expect(first![2]).toMatchObject({ promptTokens: expect.any(Number), completionTokens: expect.any(Number) });
    expect(["Oslo", "Lima", "Kyoto"]).toContain((city![0] as { name: string }).name);
    expect(tools![0]).toBeGreaterThanOrEqual(1);
    expect(tools![1]).toBeGreaterThanOrEqual(3);
    expect(logs.at(-1)![1]).toMatch(/^(stop|length)$/);
  }, 120_000);

  describe("the OpenAI SDK example", () => {
    let model: Model;
    let server: GptOssServer;
    let url: string;
    beforeAll(async () => {
      model = await loadModel(modelPath, { contextSize: 1024, parallel: 1 });
      server = createServer({ models: [{ id: "gpt-oss-20b-mxfp4", model }], apiKeys: ["secret"] });
      url = await server.listen({ host: "127.0.0.1", port: 0 });
    });
    afterAll(async () => {
      await server?.shutdown({ timeoutMs: 1000 });
      await model?.dispose();
    });

    it("streams a completion from the server", async () => {
      const base = new URL(url).origin;
      const code = example("openai").replace("http://127.0.0.1:8000", base);
      expect(code).toContain(base);
      const chunks: string[] = [];
      (globalThis as { __readmeChunks?: string[] }).__readmeChunks = chunks;
      await run("openai", code.replace("process.stdout.write(", "globalThis.__readmeChunks.push("));
      // One write per streamed chunk: the role chunk, content deltas, the finish chunk.
      expect(chunks.length).toBeGreaterThanOrEqual(2);
      expect(chunks.every((c) => typeof c === "string")).toBe(true);
    }, 60_000);
  });
});
