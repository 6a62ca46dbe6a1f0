import { open, type FileHandle } from "node:fs/promises";
import { GptOssError } from "../errors.js";
import { FileCursor } from "./file-cursor.js";
import {
  GGML_MAX_DIMS,
  GGML_MAX_NAME,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_SCALAR_SIZE,
  GGUF_SUPPORTED_VERSIONS,
  GgufValueType,
  alignUp,
  ggmlTypeInfo,
  isPowerOfTwo,
  tensorByteSize,
} from "./types.js";

/**
 * A metadata value. Integers of every width are numbers, except uint64/int64 values whose magnitude exceeds
 * `Number.MAX_SAFE_INTEGER` (2^53 - 1): those are bigints, so no value is ever rounded. Arrays may nest.
 */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** One tensor's header entry. */
export interface GgufTensorInfo {
  name: string;
  /** ggml order: `dims[0]` is the row length (the fastest-varying dimension). */
  dims: number[];
  /** ggml type id (see `types.ts`). */
  type: number;
  typeName: string;
  /** Absolute file offset of the tensor's data. */
  offset: number;
  sizeBytes: number;
}

/** Everything in a GGUF file except the tensor data. */
export interface GgufFile {
  path: string;
  version: number;
  fileSize: number;
  /** `general.alignment`, or 32 when absent. */
  alignment: number;
  /** Absolute file offset where tensor data starts. */
  dataOffset: number;
  metadata: Record<string, GgufValue>;
  tensors: GgufTensorInfo[];
}

/** Options of {@link readGguf}. */
export interface ReadGgufOptions {
  /** Largest metadata array accepted, in elements. Default 16,777,216 (a real vocabulary has ~450k merges). */
  maxArrayLength?: number;
}

/** Default of {@link ReadGgufOptions.maxArrayLength}. */
export const DEFAULT_MAX_ARRAY_LENGTH = 1 << 24;
/** Largest single metadata string accepted (chat templates are tens of kilobytes). */
export const MAX_STRING_BYTES = 64 * 1024 * 1024;
/** Sanity bounds on the header counts (a 120b gpt-oss file has ~700 tensors and ~40 keys). */
const MAX_TENSOR_COUNT = 1 << 20;
const MAX_KV_COUNT = 1 << 20;
/** How deep arrays of arrays may nest. */
const MAX_ARRAY_NESTING = 8;

const MIN_KV_BYTES = 8 + 1 + 4 + 1; // key length, 1-byte key, value type, 1-byte value
const MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 4 + 8; // name length, 1-byte name, n_dims, type, offset
const ARRAY_HEADER_BYTES = 4 + 8;
const STRING_HEADER_BYTES = 8;

/**
 * Reads the header, metadata and tensor table of the GGUF file at `path` without reading tensor data, and
 * validates every count, length, type and offset against the file's size.
 *
 * @throws GptOssError `ERR_MODEL_NOT_FOUND` when the path is missing or not a readable file;
 *   `ERR_GGUF_INVALID` (naming the problem and the path) for anything malformed, truncated or implausible.
 */
export async function readGguf(path: string, options: ReadGgufOptions = {}): Promise<GgufFile> {
  const maxArrayLength = options.maxArrayLength ?? DEFAULT_MAX_ARRAY_LENGTH;
  if (!Number.isSafeInteger(maxArrayLength) || maxArrayLength < 0) {
    throw new GptOssError(
      "ERR_INVALID_ARGUMENT",
      `Expected a non-negative integer for maxArrayLength but received ${String(maxArrayLength)}`,
    );
  }
  const handle = await openModelFile(path);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new GptOssError("ERR_MODEL_NOT_FOUND", `${path}: not a regular file`);
    }
    return await new GgufParser(new FileCursor(handle, path, stats.size), maxArrayLength).parse();
  } finally {
    await handle.close();
  }
}

async function openModelFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw new GptOssError("ERR_MODEL_NOT_FOUND", `${path}: cannot open model file (${code})`, { cause: error });
  }
}

class GgufParser {
  private readonly path: string;

