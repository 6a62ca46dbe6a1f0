// The native bridge's lifetimes and errors on the tiny model: disposal orders, aborts, bad files and options,
// worker threads, and the cases that must not crash the process (each in a child process).
import { copyFile, open, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GptOssError } from "../../src/errors.js";
import { selectDevices } from "../../src/native/devices.js";
import type { NativeContext, NativeModel } from "../../src/native/types.js";
import { tinyModelPath } from "../helpers/fixture.js";
import { addon, addonFilePath, closeTinyNative, contextOptions, GREEDY, loadTiny, openTinyNative, SAMPLE_PROMPTS } from "../helpers/native.js";

let path: string;
let model: NativeModel;
let context: NativeContext;
let scratch: string;

beforeAll(async () => ({ path, model, context, scratch } = await openTinyNative()));
afterAll(() => closeTinyNative({ model, scratch }));

const addonPath = addonFilePath();
const prompts = SAMPLE_PROMPTS;

describe("lifetimes and errors", () => {
  it("disposing a model disposes its contexts and samplers first, and dispose is idempotent", async () => {
    const own = await loadTiny(path);
    const ctx = await own.createContext(contextOptions({ sequences: 1, contextSize: 256 }));
    const sampler = ctx.createSampler(GREEDY);
    own.dispose();
    own.dispose();
    ctx.dispose();
    sampler.dispose();
    expect([own.disposed, ctx.disposed, sampler.disposed]).toEqual([true, true, true]);
    await expect(async () => ctx.decode({
      tokens: Int32Array.of(1), positions: Int32Array.of(0), sequenceIds: Int32Array.of(0),
      sampleIndices: new Int32Array(0), samplers: [],
    })).rejects.toMatchObject({ code: "ERR_DISPOSED" });
    expect(() => own.tokenize("x", false)).toThrow(expect.objectContaining({ code: "ERR_DISPOSED" }));
    expect(() => own.createContext(contextOptions())).toThrow(expect.objectContaining({ code: "ERR_DISPOSED" }));
  });

  it("disposing during an in-flight decode lets the decode settle, then frees", async () => {
    const own = await loadTiny(path);
    const ctx = await own.createContext(contextOptions({ sequences: 1, contextSize: 256 }));
    const sampler = ctx.createSampler(GREEDY);
    const tokens = Array.from(own.tokenize(prompts[0]!.repeat(4), false));
    const pending = ctx.decode({
      tokens: Int32Array.from(tokens), positions: Int32Array.from(tokens.map((_, i) => i)),
      sequenceIds: new Int32Array(tokens.length), sampleIndices: Int32Array.of(tokens.length - 1), samplers: [sampler],
    });
    own.dispose();
    const result = await pending;
    expect(result.sampled).toHaveLength(1);
    expect(ctx.disposed).toBe(true);
  });

  it("a context too large for memory is ERR_CONTEXT_CREATE_FAILED, not a crash", async () => {
    await expect(model.createContext(contextOptions({ contextSize: 2 ** 26, sequences: 1 })))
      .rejects.toMatchObject({ code: "ERR_CONTEXT_CREATE_FAILED", message: expect.stringContaining(path) });
  });

  it("a missing file is ERR_MODEL_NOT_FOUND", () => {
    expect(() => addon.loadModel(join(scratch, "nope.gguf"), { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: true, useMlock: false }))
      .toThrow(expect.objectContaining({ code: "ERR_MODEL_NOT_FOUND" }));
  });

  it("wrong magic, truncated and corrupt files are ERR_MODEL_LOAD_FAILED naming the file", async () => {
    const size = (await stat(path)).size;
    const wrongMagic = join(scratch, "magic.gguf");
    await copyFile(path, wrongMagic);
    const handle = await open(wrongMagic, "r+");
    await handle.write(Buffer.from("GGUX"), 0, 4, 0);
    await handle.close();
    const truncated = join(scratch, "truncated.gguf");
    await copyFile(path, truncated);
    const t = await open(truncated, "r+");
    await t.truncate(Math.floor(size * 0.6));
    await t.close();
    const garbage = join(scratch, "garbage.gguf");
    await writeFile(garbage, Buffer.alloc(4096, 7));
    for (const file of [wrongMagic, truncated, garbage]) {
      await expect(addon.loadModel(file, { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: true, useMlock: false }).promise)
        .rejects.toMatchObject({ code: "ERR_MODEL_LOAD_FAILED", message: expect.stringContaining(file) });
    }
    // A rejection from the load thread is the library's error class too.
    await expect(addon.loadModel(garbage, { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: true, useMlock: false }).promise).rejects.toBeInstanceOf(GptOssError);
  });

  it("abort stops a load with ERR_MODEL_LOAD_ABORTED", async () => {
    const task = addon.loadModel(path, { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: false, useMlock: false });
    task.abort();
    await expect(task.promise).rejects.toMatchObject({ code: "ERR_MODEL_LOAD_ABORTED" });
  });

  it("reports load progress through a thread-safe callback and keeps the event loop ticking", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const fractions: number[] = [];
    const own = await addon.loadModel(path, { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: false, useMlock: false }, (f) => fractions.push(f)).promise;
    const ticksAfterLoad = ticks;
    const ctx = await own.createContext(contextOptions({ sequences: 1, contextSize: 512, batchSize: 512, ubatchSize: 512 }));
    const long = Array.from(own.tokenize("lorem ipsum dolor sit amet ".repeat(80), false)).slice(0, 500);
    const sampler = ctx.createSampler(GREEDY);
    const before = ticks;
    await ctx.decode({
      tokens: Int32Array.from(long), positions: Int32Array.from(long.map((_, i) => i)),
      sequenceIds: new Int32Array(long.length), sampleIndices: Int32Array.of(long.length - 1), samplers: [sampler],
    });
    clearInterval(timer);
    own.dispose();
    expect(fractions.length).toBeGreaterThan(0);
    expect(fractions.at(-1)).toBe(1);
    expect(ticksAfterLoad).toBeGreaterThan(0);
    expect(ticks).toBeGreaterThan(before);
  });

  it("asking for an absent GPU backend is ERR_BACKEND_UNAVAILABLE; CPU is always listed", () => {
    expect(addon.listDevices().some((d) => d.type === "cpu")).toBe(true);
    const present = new Set(addon.listDevices().map((d) => d.backend));
    for (const gpu of ["cuda", "vulkan", "metal"] as const) {
      const backend = { cuda: "CUDA", vulkan: "Vulkan", metal: "Metal" }[gpu];
      if (present.has(backend)) continue;
      expect(() => selectDevices(addon, gpu)).toThrow(expect.objectContaining({ code: "ERR_BACKEND_UNAVAILABLE" }));
    }
    expect(selectDevices(addon, false)).toEqual({ devices: [], backend: "CPU", flashAttention: "auto" });
  });

  it("works inside worker_threads; a worker ending with a live model, or terminated mid-load or mid-decode, does not crash", async () => {
    // mode "exit": the worker's loop runs dry with the model undisposed (the env cleanup hook frees it).
    // mode "terminate": the worker keeps decoding until terminate() tears its env down under a decode in flight.
    // mode "churn": loads and creates contexts in a loop; terminate() lands during a load or a createContext.
    const code = `
      const { parentPort, workerData } = require("node:worker_threads");
      const addon = require(workerData.addonPath);
      const load = () => addon.loadModel(workerData.path, { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: true, useMlock: false }).promise;
      if (workerData.mode === "churn") parentPort.postMessage(0);
      (async () => {
        for (; workerData.mode === "churn"; ) (await (await load()).createContext(workerData.options)).dispose();
        const model = await load();
        const ctx = await model.createContext(workerData.options);
        const sampler = ctx.createSampler(workerData.greedy);
        const step = (position, token) => ctx.decode({ tokens: Int32Array.of(token), positions: Int32Array.of(position),
          sequenceIds: Int32Array.of(0), sampleIndices: Int32Array.of(0), samplers: [sampler] });
        let token = (await step(0, 13225)).sampled[0];
        parentPort.postMessage(token);
        if (workerData.mode !== "terminate") return;
        for (let position = 1; ; position = position % 200 + 1) token = (await step(position, token)).sampled[0];
      })().catch((e) => parentPort.postMessage("error:" + e.code + ":" + e.message));
    `;
    const runs = ["exit", "terminate", ...[0, 15, 40, 80].map((ms) => `churn:${ms}`)];
    for (const run of runs) {
      const [mode, delayMs] = run.split(":");
      const worker = new Worker(code, {
        eval: true,
        workerData: { path, addonPath, mode, options: contextOptions({ sequences: 1, contextSize: 256 }), greedy: GREEDY },
      });
      const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
      const message = await new Promise((resolve, reject) => { worker.once("message", resolve); worker.once("error", reject); });
      expect(typeof message, String(message)).toBe("number");
      if (mode !== "exit") {
        await new Promise((resolve) => setTimeout(resolve, Number(delayMs ?? 30)));
        await worker.terminate();
      }
      expect(await exited, run).toBe(mode === "exit" ? 0 : 1);
    }
    // The main thread's own model is unaffected by the workers' teardown.
    expect(model.tokenize("still alive", false).length).toBeGreaterThan(0);
  });
});

