// The native bridge on the tiny synthetic gpt-oss model: loading, metadata, tokenizer cross-check, batched decode,
// sequence ops. Lifetimes and errors: native-lifetimes.test.ts.
import { get_encoding } from "tiktoken";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GptOssError } from "../../src/errors.js";
import type { NativeContext, NativeModel } from "../../src/native/types.js";
import { addon, closeTinyNative, contextOptions, GREEDY, greedyBatched, greedySolo, openTinyNative, SAMPLE_PROMPTS } from "../helpers/native.js";

let path: string;
let model: NativeModel;
let context: NativeContext;
let scratch: string;

beforeAll(async () => ({ path, model, context, scratch } = await openTinyNative()));
afterAll(() => closeTinyNative({ model, scratch }));

const prompts = SAMPLE_PROMPTS;

describe("CPU code", () => {
  it("runs the best CPU variant the build carries for this CPU, and lists the CPU's weight layouts", async () => {
    const { loadedCpuVariant } = await import("../../src/native/cpu-variant.js");
    const { cpuFlags, ggmlX86Variants, sourceBuildVariants } = await import("../../scripts/cpu-features.mjs");
    const cpu = addon.listDevices().find((d) => d.type === "cpu")!;
    const expected = process.platform === "linux" && process.arch === "x64" ? sourceBuildVariants(cpuFlags(), ggmlX86Variants()) : undefined;
    if (expected === undefined || process.env.GPT_OSS_NODE_ADDON) return; // another build or platform: nothing to compare with
    expect(loadedCpuVariant()).toBe(`libggml-cpu-${expected.at(-1)}.so`);
    // x86-64 CPUs with AVX2 get MXFP4/Q8_0 repacking (llama.cpp's CPU_REPACK) for the expert matrices.
    if (cpuFlags()!.has("avx2")) expect(cpu.extraBufferTypes).toContain("CPU_REPACK");
  });
});

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
    expect(() => addon.loadModel(join(scratch, "absent.gguf"), { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: true, useMlock: false })).toThrow(GptOssError);
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
