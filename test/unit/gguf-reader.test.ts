import { mkdtemp, mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GptOssError } from "../../src/errors.js";
import { GgmlType, GgufValueType, gguf, readGguf, writeGguf, type GgufTensorSpec, type GgufTypedValue } from "../../src/gguf/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gguf-reader-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A tensor whose data is the byte pattern (i * 7 + salt) & 0xff, so every tensor's bytes are recognisable. */
function patterned(name: string, dims: number[], type: number, byteLength: number, salt: number): GgufTensorSpec & { bytes: Buffer } {
  const bytes = Buffer.alloc(byteLength);
  for (let i = 0; i < byteLength; i++) bytes[i] = (i * 7 + salt) & 0xff;
  return { name, dims, type, bytes, data: () => [bytes.subarray(0, 10), bytes.subarray(10)] };
}

const BIG_U64 = 2n ** 60n + 3n;
const METADATA: Array<[string, GgufTypedValue]> = [
  ["general.architecture", gguf.str("gpt-oss")],
  ["test.u8", gguf.u8(255)],
  ["test.i8", gguf.i8(-128)],
  ["test.u16", gguf.u16(65535)],
  ["test.i16", gguf.i16(-32768)],
  ["test.u32", gguf.u32(4294967295)],
  ["test.i32", gguf.i32(-2147483648)],
  ["test.f32", gguf.f32(0.5)],
  ["test.f64", gguf.f64(Math.PI)],
  ["test.bool", gguf.bool(true)],
  ["test.u64.small", gguf.u64(2 ** 40)],
  ["test.u64.big", gguf.u64(BIG_U64)],
  ["test.i64", gguf.i64(-(2n ** 62n))],
  ["test.string", gguf.str("héllo ✓ Ġworld")],
  ["test.empty", gguf.str("")],
  ["test.strings", gguf.array(GgufValueType.STRING, ["a", "", "Ġb", "<|start|>"])],
  ["test.i32s", gguf.array(GgufValueType.INT32, [1, -2, 3])],
  ["test.bools", gguf.array(GgufValueType.BOOL, [true, false])],
  ["test.nested", gguf.nested([gguf.array(GgufValueType.UINT8, [1, 2]), gguf.array(GgufValueType.STRING, ["x"])])],
  ["__proto__", gguf.str("not a prototype")],
];

async function writeSample(path: string, extraMetadata: Array<[string, GgufTypedValue]> = []) {
  const tensors = [
    patterned("a.weight", [32, 3], GgmlType.Q8_0, 3 * 34, 1),
    patterned("b.weight", [5], GgmlType.F32, 20, 2),
    patterned("c.weight", [64, 2, 2], GgmlType.MXFP4, 2 * 2 * 2 * 17, 3),
    patterned("d.weight", [3, 1], GgmlType.F16, 6, 4),
  ];
  await writeGguf(path, { metadata: [...METADATA, ...extraMetadata], tensors });
  return tensors;
}

