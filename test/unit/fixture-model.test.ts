import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { COPY_CYCLE_LENGTH, planCopying, resolveGeometry, writeSyntheticModel } from "../../src/fixture/index.js";
import { planTensors } from "../../src/fixture/tensor-plan.js";
import { readGguf, type GgufFile, type GgufTensorInfo } from "../../src/gguf/index.js";
import { FIRST_SPECIAL_ID, HarmonyToken } from "../../src/tokenizer/special-tokens.js";
import { buildHarmonyVocab } from "../../src/tokenizer/vocab.js";
import { tinyModelPath } from "../helpers/fixture.js";

let path: string;
let file: GgufFile;
beforeAll(async () => {
  path = await tinyModelPath();
  file = await readGguf(path);
}, 120_000);

// What ggml-org/gpt-oss-20b-GGUF carries, written down independently of src/fixture (values: tiny preset).
const EXPECTED_SCALARS: Record<string, string | number> = {
  "general.architecture": "gpt-oss",
  "general.type": "model",
  "general.alignment": 32,
  "general.file_type": 38,
  "general.quantization_version": 2,
  "gpt-oss.block_count": 4,
  "gpt-oss.context_length": 4096,
  "gpt-oss.embedding_length": 64,
  "gpt-oss.feed_forward_length": 128,
  "gpt-oss.attention.head_count": 4,
  "gpt-oss.attention.head_count_kv": 2,
  "gpt-oss.attention.key_length": 64,
  "gpt-oss.attention.value_length": 64,
  "gpt-oss.rope.freq_base": 150000,
  "gpt-oss.expert_count": 4,
  "gpt-oss.expert_used_count": 2,
  "gpt-oss.expert_feed_forward_length": 128,
  "gpt-oss.attention.sliding_window": 128,
  "gpt-oss.rope.scaling.type": "yarn",
  "gpt-oss.rope.scaling.factor": 32,
  "gpt-oss.rope.scaling.original_context_length": 4096,
  "tokenizer.ggml.model": "gpt2",
  "tokenizer.ggml.pre": "gpt-4o",
  "tokenizer.ggml.bos_token_id": 199998,
  "tokenizer.ggml.eos_token_id": 200002,
  "tokenizer.ggml.padding_token_id": 199999,
};

function expectedTensors(layers: number, embd: number, q: number, kv: number, heads: number, experts: number, ff: number, vocab: number) {
  const tensors: Array<[string, number[], string]> = [["token_embd.weight", [embd, vocab], "Q8_0"]];
  for (let i = 0; i < layers; i++) {
    tensors.push(
      [`blk.${i}.attn_norm.weight`, [embd], "F32"],
      [`blk.${i}.post_attention_norm.weight`, [embd], "F32"],
      [`blk.${i}.attn_q.weight`, [embd, q], "Q8_0"],
      [`blk.${i}.attn_q.bias`, [q], "F32"],
      [`blk.${i}.attn_k.weight`, [embd, kv], "Q8_0"],
      [`blk.${i}.attn_k.bias`, [kv], "F32"],
      [`blk.${i}.attn_v.weight`, [embd, kv], "Q8_0"],
      [`blk.${i}.attn_v.bias`, [kv], "F32"],
      [`blk.${i}.attn_output.weight`, [q, embd], "Q8_0"],
      [`blk.${i}.attn_output.bias`, [embd], "F32"],
      [`blk.${i}.attn_sinks.weight`, [heads], "F32"],
      [`blk.${i}.ffn_gate_inp.weight`, [embd, experts], "F32"],
      [`blk.${i}.ffn_gate_inp.bias`, [experts], "F32"],
      [`blk.${i}.ffn_gate_exps.weight`, [embd, ff, experts], "MXFP4"],
      [`blk.${i}.ffn_gate_exps.bias`, [ff, experts], "F32"],
      [`blk.${i}.ffn_up_exps.weight`, [embd, ff, experts], "MXFP4"],
      [`blk.${i}.ffn_up_exps.bias`, [ff, experts], "F32"],
      [`blk.${i}.ffn_down_exps.weight`, [ff, embd, experts], "MXFP4"],
      [`blk.${i}.ffn_down_exps.bias`, [embd, experts], "F32"],
    );
  }
  tensors.push(["output_norm.weight", [embd], "F32"], ["output.weight", [embd, vocab], "Q8_0"]);
  return tensors.sort((a, b) => a[0].localeCompare(b[0]));
}

async function tensorBytes(info: GgufTensorInfo, byteCount = info.sizeBytes): Promise<Buffer> {
  const handle = await open(path);
  try {
    const bytes = Buffer.alloc(Math.min(byteCount, info.sizeBytes));
    await handle.read(bytes, 0, bytes.length, info.offset);
    return bytes;
  } finally {
    await handle.close();
  }
}

