// A GPU backend against the CPU, through the addon, the library, the CLI and the server. By default: Vulkan on
// Mesa's software driver (lavapipe), built by `npm run build:vulkan` into build-vulkan/ with the Debian packages of
// `scripts/system-deps.sh vulkan`. lavapipe is a CPU-type Vulkan device, which ggml skips unless
// GGML_VK_VISIBLE_DEVICES names it (a real GPU needs no variable). Another backend: GPT_OSS_TEST_GPU=cuda|metal with
// GPT_OSS_TEST_GPU_ADDON=<its build>/Release/gpt_oss_node.node (the release workflow's Metal row, a lent GPU
// machine). CI sets GPT_OSS_REQUIRE_GPU=1, so a missing build fails there instead of skipping.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../src/chat/types.js";
import type { NativeAddon, NativeContext, NativeModel } from "../../src/native/types.js";
import { tinyModelPath } from "../helpers/fixture.js";

const GPU = (process.env.GPT_OSS_TEST_GPU ?? "vulkan") as "vulkan" | "cuda" | "metal";
const BACKEND = { vulkan: "Vulkan", cuda: "CUDA", metal: "Metal" }[GPU];
const GPU_ADDON = resolve(process.env.GPT_OSS_TEST_GPU_ADDON ?? join(process.cwd(), "build-vulkan", "Release", "gpt_oss_node.node"));
const built = existsSync(GPU_ADDON);
if (!built && process.env.GPT_OSS_REQUIRE_GPU === "1") throw new Error(`GPT_OSS_REQUIRE_GPU=1 but ${GPU_ADDON} is missing: run npm run build:vulkan`);
// This file runs in its own process: the addon is loaded after these lines. Vulkan device 0 is lavapipe where it is
// the only device, and the first GPU elsewhere.
Object.assign(process.env, { GPT_OSS_NODE_ADDON: GPU_ADDON }, GPU === "vulkan" ? { GGML_VK_VISIBLE_DEVICES: process.env.GGML_VK_VISIBLE_DEVICES ?? "0" } : {});

const PROMPTS = [[200006, 1428, 200008, 13225, 2375, 200007], [12, 34, 56, 78, 90, 1000, 2000, 3000, 4000], [5000, 6000, 7000]];
const STEPS = 24;
const TOP = 8;
/**
 * Log-probabilities of the same token on the GPU and on the CPU differ by less than this. The GPU kernels keep
 * activations and the KV cache in f16 where the CPU's keep more; on the random-weight tiny model the top tokens
 * are often closer together than that, so greedy picks may differ there (and only there).
 */
const LOGPROB_TOLERANCE = 3e-2;