describe("readGguf on files from writeGguf", () => {
  it("round-trips every metadata type, tensor shapes, types and data offsets", async () => {
    const path = join(dir, "sample.gguf");
    const tensors = await writeSample(path);
    const file = await readGguf(path);
    expect(file.version).toBe(3);
    expect(file.alignment).toBe(32);
    expect(file.fileSize).toBe((await stat(path)).size);
    expect({ ...file.metadata }).toEqual({
      "general.architecture": "gpt-oss",
      "test.u8": 255,
      "test.i8": -128,
      "test.u16": 65535,
      "test.i16": -32768,
      "test.u32": 4294967295,
      "test.i32": -2147483648,
      "test.f32": 0.5,
      "test.f64": Math.PI,
      "test.bool": true,
      "test.u64.small": 2 ** 40,
      "test.u64.big": BIG_U64,
      "test.i64": -(2n ** 62n),
      "test.string": "héllo ✓ Ġworld",
      "test.empty": "",
      "test.strings": ["a", "", "Ġb", "<|start|>"],
      "test.i32s": [1, -2, 3],
      "test.bools": [true, false],
      "test.nested": [[1, 2], ["x"]],
      ["__proto__"]: "not a prototype",
    });
    expect(Object.getPrototypeOf(file.metadata)).toBeNull();

    const raw = await readFile(path);
    expect(file.tensors.map((t) => [t.name, t.dims, t.typeName, t.sizeBytes])).toEqual([
      ["a.weight", [32, 3], "Q8_0", 102],
      ["b.weight", [5], "F32", 20],
      ["c.weight", [64, 2, 2], "MXFP4", 136],
      ["d.weight", [3, 1], "F16", 6],
    ]);
    expect(file.dataOffset % 32).toBe(0);
    for (const [index, info] of file.tensors.entries()) {
      expect(info.offset % 32).toBe(0);
      expect(raw.subarray(info.offset, info.offset + info.sizeBytes)).toEqual(tensors[index]!.bytes);
    }
  });

  it("accepts GGUF v2 and a custom general.alignment", async () => {
    const path = join(dir, "v2.gguf");
    await writeSample(path, [["general.alignment", gguf.u32(256)]]);
    const bytes = await readFile(path);
    bytes.writeUInt32LE(2, 4);
    await writeFile(path, bytes);
    const file = await readGguf(path);
    expect(file.version).toBe(2);
    expect(file.alignment).toBe(256);
    for (const info of file.tensors) expect(info.offset % 256).toBe(0);
  });

  it("reads a vocabulary-sized string array quickly", async () => {
    const path = join(dir, "vocab.gguf");
    const tokens = Array.from({ length: 201088 }, (_, i) => `Ġtok${i.toString(36)}`);
    const merges = Array.from({ length: 446189 }, (_, i) => `Ġa${i % 977} b${i.toString(36)}`);
    await writeGguf(path, {
      metadata: [
        ["tokenizer.ggml.tokens", gguf.array(GgufValueType.STRING, tokens)],
        ["tokenizer.ggml.token_type", gguf.array(GgufValueType.INT32, tokens.map(() => 1))],
        ["tokenizer.ggml.merges", gguf.array(GgufValueType.STRING, merges)],
      ],
      tensors: [],
    });
    const started = performance.now();
    const file = await readGguf(path);
    const elapsedMs = performance.now() - started;
    expect(file.metadata["tokenizer.ggml.tokens"]).toEqual(tokens);
    expect(file.metadata["tokenizer.ggml.merges"]).toEqual(merges);
    expect(elapsedMs).toBeLessThan(2000);
  });
});

async function expectInvalid(path: string, pattern: RegExp, options?: { maxArrayLength?: number }): Promise<void> {
  const error = await readGguf(path, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GptOssError);
  expect((error as GptOssError).code).toBe("ERR_GGUF_INVALID");
  expect((error as GptOssError).message).toContain(path);
  expect((error as GptOssError).message).toMatch(pattern);
}

/** Writes the sample, lets `mutate` edit its bytes, and returns the path of the result. */
async function mutatedSample(name: string, mutate: (bytes: Buffer) => Buffer | void): Promise<string> {
  const path = join(dir, `${name}.gguf`);
  await writeSample(path);
  const bytes = await readFile(path);
  await writeFile(path, mutate(bytes) ?? bytes);
  return path;
}

/** Offset of the first occurrence of `text` (a key or name) in the file, minus its 8-byte length prefix. */
function stringOffset(bytes: Buffer, text: string): number {
  const at = bytes.indexOf(Buffer.from(text));
  expect(at).toBeGreaterThan(8);
  return at - 8;
}