  constructor(
    private readonly cursor: FileCursor,
    private readonly maxArrayLength: number,
  ) {
    this.path = cursor.path;
  }

  private invalid(message: string): GptOssError {
    return new GptOssError("ERR_GGUF_INVALID", `${this.path}: ${message}`);
  }

  async parse(): Promise<GgufFile> {
    const cursor = this.cursor;
    if (cursor.fileSize < 4) throw this.invalid(`file is ${cursor.fileSize} bytes, too small to be a GGUF file`);
    await cursor.fill(4, "magic");
    const magic = cursor.u32();
    if (magic !== GGUF_MAGIC) {
      throw this.invalid(`not a GGUF file (magic 0x${magic.toString(16).padStart(8, "0")}, expected "GGUF")`);
    }
    await cursor.fill(4 + 8 + 8, "header");
    const version = cursor.u32();
    if (!GGUF_SUPPORTED_VERSIONS.includes(version)) {
      const hint = version === 1 ? " (GGUF v1 is obsolete; convert the model again)" : "";
      throw this.invalid(`unsupported GGUF version ${version}${hint}; supported: ${GGUF_SUPPORTED_VERSIONS.join(", ")}`);
    }
    const tensorCount = this.count("tensor count", MAX_TENSOR_COUNT, MIN_TENSOR_INFO_BYTES);
    const kvCount = this.count("metadata key count", MAX_KV_COUNT, MIN_KV_BYTES);

    const metadata: Record<string, GgufValue> = Object.create(null) as Record<string, GgufValue>;
    let alignmentEntry: { type: number; value: GgufValue } | undefined;
    for (let index = 0; index < kvCount; index++) {
      const key = await this.string(`metadata key #${index}`);
      if (key.length === 0) throw this.invalid(`metadata key #${index} is empty`);
      if (key in metadata) throw this.invalid(`duplicate metadata key "${key}"`);
      await cursor.fill(4, `type of metadata "${key}"`);
      const type = cursor.u32();
      const value = await this.value(type, `metadata "${key}"`, 0);
      metadata[key] = value;
      if (key === "general.alignment") alignmentEntry = { type, value };
    }
    const alignment = this.alignment(alignmentEntry);

    const pending: Array<Omit<GgufTensorInfo, "offset"> & { relativeOffset: number }> = [];
    const names = new Set<string>();
    for (let index = 0; index < tensorCount; index++) {
      const tensor = await this.tensorInfo(index);
      if (names.has(tensor.name)) throw this.invalid(`duplicate tensor name "${tensor.name}"`);
      names.add(tensor.name);
      pending.push(tensor);
    }

    const dataOffset = tensorCount > 0 ? alignUp(cursor.position, alignment) : cursor.position;
    const tensors: GgufTensorInfo[] = [];
    let expectedRelative = 0;
    for (const { relativeOffset, ...tensor } of pending) {
      // llama.cpp requires tensor data to be packed in declaration order, each start aligned.
      if (relativeOffset !== expectedRelative) {
        throw this.invalid(
          `tensor "${tensor.name}" has data offset ${relativeOffset}, expected ${expectedRelative} ` +
            `(tensor data must be contiguous in declaration order, aligned to ${alignment})`,
        );
      }
      const offset = dataOffset + relativeOffset;
      if (offset + tensor.sizeBytes > cursor.fileSize) {
        throw this.invalid(
          `tensor "${tensor.name}" data (bytes ${offset}..${offset + tensor.sizeBytes}) extends past the end of ` +
            `the file (${cursor.fileSize} bytes); the file is truncated or corrupt`,
        );
      }
      tensors.push({ ...tensor, offset });
      expectedRelative = alignUp(relativeOffset + tensor.sizeBytes, alignment);
    }

    return { path: this.path, version, fileSize: cursor.fileSize, alignment, dataOffset, metadata, tensors };
  }

  /** A header count, bounded both by `limit` and by how many minimal entries the rest of the file can hold. */
  private count(what: string, limit: number, minEntryBytes: number): number {
    const value = this.cursor.u64AsNumber();
    const fitsInFile = Math.floor(this.cursor.remainingInFile / minEntryBytes);
    if (value > limit || value > fitsInFile) {
      throw this.invalid(`${what} ${value} is implausible (limit ${limit}, at most ${fitsInFile} fit in the file)`);
    }
    return value;
  }

