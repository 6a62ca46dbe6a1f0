import { GptOssError } from "../errors.js";
import { GGUF_SCALAR_SIZE, GgufValueType } from "./types.js";

type ScalarNumberType = Exclude<GgufValueType, typeof GgufValueType.BOOL | typeof GgufValueType.STRING | typeof GgufValueType.ARRAY>;
type ItemValue = number | bigint | boolean | string;

/** A metadata value together with the GGUF type it must be stored as (GGUF readers check types strictly). */
export type GgufTypedValue =
  | { readonly type: ScalarNumberType; readonly value: number | bigint }
  | { readonly type: typeof GgufValueType.BOOL; readonly value: boolean }
  | { readonly type: typeof GgufValueType.STRING; readonly value: string }
  | {
      readonly type: typeof GgufValueType.ARRAY;
      readonly itemType: Exclude<GgufValueType, typeof GgufValueType.ARRAY>;
      readonly value: readonly ItemValue[];
    }
  | { readonly type: typeof GgufValueType.ARRAY; readonly itemType: typeof GgufValueType.ARRAY; readonly value: readonly GgufTypedValue[] };

/** Constructors for typed metadata values. */
export const gguf = {
  u8: (value: number): GgufTypedValue => ({ type: GgufValueType.UINT8, value }),
  i8: (value: number): GgufTypedValue => ({ type: GgufValueType.INT8, value }),
  u16: (value: number): GgufTypedValue => ({ type: GgufValueType.UINT16, value }),
  i16: (value: number): GgufTypedValue => ({ type: GgufValueType.INT16, value }),
  u32: (value: number): GgufTypedValue => ({ type: GgufValueType.UINT32, value }),
  i32: (value: number): GgufTypedValue => ({ type: GgufValueType.INT32, value }),
  u64: (value: number | bigint): GgufTypedValue => ({ type: GgufValueType.UINT64, value }),
  i64: (value: number | bigint): GgufTypedValue => ({ type: GgufValueType.INT64, value }),
  f32: (value: number): GgufTypedValue => ({ type: GgufValueType.FLOAT32, value }),
  f64: (value: number): GgufTypedValue => ({ type: GgufValueType.FLOAT64, value }),
  bool: (value: boolean): GgufTypedValue => ({ type: GgufValueType.BOOL, value }),
  str: (value: string): GgufTypedValue => ({ type: GgufValueType.STRING, value }),
  /** An array of scalars or strings, all stored as `itemType`. */
  array: (itemType: Exclude<GgufValueType, typeof GgufValueType.ARRAY>, value: readonly ItemValue[]): GgufTypedValue => ({
    type: GgufValueType.ARRAY,
    itemType,
    value,
  }),
  /** An array whose items are arrays. */
  nested: (value: readonly GgufTypedValue[]): GgufTypedValue => ({ type: GgufValueType.ARRAY, itemType: GgufValueType.ARRAY, value }),
};

/** A growable little-endian byte buffer for the GGUF header, metadata and tensor table. */
export class ByteWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private length = 0;

  get size(): number {
    return this.length;
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(byteCount: number): number {
    const at = this.length;
    if (at + byteCount > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, at + byteCount));
      this.buffer.copy(grown, 0, 0, at);
      this.buffer = grown;
    }
    this.length += byteCount;
    return at;
  }

  // Each method reserves first: reserve() may replace `this.buffer`.
  u8(value: number): void {
    const at = this.reserve(1);
    this.buffer.writeUInt8(value, at);
  }
  u32(value: number): void {
    const at = this.reserve(4);
    this.buffer.writeUInt32LE(value, at);
  }
  u64(value: number | bigint): void {
    const at = this.reserve(8);
    this.buffer.writeBigUInt64LE(BigInt(value), at);
  }
  zeros(byteCount: number): void {
    const at = this.reserve(byteCount);
    this.buffer.fill(0, at, this.length);
  }

  /** A GGUF string: uint64 byte length, then UTF-8 bytes. */
  string(value: string): void {
    const byteLength = Buffer.byteLength(value, "utf8");
    this.u64(byteLength);
    const at = this.reserve(byteLength);
    this.buffer.write(value, at, byteLength, "utf8");
  }

  /** A metadata value without its type tag. */
  value(typed: GgufTypedValue, key: string): void {
    if (typed.type === GgufValueType.ARRAY) {
      this.u32(typed.itemType);
      this.u64(typed.value.length);
      if (typed.itemType === GgufValueType.ARRAY) {
        for (const item of typed.value as readonly GgufTypedValue[]) {
          // Each item is an array value without a type tag: item type, length, items.
          if (item.type !== GgufValueType.ARRAY) throw badValue(key, "nested array items must be arrays");
          this.value(item, key);
        }
      } else {
        for (const item of typed.value as readonly ItemValue[]) this.item(typed.itemType, item, key);
      }
      return;
    }
    this.item(typed.type, typed.value, key);
  }

  private item(type: Exclude<GgufValueType, typeof GgufValueType.ARRAY>, value: ItemValue, key: string): void {
    if (type === GgufValueType.STRING) {
      if (typeof value !== "string") throw badValue(key, `expected a string, got ${typeof value}`);
      this.string(value);
      return;
    }
    if (type === GgufValueType.BOOL) {
      if (typeof value !== "boolean") throw badValue(key, `expected a boolean, got ${typeof value}`);
      this.u8(value ? 1 : 0);
      return;
    }
    if (typeof value !== "number" && typeof value !== "bigint") throw badValue(key, `expected a number, got ${typeof value}`);
    const at = this.reserve(GGUF_SCALAR_SIZE[type]!);
    const b = this.buffer;
    try {
      switch (type) {
        case GgufValueType.UINT8: b.writeUInt8(Number(value), at); break;
        case GgufValueType.INT8: b.writeInt8(Number(value), at); break;
        case GgufValueType.UINT16: b.writeUInt16LE(Number(value), at); break;
        case GgufValueType.INT16: b.writeInt16LE(Number(value), at); break;
        case GgufValueType.UINT32: b.writeUInt32LE(Number(value), at); break;
        case GgufValueType.INT32: b.writeInt32LE(Number(value), at); break;
        case GgufValueType.FLOAT32: b.writeFloatLE(Number(value), at); break;
        case GgufValueType.FLOAT64: b.writeDoubleLE(Number(value), at); break;
        case GgufValueType.UINT64: b.writeBigUInt64LE(BigInt(value), at); break;
        case GgufValueType.INT64: b.writeBigInt64LE(BigInt(value), at); break;
      }
    } catch (error) {
      throw badValue(key, `${String(value)} does not fit value type ${type}`, error);
    }
  }
}

function badValue(key: string, message: string, cause?: unknown): GptOssError {
  return new GptOssError("ERR_INVALID_ARGUMENT", `GGUF metadata "${key}": ${message}`, { cause });
}