function tensor(name: string): GgufTensorInfo {
  const info = file.tensors.find((t) => t.name === name);
  if (!info) throw new Error(`missing tensor ${name}`);
  return info;
}

/** IEEE half → float, written from the format definition. */
function halfToFloat(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Q8_0 block: f16 scale d, then 32 int8 quants; value = d * q. */
function dequantizeQ8_0(bytes: Buffer): number[] {
  const values: number[] = [];
  for (let block = 0; block + 34 <= bytes.length; block += 34) {
    const d = halfToFloat(bytes.readUInt16LE(block));
    for (let i = 0; i < 32; i++) values.push(d * bytes.readInt8(block + 2 + i));
  }
  return values;
}

/** FP4 E2M1 code points (sign bit 3): 0, 0.5, 1, 1.5, 2, 3, 4, 6. */
const E2M1 = [0, 0.5, 1, 1.5, 2, 3, 4, 6];

/** MXFP4 block: E8M0 scale byte e (2^(e-127)), then 16 bytes; low nibbles are elements 0..15, high 16..31. */
function dequantizeMxfp4(bytes: Buffer): number[] {
  const values: number[] = [];
  const fp4 = (nibble: number) => (nibble & 8 ? -1 : 1) * E2M1[nibble & 7]!;
  for (let block = 0; block + 17 <= bytes.length; block += 17) {
    const scale = 2 ** (bytes[block]! - 127);
    const low: number[] = [];
    const high: number[] = [];
    for (let i = 0; i < 16; i++) {
      low.push(scale * fp4(bytes[block + 1 + i]! & 0x0f));
      high.push(scale * fp4(bytes[block + 1 + i]! >> 4));
    }
    values.push(...low, ...high);
  }
  return values;
}

function expectSmallFiniteSpread(values: number[], maxAbs: number): void {
  expect(values.length).toBeGreaterThan(100);
  expect(values.every(Number.isFinite)).toBe(true);
  expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(maxAbs);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  expect(std).toBeGreaterThan(maxAbs / 100);
}

describe("tiny synthetic gpt-oss model", () => {
  it("carries the gpt-oss metadata keys and values", () => {
    for (const [key, value] of Object.entries(EXPECTED_SCALARS)) {
      if (typeof value === "number" && !Number.isInteger(value)) expect(file.metadata[key], key).toBeCloseTo(value);
      else expect(file.metadata[key], key).toEqual(value);
    }
    expect(file.metadata["gpt-oss.attention.layer_norm_rms_epsilon"] as number).toBeCloseTo(1e-5, 9);
    expect(typeof file.metadata["general.name"]).toBe("string");
    const template = file.metadata["tokenizer.chat_template"] as string;
    expect(template).toContain("<|start|>");
    expect(template).toContain("<|channel|>");
    const tokens = file.metadata["tokenizer.ggml.tokens"] as string[];
    const types = file.metadata["tokenizer.ggml.token_type"] as number[];
    expect(tokens).toHaveLength(201088);
    expect(types).toHaveLength(201088);
    expect(tokens[200006]).toBe("<|start|>");
    expect(types[200006]).toBe(3);
    expect(types[1000]).toBe(1);
    expect((file.metadata["tokenizer.ggml.merges"] as string[])[0]).toMatch(/^\S+ \S+$/);
  });

  it("has exactly the tensors llama.cpp's gpt-oss loader creates, with the published types", () => {
    const actual = file.tensors.map((t) => [t.name, t.dims, t.typeName]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(actual).toEqual(expectedTensors(4, 64, 4 * 64, 2 * 64, 4, 4, 128, 201088));
  });

  it("stores small finite Q8_0 and MXFP4 weights, unit norms and near-zero biases", async () => {
    for (const name of ["token_embd.weight", "blk.0.attn_q.weight", "blk.3.attn_output.weight", "output.weight"]) {
      expectSmallFiniteSpread(dequantizeQ8_0(await tensorBytes(tensor(name), 34 * 64)), 1);
    }
    for (const name of ["blk.0.ffn_gate_exps.weight", "blk.1.ffn_up_exps.weight", "blk.3.ffn_down_exps.weight"]) {
      expectSmallFiniteSpread(dequantizeMxfp4(await tensorBytes(tensor(name), 17 * 64)), 1);
    }
    const floats = async (name: string) => Array.from(new Float32Array((await tensorBytes(tensor(name))).buffer.slice(0)));
    expect(await floats("blk.2.attn_norm.weight")).toEqual(new Array(64).fill(1));
    expect(await floats("output_norm.weight")).toEqual(new Array(64).fill(1));
    for (const name of ["blk.0.attn_q.bias", "blk.0.ffn_down_exps.bias", "blk.1.ffn_gate_inp.bias"]) {
      expect((await floats(name)).every((v) => Math.abs(v) <= 0.01)).toBe(true);
    }
  });

  it("is parsed identically by llama.cpp's gguf-py (when python3 with numpy and the vendored tree exist)", (context) => {
    const ggufPy = join(process.cwd(), "vendor", "llama.cpp", "gguf-py");
    let hasNumpy = false;
    try {
      execFileSync("python3", ["-c", "import numpy"], { stdio: "ignore" });
      hasNumpy = true;
    } catch {
      // no python3/numpy here
    }
    if (!hasNumpy || !existsSync(ggufPy)) context.skip();
    const script = [
      "import sys, json, numpy as np",
      `sys.path.insert(0, ${JSON.stringify(ggufPy)})`,
      "from gguf import GGUFReader",
      "from gguf.quants import dequantize",
      "r = GGUFReader(sys.argv[1])",
      "types = {k: [t.name for t in f.types] for k, f in r.fields.items() if not k.startswith('GGUF.')}",
      "tensors = {}",
      "for t in r.tensors:",
      "    d = dequantize(t.data[:256] if t.data.ndim > 1 else t.data, t.tensor_type)",
      "    tensors[t.name] = [t.tensor_type.name, [int(x) for x in t.shape], bool(np.isfinite(d).all()), float(np.abs(d).max())]",
      "print(json.dumps({'types': types, 'tensors': tensors}))",
    ].join("\n");
    const result = JSON.parse(execFileSync("python3", ["-c", script, path], { encoding: "utf8", maxBuffer: 1 << 24 })) as {
      types: Record<string, string[]>;
      tensors: Record<string, [string, number[], boolean, number]>;
    };
    expect(Object.keys(result.types).sort()).toEqual(Object.keys(file.metadata).sort());
    // llama.cpp reads these with strict types: counts uint32, scales float32.
    for (const [key, value] of Object.entries(EXPECTED_SCALARS)) {
      const expected = typeof value === "string" ? "STRING" : Number.isInteger(value) && !key.endsWith("freq_base") && !key.endsWith("factor") ? "UINT32" : "FLOAT32";
      expect(result.types[key], key).toEqual([expected]);
    }
    expect(result.types["tokenizer.ggml.tokens"]).toEqual(["ARRAY", "STRING"]);
    expect(result.types["tokenizer.ggml.token_type"]).toEqual(["ARRAY", "INT32"]);
    expect(result.types["tokenizer.ggml.merges"]).toEqual(["ARRAY", "STRING"]);
    for (const info of file.tensors) {
      const [typeName, shape, finite, maxAbs] = result.tensors[info.name]!;
      expect([typeName, shape], info.name).toEqual([info.typeName, info.dims]);
      expect(finite && maxAbs <= 1, info.name).toBe(true);
    }
  }, 120_000);
});

describe("writeSyntheticModel", () => {
  it("is reproducible from its seed and reports progress up to the file size", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fixture-seed-"));
    try {
      // A 64-token stand-in vocabulary keeps this fast; the real one is covered above.
      const vocab = { tokens: Array.from({ length: 64 }, (_, i) => `t${i}`), tokenTypes: new Array<number>(64).fill(1), merges: ["t 1"] };
      const progress: Array<[number, number]> = [];
      const write = (name: string, seed: number) =>
        writeSyntheticModel(join(dir, name), { preset: "tiny", layers: 2, seed, vocab, onProgress: (w, t) => progress.push([w, t]) });
      await write("a.gguf", 7);
      const size = (await readFile(join(dir, "a.gguf"))).length;
      expect(progress.at(-1)).toEqual([size, size]);
      expect(progress.every(([w], i) => i === 0 || w >= progress[i - 1]![0])).toBe(true);
      await write("b.gguf", 7);
      await write("c.gguf", 8);
      const [a, b, c] = await Promise.all(["a", "b", "c"].map((n) => readFile(join(dir, `${n}.gguf`))));
      expect(a!.equals(b!)).toBe(true);
      expect(a!.equals(c!)).toBe(false);
      expect((await readGguf(join(dir, "c.gguf"))).tensors).toHaveLength(1 + 2 * 19 + 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("copying weights", () => {
  it("map every token to one successor: the header chain, then a loop of 32 common words; specials never follow", () => {
    const vocab = buildHarmonyVocab();
    const plan = planCopying(vocab, 64, 1);
    const id = (text: string) => vocab.tokens.indexOf(text);
    expect(plan.cycle).toHaveLength(COPY_CYCLE_LENGTH);
    expect(new Set(plan.cycle).size).toBe(COPY_CYCLE_LENGTH);
    for (const token of plan.cycle) expect(vocab.tokens[token]).toMatch(/^Ġ[a-z]{3,}$/);
    plan.cycle.forEach((token, i) => expect(plan.successor(token)).toBe(plan.cycle[(i + 1) % COPY_CYCLE_LENGTH]));
    expect([id("assistant"), HarmonyToken.channel, id("final"), HarmonyToken.message].map((t) => plan.successor(t))).toEqual([
      HarmonyToken.channel, id("final"), HarmonyToken.message, plan.cycle[0],
    ]);
    const targets = new Set([...plan.cycle, HarmonyToken.channel, id("final"), HarmonyToken.message]);
    const successors = new Set(Array.from({ length: vocab.tokens.length }, (_, t) => plan.successor(t)));
    expect(successors).toEqual(targets);
    for (const stop of [HarmonyToken.end, HarmonyToken.return, HarmonyToken.call, HarmonyToken.endOfText]) {
      expect(plan.successor(stop)).toBe(plan.cycle[0]);
    }
    // Output rows: one non-zero for a target, zero rows elsewhere; an embedding's largest entry is its successor's.
    const row = new Float32Array(64);
    const dimOf = new Map<number, number>();
    for (const token of targets) {
      plan.outputRow(token, row);
      const nonZero = [...row.keys()].filter((d) => row[d] !== 0);
      expect(nonZero).toHaveLength(1);
      dimOf.set(token, nonZero[0]!);
    }
    expect(new Set(dimOf.values()).size).toBe(targets.size);
    for (const token of [0, 1, id("final"), FIRST_SPECIAL_ID, HarmonyToken.end]) {
      plan.outputRow(token, row);
      if (!targets.has(token)) expect(row.every((v) => v === 0)).toBe(true);
    }
    for (const token of [0, 290, id("assistant"), plan.cycle[5]!, HarmonyToken.message]) {
      plan.embeddingRow(token, row);
      const largest = [...row.keys()].reduce((best, d) => (Math.abs(row[d]!) > Math.abs(row[best]!) ? d : best), 0);
      expect(largest).toBe(dimOf.get(plan.successor(token)));
    }
    expect(planCopying(vocab, 64, 2).cycle).not.toEqual(plan.cycle);
  });

  it("write the same tensors, types and file size as random weights, reproducibly from the seed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fixture-copying-"));
    try {
      const vocab = { tokens: Array.from({ length: 64 }, (_, i) => `t${i}`), tokenTypes: new Array<number>(64).fill(1), merges: ["t 1"] };
      const write = (name: string, weights: "random" | "copying", seed = 1) =>
        writeSyntheticModel(join(dir, name), { preset: "tiny", layers: 2, seed, vocab, weights });
      await write("random.gguf", "random");
      await write("a.gguf", "copying");
      await write("b.gguf", "copying");
      await write("c.gguf", "copying", 2);
      const [random, a, b, c] = await Promise.all(["random", "a", "b", "c"].map((n) => readFile(join(dir, `${n}.gguf`))));
      expect(a!.length).toBe(random!.length);
      const shape = (f: GgufFile) => f.tensors.map((t) => [t.name, t.dims, t.typeName, t.offset]);
      expect(shape(await readGguf(join(dir, "a.gguf")))).toEqual(shape(await readGguf(join(dir, "random.gguf"))));
      expect(a!.equals(b!)).toBe(true);
      expect(a!.equals(c!)).toBe(false);
      await expect(writeSyntheticModel(join(dir, "d.gguf"), { preset: "tiny", vocab, weights: "cycle" as "copying" })).rejects.toThrow(/weights/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("20b preset geometry", () => {
  it("matches the published gpt-oss-20b file size at 24 layers (~12.1 GB) and shrinks with fewer layers", () => {
    const bytesOf = (layers?: number) => {
      const plan = planTensors(resolveGeometry("20b", layers), 201088);
      return plan.reduce((sum, t) => {
        const elements = t.dims.reduce((a, b) => a * b, 1);
        const perElement = ({ 0: 4, 8: 34 / 32, 39: 17 / 32 } as Record<number, number>)[t.type]!;
        return sum + elements * perElement;
      }, 0);
    };
    expect(bytesOf()).toBeGreaterThan(11.8e9);
    expect(bytesOf()).toBeLessThan(12.3e9);
    expect(bytesOf(4)).toBeLessThan(3.2e9);
    expect(resolveGeometry("20b")).toMatchObject({ blockCount: 24, embeddingLength: 2880, headCount: 64, headCountKv: 8, headDim: 64, expertCount: 32, expertUsedCount: 4, contextLength: 131072 });
  });

  it("rejects bad presets and layer counts", () => {
    expect(() => resolveGeometry("7b" as "tiny")).toThrow(/preset/);
    expect(() => resolveGeometry("20b", 0)).toThrow(/layers/);
  });
});