  private alignment(entry: { type: number; value: GgufValue } | undefined): number {
    if (entry === undefined) return GGUF_DEFAULT_ALIGNMENT;
    if (entry.type !== GgufValueType.UINT32) {
      throw this.invalid(`general.alignment must be a uint32 (got value type ${entry.type})`);
    }
    const value = entry.value as number;
    if (!isPowerOfTwo(value)) {
      throw this.invalid(`general.alignment ${value} is not a power of two`);
    }
    return value;
  }

  private async string(what: string): Promise<string> {
    const cursor = this.cursor;
    if (!cursor.has(STRING_HEADER_BYTES)) await cursor.fill(STRING_HEADER_BYTES, `length of ${what}`);
    const length = cursor.u64AsNumber();
    if (length > MAX_STRING_BYTES || length > cursor.remainingInFile) {
      throw this.invalid(
        `${what} has length ${length}, more than ${Math.min(MAX_STRING_BYTES, cursor.remainingInFile)} allowed ` +
          `(limit ${MAX_STRING_BYTES}, ${cursor.remainingInFile} bytes left in the file)`,
      );
    }
    if (!cursor.has(length)) await cursor.fill(length, what);
    return cursor.utf8(length);
  }

  /**
   * The next string, read synchronously when it is wholly buffered and within limits; otherwise undefined and
   * nothing is consumed ({@link string} then reads it, or reports what is wrong with it).
   */
  private bufferedString(): string | undefined {
    const cursor = this.cursor;
    if (!cursor.has(STRING_HEADER_BYTES)) return undefined;
    const length = cursor.peekU64AsNumber();
    if (length > MAX_STRING_BYTES || !cursor.has(STRING_HEADER_BYTES + length)) return undefined;
    cursor.skip(STRING_HEADER_BYTES);
    return cursor.utf8(length);
  }

  private async value(type: number, what: string, depth: number): Promise<GgufValue> {
    if (type === GgufValueType.STRING) return this.string(what);
    if (type === GgufValueType.ARRAY) return this.array(what, depth);
    const size = GGUF_SCALAR_SIZE[type as GgufValueType];
    if (size === undefined) throw this.invalid(`${what} has unknown value type ${type}`);
    if (!this.cursor.has(size)) await this.cursor.fill(size, what);
    return this.scalar(type);
  }

  /** Reads one buffered fixed-size value of `type` (a scalar type). */
  private scalar(type: number): GgufValue {
    const cursor = this.cursor;
    switch (type) {
      case GgufValueType.UINT8:
        return cursor.u8();
      case GgufValueType.INT8:
        return cursor.i8();
      case GgufValueType.UINT16:
        return cursor.u16();
      case GgufValueType.INT16:
        return cursor.i16();
      case GgufValueType.UINT32:
        return cursor.u32();
      case GgufValueType.INT32:
        return cursor.i32();
      case GgufValueType.FLOAT32:
        return cursor.f32();
      case GgufValueType.BOOL:
        return cursor.u8() !== 0;
      case GgufValueType.UINT64:
        return toSafeNumber(cursor.u64());
      case GgufValueType.INT64:
        return toSafeNumber(cursor.i64());
      default:
        return cursor.f64(); // FLOAT64: the only scalar type left
    }
  }

