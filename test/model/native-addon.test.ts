// The native bridge on the tiny synthetic gpt-oss model: loading, metadata, tokenizer cross-check,
// batched decode, sequence ops, lifetimes and errors.
import { get_encoding } from "tiktoken";
import { copyFile, mkdtemp, open, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GptOssError } from "../../src/errors.js";
import { selectDevices } from "../../src/native/devices.js";
import { loadNative, nativeBinding } from "../../src/native/index.js";
import type { NativeContext, NativeModel } from "../../src/native/types.js";
import { tinyModelPath } from "../helpers/fixture.js";
import { GREEDY, addon, contextOptions, greedyBatched, greedySolo, loadTiny } from "../helpers/native.js";

/** The built addon file, for code that loads it outside this module (child processes, workers). */
const addonPath = (() => {
  loadNative();
  return nativeBinding()!.path;
})();

let path: string;
let model: NativeModel;
let context: NativeContext;
let scratch: string;

beforeAll(async () => {
  path = await tinyModelPath();
  model = await loadTiny(path);
  context = await model.createContext(contextOptions());
  scratch = await mkdtemp(join(tmpdir(), "gpt-oss-native-"));
});

afterAll(async () => {
  model?.dispose();
  await rm(scratch, { recursive: true, force: true });
});

const prompts = [
  "The quick brown fox jumps over the lazy dog.",
  "function add(a, b) { return a + b; }",
  "Once upon a time in a land far away",
  "SELECT name FROM users WHERE id = 42;",
];

