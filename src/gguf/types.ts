/**
 * GGUF/ggml constants shared by the reader and the writer: the single source of truth for type ids, block
 * geometry and header constants. Values follow ggml's `enum ggml_type` and `enum gguf_type` (ggml.h, gguf.h).
 */

/** "GGUF" read as a little-endian uint32. */
export const GGUF_MAGIC = 0x46554747;
/** GGUF versions this package reads (v1 is obsolete and rejected, as llama.cpp does). */
export const GGUF_SUPPORTED_VERSIONS: readonly number[] = [2, 3];
/** The version the writer produces. */
export const GGUF_WRITE_VERSION = 3;
/** Alignment of tensor data when `general.alignment` is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** Most dimensions a ggml tensor can have (GGML_MAX_DIMS). */
export const GGML_MAX_DIMS = 4;
/** Tensor names must be shorter than this many bytes (GGML_MAX_NAME, which counts the NUL). */
export const GGML_MAX_NAME = 64;

/** Metadata value types (`enum gguf_type`). */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];

/** Byte size of each fixed-size metadata value type (strings and arrays are variable). */
export const GGUF_SCALAR_SIZE: Readonly<Partial<Record<GgufValueType, number>>> = {
  [GgufValueType.UINT8]: 1,
  [GgufValueType.INT8]: 1,
  [GgufValueType.UINT16]: 2,
  [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4,
  [GgufValueType.INT32]: 4,
  [GgufValueType.FLOAT32]: 4,
  [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT64]: 8,
  [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

/** Tensor element types used by gpt-oss files (ids from `enum ggml_type`). */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q8_0: 8,
  BF16: 30,
  MXFP4: 39,
} as const;

/** Storage geometry of one ggml tensor type: `blockSize` elements are stored in `bytesPerBlock` bytes. */
export interface GgmlTypeInfo {
  readonly id: number;
  readonly name: string;
  readonly blockSize: number;
  readonly bytesPerBlock: number;
}

const QK_K = 256;

// [id, name, elements per block, bytes per block]; ids 4, 5, 31-33, 36-38 were removed from ggml.
const TYPE_ROWS: ReadonlyArray<readonly [number, string, number, number]> = [
  [0, "F32", 1, 4],
  [1, "F16", 1, 2],
  [2, "Q4_0", 32, 2 + 16],
  [3, "Q4_1", 32, 2 + 2 + 16],
  [6, "Q5_0", 32, 2 + 4 + 16],
  [7, "Q5_1", 32, 2 + 2 + 4 + 16],
  [8, "Q8_0", 32, 2 + 32],
  [9, "Q8_1", 32, 2 + 2 + 32],
  [10, "Q2_K", QK_K, 2 + 2 + QK_K / 16 + QK_K / 4],
  [11, "Q3_K", QK_K, 2 + QK_K / 4 + QK_K / 8 + 12],
  [12, "Q4_K", QK_K, 2 + 2 + QK_K / 2 + 12],
  [13, "Q5_K", QK_K, 2 + 2 + QK_K / 2 + QK_K / 8 + 12],
  [14, "Q6_K", QK_K, 2 + QK_K / 2 + QK_K / 4 + QK_K / 16],
  [15, "Q8_K", QK_K, 4 + QK_K + QK_K / 8],
  [16, "IQ2_XXS", QK_K, 2 + QK_K / 4],
  [17, "IQ2_XS", QK_K, 2 + QK_K / 4 + QK_K / 32],
  [18, "IQ3_XXS", QK_K, 2 + QK_K / 4 + QK_K / 8],
  [19, "IQ1_S", QK_K, 2 + QK_K / 8 + QK_K / 16],
  [20, "IQ4_NL", 32, 2 + 16],
  [21, "IQ3_S", QK_K, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4],
  [22, "IQ2_S", QK_K, 2 + QK_K / 4 + QK_K / 16],
  [23, "IQ4_XS", QK_K, 2 + 2 + QK_K / 2 + QK_K / 64],
  [24, "I8", 1, 1],
  [25, "I16", 1, 2],
  [26, "I32", 1, 4],
  [27, "I64", 1, 8],
  [28, "F64", 1, 8],
  [29, "IQ1_M", QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32],
  [30, "BF16", 1, 2],
  [34, "TQ1_0", QK_K, 2 + 4 * 13],
  [35, "TQ2_0", QK_K, 2 + 64],
  [39, "MXFP4", 32, 1 + 16],
  [40, "NVFP4", 64, 4 + 32],
  [41, "Q1_0", 128, 2 + 16],
  [42, "Q2_0", 64, 2 + 16],
];

const TYPE_TABLE: ReadonlyMap<number, GgmlTypeInfo> = new Map(
  TYPE_ROWS.map(([id, name, blockSize, bytesPerBlock]) => [id, { id, name, blockSize, bytesPerBlock }]),
);

/** Geometry of ggml type `id`, or undefined when the id is not a type ggml can store in a file. */
export function ggmlTypeInfo(id: number): GgmlTypeInfo | undefined {
  return TYPE_TABLE.get(id);
}

/**
 * Bytes taken by a tensor of `elementCount` elements whose first dimension is `rowLength`, or undefined when a
 * row is not a whole number of `type` blocks (ggml cannot store it; callers report it in their own words).
 */
export function tensorByteSize(type: GgmlTypeInfo, rowLength: number, elementCount: number): number | undefined {
  if (rowLength % type.blockSize !== 0) return undefined;
  return (elementCount / type.blockSize) * type.bytesPerBlock;
}

/** True for 1, 2, 4, 8, … (a valid `general.alignment`). */
export function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0;
}

/** `offset` rounded up to a multiple of `alignment` (a power of two). */
export function alignUp(offset: number, alignment: number): number {
  const remainder = offset % alignment;
  return remainder === 0 ? offset : offset + alignment - remainder;
}