describe("readGguf rejects bad files with ERR_GGUF_INVALID", () => {
  it("bad magic", async () => {
    await expectInvalid(await mutatedSample("magic", (b) => void b.write("GGML", 0)), /not a GGUF file/);
  });
  it("obsolete and future versions", async () => {
    await expectInvalid(await mutatedSample("v1", (b) => void b.writeUInt32LE(1, 4)), /version 1.*obsolete/);
    await expectInvalid(await mutatedSample("v4", (b) => void b.writeUInt32LE(4, 4)), /unsupported GGUF version 4/);
  });
  it("huge tensor and key counts", async () => {
    await expectInvalid(await mutatedSample("tensors", (b) => void b.writeBigUInt64LE(2n ** 40n, 8)), /tensor count .* implausible/);
    await expectInvalid(await mutatedSample("kvs", (b) => void b.writeBigUInt64LE(100000n, 16)), /metadata key count .* implausible/);
  });
  it("a string length beyond the file", async () => {
    const path = await mutatedSample("string", (b) => void b.writeBigUInt64LE(2n ** 62n, stringOffset(b, "test.string")));
    await expectInvalid(path, /has length \d+, more than/);
    // An element of a string array (key, value type, item type, count, then "a" and the second length prefix).
    const element = await mutatedSample("string-element", (b) => void b.writeBigUInt64LE(2n ** 40n, b.indexOf(Buffer.from("test.strings")) + 12 + 4 + 4 + 8 + 8 + 1));
    await expectInvalid(element, /test\.strings"\[1\] has length 1099511627776, more than/);
  });
  it("an array longer than maxArrayLength or than the file can hold", async () => {
    const path = await mutatedSample("array", () => undefined);
    await expectInvalid(path, /test\.strings.* 4 elements.*maxArrayLength 3/, { maxArrayLength: 3 });
    const huge = await mutatedSample("array-huge", (b) => void b.writeBigUInt64LE(2n ** 50n, stringOffset(b, "test.i32s") + 8 + 9 + 4 + 4));
    await expectInvalid(huge, /test\.i32s.*elements, more than allowed/);
  });
  it("an unknown value type", async () => {
    await expectInvalid(await mutatedSample("vtype", (b) => void b.writeUInt32LE(99, stringOffset(b, "test.u8") + 8 + 7)), /unknown value type 99/);
  });
  it("an unknown ggml tensor type", async () => {
    // b.weight: name, n_dims (1), one dim, then the type.
    await expectInvalid(await mutatedSample("ttype", (b) => void b.writeUInt32LE(5, stringOffset(b, "b.weight") + 8 + 8 + 4 + 8)), /"b.weight" has unknown ggml type 5/);
  });
  it("a row length that is not a whole number of blocks", async () => {
    await expectInvalid(await mutatedSample("row", (b) => void b.writeBigUInt64LE(33n, stringOffset(b, "a.weight") + 8 + 8 + 4)), /"a.weight" of type Q8_0 has rows of 33/);
  });
  it("a misplaced tensor data offset", async () => {
    const path = await mutatedSample("offset", (b) => void b.writeBigUInt64LE(32n, stringOffset(b, "a.weight") + 8 + 8 + 4 + 16 + 4));
    await expectInvalid(path, /"a.weight" has data offset 32, expected 0/);
  });
  it("too many dimensions", async () => {
    await expectInvalid(await mutatedSample("dims", (b) => void b.writeUInt32LE(5, stringOffset(b, "a.weight") + 8 + 8)), /5 dimensions/);
  });
  it("a truncated file", async () => {
    const inData = await mutatedSample("trunc-data", (b) => b.subarray(0, b.length - 40));
    await expectInvalid(inData, /tensor "d.weight" data .* extends past the end of the file/);
    const inHeader = await mutatedSample("trunc-header", (b) => b.subarray(0, stringOffset(b, "test.nested") + 3));
    await expectInvalid(inHeader, /truncated/);
    await expectInvalid(await mutatedSample("tiny", (b) => b.subarray(0, 2)), /too small/);
  });
  it("a duplicated metadata key or tensor name", async () => {
    await expectInvalid(await mutatedSample("dupkey", (b) => void b.write("test.u8", stringOffset(b, "test.i8") + 8)), /duplicate metadata key "test.u8"/);
    await expectInvalid(await mutatedSample("dupname", (b) => void b.write("a", stringOffset(b, "b.weight") + 8)), /duplicate tensor name "a.weight"/);
  });
  it("a general.alignment that is not a power of two", async () => {
    const path = join(dir, "align.gguf");
    await writeGguf(path, { metadata: [["general.alignment", gguf.u32(64)]], tensors: [] });
    const bytes = await readFile(path);
    bytes.writeUInt32LE(48, bytes.length - 4);
    await writeFile(path, bytes);
    await expectInvalid(path, /general\.alignment 48 is not a power of two/);
  });
});

describe("readGguf on missing files", () => {
  it("throws ERR_MODEL_NOT_FOUND for a missing path or a directory", async () => {
    for (const path of [join(dir, "does-not-exist.gguf"), await mkdir(join(dir, "a-dir"), { recursive: true }).then(() => join(dir, "a-dir"))]) {
      await expect(readGguf(path)).rejects.toMatchObject({ code: "ERR_MODEL_NOT_FOUND" });
    }
  });
});

describe("writeGguf", () => {
  it("rejects a data source with the wrong byte count and removes the partial file", async () => {
    const path = join(dir, "short.gguf");
    const write = writeGguf(path, {
      metadata: [],
      tensors: [{ name: "x", dims: [4], type: GgmlType.F32, data: () => [new Uint8Array(12)] }],
    });
    await expect(write).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", message: expect.stringContaining('"x"') });
    await expect(open(path)).rejects.toMatchObject({ code: "ENOENT" });
  });
  it("rejects rows that are not whole blocks", async () => {
    const write = writeGguf(join(dir, "rows.gguf"), {
      metadata: [],
      tensors: [{ name: "x", dims: [16], type: GgmlType.Q8_0, data: () => [] }],
    });
    await expect(write).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
  });
});