const LOAD = `const addon = require(${JSON.stringify(addonPath)});
  const load = (p) => addon.loadModel(p, { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: true, useMlock: false }).promise;`;

function runChild(body: string, path: string): { status: number | null; signal: string | null; stdout: string } {
  const r = spawnSync(process.execPath, ["--expose-gc", "-e", `${LOAD}\n(async () => { ${body} })().catch((e) => { console.log("error:" + e.code); process.exitCode = 3; });`],
    { env: { ...process.env, MODEL: path }, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout };
}

describe("lifetimes that must not crash the process (each in a child process)", () => {
  it("disposing a model while createContext is pending rejects ERR_DISPOSED", async () => {
    const r = runChild(`const m = await load(process.env.MODEL);
      const pending = m.createContext({ contextSize: 1024, batchSize: 256, ubatchSize: 256, sequences: 1, threads: 1,
        threadsBatch: 1, flashAttention: "auto", cacheTypeK: "f16", cacheTypeV: "f16", swaFull: true, kvUnified: false });
      m.dispose();
      await pending.then(() => console.log("resolved"), (e) => console.log(e.code));`, await tinyModelPath());
    expect(r).toMatchObject({ status: 0, signal: null, stdout: "ERR_DISPOSED\n" });
  });
  it("a model garbage-collected without dispose() does not crash at exit", async () => {
    const r = runChild(`{ let m = await load(process.env.MODEL); m = undefined; }
      for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
      console.log("ok");`, await tinyModelPath());
    expect(r).toMatchObject({ status: 0, signal: null, stdout: "ok\n" });
  });
  it("native classes cannot be constructed from JS", async () => {
    const r = runChild(`const m = await load(process.env.MODEL);
      const c = await m.createContext({ contextSize: 256, batchSize: 64, ubatchSize: 64, sequences: 1, threads: 1,
        threadsBatch: 1, flashAttention: "auto", cacheTypeK: "f16", cacheTypeV: "f16", swaFull: true, kvUnified: false });
      const s = c.createSampler({ temperature: 0, topK: 0, topP: 1, minP: 0, seed: 1, repeatPenalty: 1, frequencyPenalty: 0, presencePenalty: 0, penaltyLastN: 64, logitBias: [] });
      for (const make of [() => new m.constructor().info, () => new c.constructor().contextSize, () => new s.constructor().reset()]) {
        try { make(); console.log("no throw"); } catch (e) { console.log(e.code); }
      }
      m.dispose();`, await tinyModelPath());
    expect(r).toMatchObject({ status: 0, signal: null, stdout: "ERR_INVALID_ARGUMENT\n".repeat(3) });
  });

  it("rejects non-integer and out-of-range native options instead of wrapping them", async () => {
    const r = runChild(`const m = await load(process.env.MODEL);
      const base = { contextSize: 256, batchSize: 64, ubatchSize: 64, sequences: 1, threads: 1, threadsBatch: 1,
        flashAttention: "auto", cacheTypeK: "f16", cacheTypeV: "f16", swaFull: true, kvUnified: false };
      for (const patch of [{ contextSize: -1 }, { batchSize: 2 ** 40 }, { threads: 1.5 }, { sequences: NaN }]) {
        try { m.createContext({ ...base, ...patch }); console.log("accepted"); } catch (e) { console.log(e.code); }
      }
      const c = await m.createContext(base);
      try { c.createSampler({ temperature: 0, topK: 0, topP: 1, minP: 0, seed: 1, repeatPenalty: 1, frequencyPenalty: 0, presencePenalty: 0, penaltyLastN: 64, logitBias: [["x", 1]] }); console.log("accepted"); } catch (e) { console.log(e.code); }
      m.dispose();`, await tinyModelPath());
    expect(r).toMatchObject({ status: 0, signal: null, stdout: "ERR_INVALID_ARGUMENT\n".repeat(5) });
  });
});