describe.skipIf(!built)(`${BACKEND} against the CPU (${GPU_ADDON})`, () => {
  let addon: NativeAddon;
  let loadModel: typeof import("../../src/index.js").loadModel;
  let path: string;
  let device: string;

  beforeAll(async () => {
    ({ loadModel } = await import("../../src/index.js"));
    addon = (await import("../../src/native/index.js")).loadNative();
    path = await tinyModelPath();
    device = addon.listDevices().find((d) => d.backend === BACKEND)?.name ?? `no ${BACKEND} device`;
  });

  it(`lists the ${BACKEND} device`, () => {
    const found = addon.listDevices().filter((d) => d.backend === BACKEND);
    expect(found.length).toBeGreaterThan(0);
    console.log(`${BACKEND} devices: ${found.map((d) => `${d.name} = ${d.description}`).join(", ")}`);
  });

  describe("the same greedy tokens and log-probabilities as the CPU", () => {
    let cpu: NativeModel, gpu: NativeModel, offload: NativeModel;
    let cpuContext: NativeContext, gpuContext: NativeContext, offloadContext: NativeContext;
    beforeAll(async () => {
      const native = await import("../helpers/native.js");
      const { flashAttentionFor } = await import("../../src/native/devices.js");
      const flashAttention = flashAttentionFor(addon.listDevices().filter((d) => d.name === device));
      const onGpu = (cpuMoeLayers: number) => addon.loadModel(path, { devices: [device], gpuLayers: -1, cpuMoeLayers, useMmap: true, useMlock: false }).promise;
      cpu = await native.loadTiny(path);
      gpu = await onGpu(0);
      offload = await onGpu(2);
      cpuContext = await cpu.createContext(native.contextOptions({ sequences: 1 }));
      gpuContext = await gpu.createContext(native.contextOptions({ sequences: 1, flashAttention }));
      offloadContext = await offload.createContext(native.contextOptions({ sequences: 1, flashAttention }));
    });
    afterAll(() => {
      for (const model of [cpu, gpu, offload]) model?.dispose();
    });

    /** Scores `forced` in one batch: greedy pick and top log-probabilities at every position after the prompt. */
    async function score(context: NativeContext, forced: number[], promptLength: number) {
      const native = await import("../helpers/native.js");
      context.kvClear();
      const indices = forced.map((_, i) => i).slice(promptLength - 1, -1);
      const samplers = indices.map(() => context.createSampler(native.GREEDY));
      const result = await context.decode({
        tokens: Int32Array.from(forced), positions: Int32Array.from(forced.map((_, i) => i)), sequenceIds: new Int32Array(forced.length),
        sampleIndices: Int32Array.from(indices), samplers, topLogprobs: TOP,
      });
      for (const sampler of samplers) sampler.dispose();
      return { sampled: Array.from(result.sampled), top: Array.from(result.topLogprobs!), ids: Array.from(result.topTokens!) };
    }
    type Score = Awaited<ReturnType<typeof score>>;

    /**
     * Log-probabilities of the same tokens agree within the tolerance, and a greedy pick differs only where the
     * reference's best two are closer than twice the tolerance. Returns the worst difference and those steps.
     */
    function expectClose(reference: Score, candidate: Score): { worst: number; nearTies: number[] } {
      let worst = 0;
      const nearTies: number[] = [];
      for (let step = 0; step < reference.sampled.length; step++) {
        const row = (s: Score) => new Map(s.ids.slice(step * TOP, (step + 1) * TOP).map((id, k) => [id, s.top[step * TOP + k]!]));
        const expected = row(reference), actual = row(candidate);
        for (const [id, logprob] of expected) if (actual.has(id)) worst = Math.max(worst, Math.abs(logprob - actual.get(id)!));
        if (reference.sampled[step] !== candidate.sampled[step]) {
          const [best, second] = [...expected.values()];
          expect(best! - second!, `step ${step}`).toBeLessThan(2 * LOGPROB_TOLERANCE);
          nearTies.push(step);
        }
      }
      expect(worst).toBeLessThan(LOGPROB_TOLERANCE);
      expect(nearTies.length).toBeLessThan(reference.sampled.length / 4);
      return { worst, nearTies };
    }

    it("places the weights and the KV cache on the GPU device", () => {
      const vulkan = gpuContext.memoryBreakdown().filter((m) => m.device === device && !m.host);
      expect(vulkan.reduce((sum, m) => sum + m.modelBytes, 0)).toBeGreaterThan(0);
      expect(vulkan.reduce((sum, m) => sum + m.contextBytes, 0)).toBeGreaterThan(0);
      expect(cpuContext.memoryBreakdown().every((m) => m.device === "CPU")).toBe(true);
    });

    it.each(PROMPTS.map((prompt, i) => [i, prompt] as const))("prompt %i: teacher-forced log-probabilities agree within the tolerance; greedy picks differ only at near-ties", async (_, prompt) => {
      const native = await import("../helpers/native.js");
      cpuContext.kvClear();
      const forced = [...prompt, ...(await native.greedySolo(cpuContext, 0, prompt, STEPS))];
      const { worst, nearTies } = expectClose(await score(cpuContext, forced, prompt.length), await score(gpuContext, forced, prompt.length));
      console.log(`${BACKEND} vs CPU, prompt of ${prompt.length}: worst log-probability difference ${worst.toExponential(2)}; greedy picks differ at near-ties ${JSON.stringify(nearTies)} of ${STEPS}`);
    });

    it("the experts of the first layers on the host (cpuMoeLayers 2) compute what the all-GPU model does", async () => {
      const prompt = PROMPTS[1]!;
      const native = await import("../helpers/native.js");
      gpuContext.kvClear();
      const forced = [...prompt, ...(await native.greedySolo(gpuContext, 0, prompt, STEPS))];
      const { worst, nearTies } = expectClose(await score(gpuContext, forced, prompt.length), await score(offloadContext, forced, prompt.length));
      console.log(`cpuMoeLayers 2 vs all on ${BACKEND}: worst log-probability difference ${worst.toExponential(2)}; near-ties ${JSON.stringify(nearTies)}`);
      // The experts left the device: its model bytes shrink.
      const onDevice = (context: NativeContext) => context.memoryBreakdown().filter((m) => m.device === device && !m.host).reduce((sum, m) => sum + m.modelBytes, 0);
      expect(onDevice(offloadContext)).toBeLessThan(onDevice(gpuContext));
    });
  });

  describe("through loadModel", () => {
    let auto: Model;
    beforeAll(async () => {
      auto = await loadModel(path, { contextSize: 1024, parallel: 2, threads: 2 });
    });
    afterAll(async () => {
      await auto?.dispose();
    });

    it(`gpu: "auto" picks ${BACKEND} over the CPU and says why`, () => {
      expect(auto.info.backend).toBe(BACKEND);
      expect(auto.info.devices).toEqual([device]);
      expect(auto.info.placement).toMatchObject({ gpuLayers: -1, cpuMoeLayers: 0 });
      expect(auto.info.placement.reason).toMatch(/^fit: all layers on the GPU/);
    });

    it("chats through the library on the GPU", async () => {
      const result = await auto.chat([{ role: "user", content: "Name three colours." }], { maxTokens: 12, temperature: 0, maxReasoningTokens: 4 });
      expect(["stop", "length"]).toContain(result.finishReason);
      expect(result.usage.completionTokens).toBeGreaterThan(0);
      expect(auto.stats()).toMatchObject({ activeRequests: 0 });
    });

    it("cpuMoeLayers keeps exactly those layers' experts in host memory", async () => {
      const file = await (await import("../../src/gguf/index.js")).readGguf(path);
      const expertBytes = file.tensors.filter((t) => /^blk\.[01]\.ffn_(gate|up|down)_exps\./.test(t.name)).reduce((sum, t) => sum + t.sizeBytes, 0);
      const offload = await loadModel(path, { contextSize: 1024, parallel: 2, threads: 2, gpu: GPU, cpuMoeLayers: 2 });
      try {
        expect(offload.info.placement).toMatchObject({ gpuLayers: -1, cpuMoeLayers: 2, reason: expect.stringMatching(/^as asked/) });
        const onDevice = (m: Model) => m.info.memory.filter((e) => e.device === device && !e.host).reduce((sum, e) => sum + e.modelBytes, 0);
        expect(onDevice(auto) - onDevice(offload)).toBe(expertBytes);
      } finally {
        await offload.dispose();
      }
    });

    it("the automatic fit moves experts to the host when the GPU budget is short", async () => {
      const { FIT_RESERVE_BYTES, gpuBytes, modelFootprint } = await import("../../src/chat/placement.js");
      const footprint = modelFootprint(await (await import("../../src/gguf/index.js")).readGguf(path), "gpt-oss", 1024);
      const limit = gpuBytes(footprint, -1, 3) + FIT_RESERVE_BYTES; // room for everything but 3 layers' experts
      const fitted = await loadModel(path, { contextSize: 1024, parallel: 2, threads: 2, gpuMemoryLimit: limit });
      try {
        expect(fitted.info.placement).toMatchObject({ gpuLayers: -1, cpuMoeLayers: 3 });
        expect(fitted.info.placement.reason).toMatch(/experts of the first 3 of 4 layers in host memory/);
      } finally {
        await fitted.dispose();
      }
    });
  });

  describe(`the CLI and the server on ${BACKEND}`, () => {
    const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
      spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });

    it(`gpt-oss info lists the ${BACKEND} device`, () => {
      const info = cli(["info"]);
      expect(info.status).toBe(0);
      expect(info.stdout).toContain(`  ${device} (${BACKEND}, `);
    });

    it.runIf(GPU === "vulkan")('without a Vulkan driver: gpu "vulkan" fails naming what is present, "auto" falls back to the CPU', () => {
      const script = `
        import { loadModel } from "./src/index.ts";
        const path = process.argv[1];
        try { await loadModel(path, { gpu: "vulkan", contextSize: 256, parallel: 1 }); console.log("loaded?"); }
        catch (e) { console.log(e.code, e.message); }
        const m = await loadModel(path, { contextSize: 256, parallel: 1 });
        console.log("auto", m.info.backend); await m.dispose();`;
      return tinyModelPath().then((path) => {
        const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, path], {
          encoding: "utf8", env: { ...process.env, VK_ICD_FILENAMES: "/nonexistent/icd.json", VK_DRIVER_FILES: "/nonexistent/icd.json" }, timeout: 60_000,
        });
        expect(run.stdout).toMatch(/^ERR_BACKEND_UNAVAILABLE gpu: "vulkan" was requested but no Vulkan device is available \(backends loaded: [^)]*CPU/m);
        expect(run.stdout).toMatch(/^auto CPU$/m);
      });
    });

    it(`serve --gpu ${GPU} answers a chat`, async () => {
      const path = await tinyModelPath();
      const server = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--model", path, "--gpu", GPU, "--port", "0", "--ctx-size", "512", "--parallel", "1"], { env: process.env });
      try {
        let stdout = "", stderr = "";
        server.stderr.on("data", (d: Buffer) => { stderr += d; });
        const url = await new Promise<string>((resolve, reject) => {
          server.stdout.on("data", (d: Buffer) => {
            stdout += d;
            const match = /listening on (http:\/\/\S+) /.exec(stdout);
            if (match && stderr.includes("ready:")) resolve(match[1]!);
          });
          server.stderr.on("data", () => {
            const match = /listening on (http:\/\/\S+) /.exec(stdout);
            if (match && stderr.includes("ready:")) resolve(match[1]!);
          });
          server.once("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
        });
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: "POST", headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 8, temperature: 0 }),
        });
        expect(response.status).toBe(200);
        const body = await response.json() as { choices: Array<{ message: { role: string } }>; usage: { completion_tokens: number } };
        expect(body.choices[0]!.message.role).toBe("assistant");
        expect(body.usage.completion_tokens).toBeGreaterThan(0);
        expect(stderr).toContain(`ready: gpt-oss, ${BACKEND} on ${device} (fit: all layers on the GPU`);
      } finally {
        server.kill("SIGTERM");
      }
    });
  });
});
