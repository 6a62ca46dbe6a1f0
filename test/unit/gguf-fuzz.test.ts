import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GptOssError } from "../../src/errors.js";
import { Prng } from "../../src/fixture/prng.js";
import { GgmlType, GgufValueType, gguf, readGguf, writeGguf } from "../../src/gguf/index.js";

const SEED = 20250805;
const ITERATIONS = 1200;
/** Generous per-file bound: a valid parse of this file takes well under a millisecond. */
const MAX_PARSE_MS = 1000;
/** The reader may never hold much more than the file justifies; the sample is a few kilobytes. */
const MAX_MEMORY_GROWTH_BYTES = 256 * 1024 * 1024;

let dir: string;
let original: Buffer;
let headerEnd: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gguf-fuzz-"));
  const path = join(dir, "valid.gguf");
  const tensor = (name: string, dims: number[], type: number, bytes: number) => ({ name, dims, type, data: () => [new Uint8Array(bytes)] });
  await writeGguf(path, {
    metadata: [
      ["general.architecture", gguf.str("gpt-oss")],
      ["general.alignment", gguf.u32(32)],
      ["gpt-oss.block_count", gguf.u32(2)],
      ["gpt-oss.rope.freq_base", gguf.f32(150000)],
      ["big", gguf.u64(2n ** 60n)],
      ["tokenizer.ggml.tokens", gguf.array(GgufValueType.STRING, ["a", "b", "Ġc", "<|start|>"])],
      ["tokenizer.ggml.token_type", gguf.array(GgufValueType.INT32, [1, 1, 1, 3])],
      ["nested", gguf.nested([gguf.array(GgufValueType.UINT16, [1, 2, 3]), gguf.array(GgufValueType.BOOL, [true])])],
    ],
    tensors: [
      tensor("token_embd.weight", [32, 4], GgmlType.Q8_0, 4 * 34),
      tensor("blk.0.attn_norm.weight", [32], GgmlType.F32, 128),
      tensor("blk.0.ffn_up_exps.weight", [32, 2, 2], GgmlType.MXFP4, 4 * 17),
    ],
  });
  original = await readFile(path);
  headerEnd = (await readGguf(path)).dataOffset;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One hostile variant of `original`; the strategy is drawn from `prng` so a seed reproduces the whole run. */
function mutate(prng: Prng): { bytes: Buffer; strategy: string } {
  const bytes = Buffer.from(original);
  const headerOffset = () => prng.nextInt(headerEnd);
  switch (prng.nextInt(5)) {
    case 0: {
      const flips = 1 + prng.nextInt(8);
      for (let i = 0; i < flips; i++) bytes[headerOffset()] ^= 1 << prng.nextInt(8);
      return { bytes, strategy: `flip ${flips} bits` };
    }
    case 1: {
      // Overwrite a would-be length/count/offset field with an extreme value.
      const at = Math.min(headerOffset(), headerEnd - 8);
      const extremes = [0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(prng.nextUint32()) << 16n];
      bytes.writeBigUInt64LE(extremes[prng.nextInt(extremes.length)]!, at);
      return { bytes, strategy: `extreme u64 at ${at}` };
    }
    case 2: {
      const at = Math.min(headerOffset(), headerEnd - 4);
      bytes.writeUInt32LE(prng.nextUint32() % 64, at);
      return { bytes, strategy: `small u32 at ${at}` };
    }
    case 3: {
      const length = prng.nextInt(original.length);
      return { bytes: bytes.subarray(0, length), strategy: `truncate to ${length}` };
    }
    default: {
      const count = 1 + prng.nextInt(32);
      for (let i = 0; i < count; i++) bytes[prng.nextInt(bytes.length)] = prng.nextUint32() & 0xff;
      const length = prng.nextFloat() < 0.5 ? bytes.length : prng.nextInt(bytes.length);
      return { bytes: bytes.subarray(0, length), strategy: `${count} random bytes, length ${length}` };
    }
  }
}

describe("readGguf on mutated files", () => {
  it(`either parses or throws ERR_GGUF_INVALID for ${ITERATIONS} variants (seed ${SEED})`, async () => {
    const prng = new Prng(SEED);
    const path = join(dir, "mutant.gguf");
    const baseline = process.memoryUsage();
    let parsed = 0;
    let rejected = 0;
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const { bytes, strategy } = mutate(prng);
      await writeFile(path, bytes);
      const context = `iteration ${iteration} (seed ${SEED}): ${strategy}`;
      const started = performance.now();
      try {
        const file = await readGguf(path);
        parsed++;
        for (const tensor of file.tensors) {
          expect(tensor.offset + tensor.sizeBytes, context).toBeLessThanOrEqual(file.fileSize);
        }
      } catch (error) {
        if (!(error instanceof GptOssError) || error.code !== "ERR_GGUF_INVALID") {
          throw new Error(`${context}: unexpected ${String(error)}`, { cause: error });
        }
        rejected++;
      }
      expect(performance.now() - started, context).toBeLessThan(MAX_PARSE_MS);
      const usage = process.memoryUsage();
      const growth = usage.heapUsed + usage.arrayBuffers - (baseline.heapUsed + baseline.arrayBuffers);
      expect(growth, context).toBeLessThan(MAX_MEMORY_GROWTH_BYTES);
    }
    // Both outcomes must actually occur, or the mutations are not exercising anything.
    expect(parsed).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThan(ITERATIONS / 2);
  });
});
