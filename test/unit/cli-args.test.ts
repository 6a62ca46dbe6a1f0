// CLI argument handling: flags → server/load options, model ids, pull targets, usage errors (exit code 2).
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/args.js";
import { DEMO_MODEL, modelIdFromPath, resolveModelSpecs } from "../../src/cli/model-source.js";
import { progressLine } from "../../src/cli/progress.js";
import { pullUrls } from "../../src/cli/pull.js";
import { parseServeConfig } from "../../src/cli/serve.js";

const dir = mkdtempSync(join(tmpdir(), "gpt-oss-cli-"));
const modelA = join(dir, "gpt-oss-20b-mxfp4.gguf");
const modelB = join(dir, "other.gguf");
writeFileSync(modelA, "");
writeFileSync(modelB, "");
/** An environment with no models configured anywhere. */
const cleanEnv = { GPT_OSS_CONFIG: join(dir, "no-config.json") };

describe("serve flags", () => {
  it("maps flags to load and server options", () => {
    const config = parseServeConfig(
      ["--model", modelA, "--model", modelB, "--alias", "big", "--port", "0", "--host", "0.0.0.0", "--api-key", "k1", "--api-key", "k2", "--ctx-size", "4096", "--parallel", "2", "--threads", "3", "--gpu", "cpu", "--reasoning-effort", "high", "--rate-limit", "2:5", "--max-tokens", "100", "--temperature", "0", "--draft", "6"],
      cleanEnv,
    );
    expect(config.specs).toEqual([
      { id: "big", path: modelA },
      { id: "other", path: modelB },
    ]);
    expect(config).toMatchObject({ host: "0.0.0.0", port: 0, load: { contextSize: 4096, parallel: 2, threads: 3, gpu: false, draftTokens: 6 } });
    expect(config.server).toMatchObject({ apiKeys: ["k1", "k2"], rateLimit: { requestsPerSecond: 2, burst: 5 }, defaults: { reasoningEffort: "high", maxTokens: 100, temperature: 0 } });
  });

  it("takes keys, rate limit, port and model from the environment", () => {
    const config = parseServeConfig([], { ...cleanEnv, OPENAI_API_KEY: "env-key", API_RATE_LIMIT_RPS: "3", PORT: "9001", GPT_OSS_MODEL: modelB });
    expect(config.server.apiKeys).toEqual(["env-key"]);
    expect(config.server.rateLimit).toEqual({ requestsPerSecond: 3 });
    expect(config.port).toBe(9001);
    expect(config.specs).toEqual([{ id: "other", path: modelB }]);
  });

  it("falls back to the config file, then to the demo model", () => {
    const configFile = join(dir, "config.json");
    writeFileSync(configFile, JSON.stringify({ model: [modelA] }));
    expect(parseServeConfig([], { GPT_OSS_CONFIG: configFile }).specs).toEqual([{ id: "gpt-oss-20b-mxfp4", path: modelA }]);
    expect(parseServeConfig([], cleanEnv).specs).toEqual([{ id: "gpt-oss-demo", path: DEMO_MODEL }]);
  });

  it("maps the placement flags: GPU layers, expert offload, the fit's GPU budget, RPC servers", () => {
    const config = parseServeConfig(["--gpu-layers", "20", "--n-cpu-moe", "12", "--gpu-memory", "8192", "--rpc", "10.0.0.2:50052", "--rpc", "10.0.0.3:50052"], cleanEnv);
    expect(config.load).toEqual({ gpuLayers: 20, cpuMoeLayers: 12, gpuMemoryLimit: 8192 * 1024 * 1024, rpc: ["10.0.0.2:50052", "10.0.0.3:50052"] });
    expect(parseServeConfig([], cleanEnv).load).toEqual({});
    for (const argv of [["--gpu-layers", "-2"], ["--n-cpu-moe", "x"], ["--gpu-memory", "0"]]) {
      expect(() => parseServeConfig(argv, cleanEnv), argv.join(" ")).toThrow(UsageError);
    }
  });

  it("rejects bad values and unknown flags as usage errors", () => {
    const bad = [["--port", "http"], ["--gpu", "tpu"], ["--reasoning-effort", "max"], ["--rate-limit", "fast"], ["--parallel", "0"], ["--bogus"], ["--model"], ["--model", join(dir, "missing.gguf")], ["--model", modelA, "--model", modelA]];
    for (const argv of bad) expect(() => parseServeConfig(argv, cleanEnv), argv.join(" ")).toThrow(UsageError);
  });
});

describe("model ids and pull targets", () => {
  it("derives ids from file names, split files included", () => {
    expect(modelIdFromPath("/m/gpt-oss-20b-mxfp4.gguf")).toBe("gpt-oss-20b-mxfp4");
    expect(modelIdFromPath("/m/gpt-oss-120b-mxfp4-00001-of-00003.gguf")).toBe("gpt-oss-120b-mxfp4");
    expect(() => resolveModelSpecs([modelA], ["a", "b"], cleanEnv)).toThrow(/alias/);
  });

  it("knows ggml-org's files and accepts URLs", () => {
    expect(pullUrls("20b")).toEqual(["https://huggingface.co/ggml-org/gpt-oss-20b-GGUF/resolve/main/gpt-oss-20b-mxfp4.gguf"]);
    const parts = pullUrls("120B");
    expect(parts).toHaveLength(3);
    expect(parts[0]).toBe("https://huggingface.co/ggml-org/gpt-oss-120b-GGUF/resolve/main/gpt-oss-120b-mxfp4-00001-of-00003.gguf");
    expect(pullUrls("http://127.0.0.1:9/x.gguf")).toEqual(["http://127.0.0.1:9/x.gguf"]);
    expect(() => pullUrls("30b")).toThrow(UsageError);
    expect(() => pullUrls("ftp://host/x.gguf")).toThrow(UsageError);
  });

  it("formats a progress line with percent, speed and ETA", () => {
    expect(progressLine("x.gguf", 512 * 1024 ** 2, 1024 ** 3, 64 * 1024 ** 2)).toBe("x.gguf [############------------] 50.0% 512.0 MB/1.0 GB 64.0 MB/s ETA 00:08");
  });
});

describe("gpt-oss binary", () => {
  it("exits 2 with a clear message on an unknown flag, 0 on --help", async () => {
    const run = promisify(execFile);
    const cli = ["--import", "tsx", "src/cli/main.ts"];
    const failure = await run(process.execPath, [...cli, "pull", "--nope"]).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain("Unknown option '--nope'");
    const help = await run(process.execPath, [...cli, "serve", "--help"]);
    expect(help.stdout).toContain("--reasoning-effort");
  });
});