  private async array(what: string, depth: number): Promise<GgufValue[]> {
    const cursor = this.cursor;
    if (depth >= MAX_ARRAY_NESTING) throw this.invalid(`${what} nests arrays deeper than ${MAX_ARRAY_NESTING}`);
    if (!cursor.has(ARRAY_HEADER_BYTES)) await cursor.fill(ARRAY_HEADER_BYTES, `array header of ${what}`);
    const itemType = cursor.u32();
    const length = cursor.u64AsNumber();
    const itemSize = GGUF_SCALAR_SIZE[itemType as GgufValueType];
    const minItemBytes =
      itemType === GgufValueType.STRING ? STRING_HEADER_BYTES
      : itemType === GgufValueType.ARRAY ? ARRAY_HEADER_BYTES
      : itemSize;
    if (minItemBytes === undefined) throw this.invalid(`${what} is an array of unknown value type ${itemType}`);
    const fitsInFile = Math.floor(cursor.remainingInFile / minItemBytes);
    if (length > this.maxArrayLength || length > fitsInFile) {
      throw this.invalid(
        `${what} has ${length} elements, more than allowed (maxArrayLength ${this.maxArrayLength}, ` +
          `at most ${fitsInFile} fit in the rest of the file)`,
      );
    }
    const items: GgufValue[] = new Array<GgufValue>(length);
    if (itemSize !== undefined) {
      // Fixed-size items: buffer many at once, then decode synchronously.
      const perFill = Math.max(1, Math.floor((1 << 20) / itemSize));
      for (let index = 0; index < length; ) {
        const batch = Math.min(perFill, length - index);
        if (!cursor.has(batch * itemSize)) await cursor.fill(batch * itemSize, `elements of ${what}`);
        for (const end = index + batch; index < end; index++) items[index] = this.scalar(itemType);
      }
    } else if (itemType === GgufValueType.STRING) {
      // Strings (a vocabulary holds ~200k of them): read synchronously while they are buffered.
      for (let index = 0; index < length; index++) {
        items[index] = this.bufferedString() ?? (await this.string(`${what}[${index}]`));
      }
    } else {
      for (let index = 0; index < length; index++) {
        items[index] = await this.value(itemType, `${what}[${index}]`, depth + 1);
      }
    }
    return items;
  }

  private async tensorInfo(index: number): Promise<Omit<GgufTensorInfo, "offset"> & { relativeOffset: number }> {
    const cursor = this.cursor;
    const name = await this.string(`name of tensor #${index}`);
    if (Buffer.byteLength(name) >= GGML_MAX_NAME) {
      throw this.invalid(`tensor #${index} name "${name.slice(0, 80)}" is ${Buffer.byteLength(name)} bytes (limit ${GGML_MAX_NAME - 1})`);
    }
    const label = `tensor "${name}"`;
    await cursor.fill(4, `dimension count of ${label}`);
    const dimCount = cursor.u32();
    if (dimCount > GGML_MAX_DIMS) throw this.invalid(`${label} has ${dimCount} dimensions (ggml allows ${GGML_MAX_DIMS})`);
    await cursor.fill(dimCount * 8 + 4 + 8, `shape, type and offset of ${label}`);
    const dims: number[] = [];
    let elementCount = 1;
    for (let d = 0; d < dimCount; d++) {
      const size = cursor.u64AsNumber();
      elementCount *= size;
      if (!Number.isSafeInteger(elementCount)) {
        throw this.invalid(`${label} shape is too large (dimension ${d} is ${size})`);
      }
      dims.push(size);
    }
    const type = cursor.u32();
    const typeInfo = ggmlTypeInfo(type);
    if (typeInfo === undefined) throw this.invalid(`${label} has unknown ggml type ${type}`);
    const rowLength = dims[0] ?? 1;
    const sizeBytes = tensorByteSize(typeInfo, rowLength, elementCount);
    if (sizeBytes === undefined) {
      throw this.invalid(
        `${label} of type ${typeInfo.name} has rows of ${rowLength} elements, not a multiple of its block size ${typeInfo.blockSize}`,
      );
    }
    if (sizeBytes > cursor.fileSize) {
      throw this.invalid(`${label} needs ${sizeBytes} bytes of data but the file is only ${cursor.fileSize} bytes`);
    }
    const relativeOffset = cursor.u64AsNumber();
    if (relativeOffset > cursor.fileSize) {
      throw this.invalid(`${label} data offset ${relativeOffset} is beyond the end of the file (${cursor.fileSize} bytes)`);
    }
    return { name, dims, type, typeName: typeInfo.name, sizeBytes, relativeOffset };
  }
}

function toSafeNumber(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
}