describe("model", () => {
  it("reports gpt-oss metadata and geometry", () => {
    expect(model.info.architecture).toBe("gpt-oss");
    expect(model.info.vocabSize).toBe(201088);
    expect(model.info.slidingWindow).toBe(128);
    const metadata = model.metadata();
    expect(metadata["general.architecture"]).toBe("gpt-oss");
    expect(metadata["tokenizer.ggml.model"]).toBe("gpt2");
    expect(metadata["tokenizer.ggml.pre"]).toBe("gpt-4o");
    expect(metadata["gpt-oss.rope.scaling.type"]).toBe("yarn");
    expect(Number(metadata["gpt-oss.block_count"])).toBe(model.info.layerCount);
    expect(Number(metadata["gpt-oss.embedding_length"])).toBe(model.info.embeddingSize);
  });

  it("tokenizes plain English and code like tiktoken's o200k_base", () => {
    const encoding = get_encoding("o200k_base");
    try {
      const samples = [
        ...prompts,
        "Hello world! It's 2026; we're testing tokenization, aren't we?",
        "import { readFile } from \"node:fs/promises\";\nconst x = await readFile('a.txt', 'utf8');\n",
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
        "    indented\twith tabs   and   spaces 1234567 numbers",
      ];
      for (const text of samples) {
        expect(Array.from(model.tokenize(text, false)), text).toEqual(Array.from(encoding.encode(text)));
      }
    } finally {
      encoding.free();
    }
  });

  it("documents where llama.cpp's tokenizer diverges (why TypeScript owns tokenization)", () => {
    // llama.cpp splits Devanagari words at combining marks; tiktoken keeps " हिन्दी" as one token.
    const encoding = get_encoding("o200k_base");
    try {
      expect(encoding.encode(" हिन्दी").length).toBe(1);
      expect(model.tokenize(" हिन्दी", false).length).toBeGreaterThan(1);
    } finally {
      encoding.free();
    }
    // llama.cpp marks the harmony header tokens USER_DEFINED, so typed "<|start|>" becomes the control token
    // even with special parsing off: a prompt-injection hole that src/tokenizer closes.
    expect(Array.from(model.tokenize("<|start|>", true))).toEqual([200006]);
    expect(Array.from(model.tokenize("<|start|>", false))).toEqual([200006]);
  });

  it("detokenizes, rendering control tokens only on request", () => {
    const ids = model.tokenize("Hello world", false);
    expect(model.detokenize(ids, false)).toBe("Hello world");
    expect(model.detokenize(Int32Array.of(200002), true)).toBe("<|return|>");
    expect(model.detokenize(Int32Array.of(200002), false)).toBe("");
    expect(() => model.detokenize(Int32Array.of(999_999), false)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
  });
});

describe("decode", () => {
  it("greedy decoding is deterministic", async () => {
    const prompt = Array.from(model.tokenize(prompts[0]!, false));
    const first = await greedySolo(context, 0, prompt, 12);
    context.kvRemove(0, 0, -1);
    const second = await greedySolo(context, 0, prompt, 12);
    context.kvRemove(0, 0, -1);
    expect(second).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it("four sequences in one batch give each one's solo greedy tokens", async () => {
    const tokenized = prompts.map((p) => Array.from(model.tokenize(p, false)));
    const solo: number[][] = [];
    for (const [seq, prompt] of tokenized.entries()) {
      solo.push(await greedySolo(context, seq, prompt, 10));
      context.kvRemove(seq, 0, -1);
    }
    const batched = await greedyBatched(context, tokenized, 10);
    for (let seq = 0; seq < 4; seq++) context.kvRemove(seq, 0, -1);
    expect(batched).toEqual(solo);
  });

  it("removing a sequence mid-generation frees its cells and leaves the others intact", async () => {
    const tokenized = prompts.slice(0, 2).map((p) => Array.from(model.tokenize(p, false)));
    await greedyBatched(context, tokenized, 4);
    const before = context.memoryUsage().kvCellsUsed;
    expect(context.kvRemove(1, 0, -1)).toBe(true);
    expect(context.kvRange(1)).toEqual([-1, -1]);
    expect(context.memoryUsage().kvCellsUsed).toBe(before - (tokenized[1]!.length + 3));
    expect(context.kvRange(0)).toEqual([0, tokenized[0]!.length + 2]);
    context.kvClear();
    expect(context.memoryUsage().kvCellsUsed).toBe(0);
  });

  it("keeps a prefix across sliding-window layers: re-decoding the suffix reproduces the output", async () => {
    // Longer than the 128-token window, so the SWA layers hold more than a window.
    const long = Array.from(model.tokenize("one two three four five six seven eight nine ten ".repeat(30), false)).slice(0, 240);
    expect(long.length).toBe(240);
    const full = await greedySolo(context, 2, long, 6);
    context.kvRemove(2, 0, -1);
    await greedySolo(context, 2, long, 1);
    // Keep the first 180 positions, drop the rest, and decode the remainder on top of the kept prefix.
    expect(context.kvRemove(2, 180, -1)).toBe(true);
    expect(context.kvRange(2)).toEqual([0, 179]);
    const sampler = context.createSampler(GREEDY);
    const rest = long.slice(180);
    let result = await context.decode({
      tokens: Int32Array.from(rest), positions: Int32Array.from(rest.map((_, i) => 180 + i)),
      sequenceIds: new Int32Array(rest.length).fill(2), sampleIndices: Int32Array.of(rest.length - 1), samplers: [sampler],
    });
    const resumed = [result.sampled[0]!];
    while (resumed.length < 6) {
      result = await context.decode({
        tokens: Int32Array.of(resumed.at(-1)!), positions: Int32Array.of(long.length + resumed.length - 1),
        sequenceIds: Int32Array.of(2), sampleIndices: Int32Array.of(0), samplers: [sampler],
      });
      resumed.push(result.sampled[0]!);
    }
    sampler.dispose();
    context.kvRemove(2, 0, -1);
    expect(resumed).toEqual(full);
  });

  it("returns top log-probabilities that are normalized and sorted", async () => {
    const sampler = context.createSampler(GREEDY);
    const prompt = Array.from(model.tokenize(prompts[2]!, false));
    const result = await context.decode({
      tokens: Int32Array.from(prompt), positions: Int32Array.from(prompt.map((_, i) => i)),
      sequenceIds: new Int32Array(prompt.length).fill(3), sampleIndices: Int32Array.of(prompt.length - 1),
      samplers: [sampler], topLogprobs: 5,
    });
    sampler.dispose();
    context.kvRemove(3, 0, -1);
    const top = Array.from(result.topLogprobs!);
    expect(top).toHaveLength(5);
    expect(top.every((v, i) => v <= 0 && (i === 0 || v <= top[i - 1]!))).toBe(true);
    expect(result.topTokens![0]).toBe(result.sampled[0]); // greedy picks the most likely token
    expect(result.sampledLogprobs![0]).toBeCloseTo(top[0]!, 5);
  });

  it("timings() counts every settled decode and splits its time into compute and sampling", async () => {
    const own = await model.createContext(contextOptions({ sequences: 1, contextSize: 128 }));
    expect(own.timings()).toEqual({ steps: 0, computeMs: 0, sampleMs: 0 });
    const generated = await greedySolo(own, 0, Array.from(model.tokenize(prompts[0]!, false)), 5);
    const timings = own.timings();
    expect(generated).toHaveLength(5);
    expect(timings.steps).toBe(5); // the prompt's decode gives the first token, then one step per token
    expect(timings.computeMs).toBeGreaterThan(0);
    expect(timings.sampleMs).toBeGreaterThan(0);
    await expect(own.decode({
      tokens: Int32Array.of(1), positions: Int32Array.of(500), sequenceIds: Int32Array.of(0),
      sampleIndices: Int32Array.of(0), samplers: [own.createSampler(GREEDY)],
    })).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_/) });
    expect(own.timings().steps).toBe(6); // a failed step counts too
    own.dispose();
  });

  it("greedy picks the first most likely token at every step (the argmax agrees with the logprob ranking)", async () => {
    const sampler = context.createSampler(GREEDY);
    let token = model.tokenize(prompts[1]!, false)[0]!;
    for (let position = 0; position < 24; position++) {
      const result = await context.decode({
        tokens: Int32Array.of(token), positions: Int32Array.of(position), sequenceIds: Int32Array.of(2),
        sampleIndices: Int32Array.of(0), samplers: [sampler], topLogprobs: 2,
      });
      const [first, second] = Array.from(result.topLogprobs!);
      // On an exact tie the lower id wins in both the argmax and the ranking.
      expect(result.sampled[0], `step ${position}`).toBe(result.topTokens![0]);
      expect(first).toBeGreaterThanOrEqual(second!);
      token = result.sampled[0]!;
    }
    sampler.dispose();
    context.kvRemove(2, 0, -1);
  });

  it("enforces a GBNF grammar, including control tokens by id", async () => {
    const sampler = context.createSampler({ ...GREEDY, grammar: 'root ::= "yes" | "no"' });
    const prompt = Array.from(model.tokenize("Answer:", false));
    const result = await context.decode({
      tokens: Int32Array.from(prompt), positions: Int32Array.from(prompt.map((_, i) => i)),
      sequenceIds: new Int32Array(prompt.length).fill(0), sampleIndices: Int32Array.of(prompt.length - 1), samplers: [sampler],
    });
    sampler.dispose();
    context.kvRemove(0, 0, -1);
    expect(["yes", "no", "y", "n", "ye"]).toContain(model.detokenize(result.sampled, false));
    expect(() => context.createSampler({ ...GREEDY, grammar: "root ::= (" })).toThrow(expect.objectContaining({ code: "ERR_GRAMMAR_INVALID" }));
    // Native errors are the library's own class (handed to the addon at load), thrown or rejected alike.
    expect(() => context.createSampler({ ...GREEDY, grammar: "root ::= (" })).toThrow(GptOssError);
    expect(() => addon.loadModel(join(scratch, "absent.gguf"), { devices: [], gpuLayers: 0, useMmap: true, useMlock: false })).toThrow(GptOssError);
    expect(() => context.createSampler({ temperature: 0 } as never)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT", message: expect.stringContaining("Missing required option topK") }));
    const forced = context.createSampler({ ...GREEDY, grammar: "root ::= <[200005]> \"analysis\"" });
    const step = await context.decode({
      tokens: Int32Array.of(200006), positions: Int32Array.of(0), sequenceIds: Int32Array.of(0),
      sampleIndices: Int32Array.of(0), samplers: [forced],
    });
    forced.dispose();
    context.kvRemove(0, 0, -1);
    expect(step.sampled[0]).toBe(200005);
  });

  it("rejects malformed batches with coded errors instead of crashing", async () => {
    const sampler = context.createSampler(GREEDY);
    const bad = (patch: object) => context.decode({
      tokens: Int32Array.of(1), positions: Int32Array.of(0), sequenceIds: Int32Array.of(0),
      sampleIndices: Int32Array.of(0), samplers: [sampler], ...patch,
    });
    expect(() => bad({ tokens: Int32Array.of(999_999) })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
    expect(() => bad({ sequenceIds: Int32Array.of(9) })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
    expect(() => bad({ sampleIndices: Int32Array.of(3) })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
    expect(() => bad({ tokens: new Int32Array(0), positions: new Int32Array(0), sequenceIds: new Int32Array(0) })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
    expect(() => bad({ tokens: new Int32Array(300) })).toThrow(/batch size/);
    const running = bad({});
    expect(() => bad({})).toThrow(/in progress/);
    await running;
    sampler.dispose();
    expect(() => bad({})).toThrow(expect.objectContaining({ code: "ERR_DISPOSED" }));
    context.kvClear();
  });
});

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
    expect(() => addon.loadModel(join(scratch, "nope.gguf"), { devices: [], gpuLayers: 0, useMmap: true, useMlock: false }))
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
      await expect(addon.loadModel(file, { devices: [], gpuLayers: 0, useMmap: true, useMlock: false }).promise)
        .rejects.toMatchObject({ code: "ERR_MODEL_LOAD_FAILED", message: expect.stringContaining(file) });
    }
    // A rejection from the load thread is the library's error class too.
    await expect(addon.loadModel(garbage, { devices: [], gpuLayers: 0, useMmap: true, useMlock: false }).promise).rejects.toBeInstanceOf(GptOssError);
  });

  it("abort stops a load with ERR_MODEL_LOAD_ABORTED", async () => {
    const task = addon.loadModel(path, { devices: [], gpuLayers: 0, useMmap: false, useMlock: false });
    task.abort();
    await expect(task.promise).rejects.toMatchObject({ code: "ERR_MODEL_LOAD_ABORTED" });
  });

  it("reports load progress through a thread-safe callback and keeps the event loop ticking", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const fractions: number[] = [];
    const own = await addon.loadModel(path, { devices: [], gpuLayers: 0, useMmap: false, useMlock: false }, (f) => fractions.push(f)).promise;
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
    expect(selectDevices(addon, false)).toEqual({ devices: [], backend: "CPU" });
  });

  it("works inside worker_threads; a worker ending with a live model, or terminated mid-load or mid-decode, does not crash", async () => {
    // mode "exit": the worker's loop runs dry with the model undisposed (the env cleanup hook frees it).
    // mode "terminate": the worker keeps decoding until terminate() tears its env down under a decode in flight.
    // mode "churn": loads and creates contexts in a loop; terminate() lands during a load or a createContext.
    const code = `
      const { parentPort, workerData } = require("node:worker_threads");
      const addon = require(workerData.addonPath);
      const load = () => addon.loadModel(workerData.path, { devices: [], gpuLayers: 0, useMmap: true, useMlock: false }).promise;
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
  const load = (p) => addon.loadModel(p, { devices: [], gpuLayers: 0, useMmap: true, useMlock: false }).promise;`;

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
