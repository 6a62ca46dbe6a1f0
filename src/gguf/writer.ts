import { open, rm } from "node:fs/promises";
import { GptOssError } from "../errors.js";
import { ByteWriter, type GgufTypedValue } from "./encoder.js";
import {
  GGML_MAX_DIMS,
  GGML_MAX_NAME,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_WRITE_VERSION,
  GgufValueType,
  alignUp,
  ggmlTypeInfo,
  isPowerOfTwo,
  tensorByteSize,
} from "./types.js";

/**
 * Produces a tensor's bytes as a sequence of chunks whose lengths add up to `byteLength`. The writer finishes
 * with each chunk before asking for the next, so a source may reuse one buffer for every chunk.
 */
export type TensorDataSource = (byteLength: number) => Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** One tensor to write. */
export interface GgufTensorSpec {
  name: string;
  /** ggml order: `dims[0]` is the row length. */
  dims: readonly number[];
  /** ggml type id. */
  type: number;
  data: TensorDataSource;
}

/** Input of {@link writeGguf}. */
export interface WriteGgufOptions {
  /** Metadata in file order. `general.alignment` (uint32), when present, sets the data alignment (default 32). */
  metadata: ReadonlyArray<readonly [string, GgufTypedValue]>;
  tensors: readonly GgufTensorSpec[];
  /** Called after every write with bytes written so far and the final file size. */
  onProgress?: (written: number, total: number) => void;
}

interface PlannedTensor {
  spec: GgufTensorSpec;
  sizeBytes: number;
  relativeOffset: number;
}

/**
 * Writes a GGUF v3 file, streaming tensor data chunk by chunk so memory use does not depend on the model size.
 * On failure the partial file is removed.
 *
 * @throws GptOssError `ERR_INVALID_ARGUMENT` for bad tensor specs or metadata values, or when a data source
 *   yields a different number of bytes than the tensor's shape needs.
 */
export async function writeGguf(path: string, options: WriteGgufOptions): Promise<void> {
  const alignment = resolveAlignment(options.metadata);
  const { header, planned, totalSize } = layOut(options, alignment);
  const handle = await open(path, "w");
  let written = 0;
  const write = async (bytes: Uint8Array): Promise<void> => {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, written + done);
      done += bytesWritten;
    }
    written += bytes.length;
    options.onProgress?.(written, totalSize);
  };
  try {
    await write(header);
    for (const { spec, sizeBytes } of planned) {
      const start = written;
      for await (const chunk of spec.data(sizeBytes)) {
        if (written - start + chunk.length > sizeBytes) break;
        await write(chunk);
      }
      if (written - start !== sizeBytes) {
        throw new GptOssError(
          "ERR_INVALID_ARGUMENT",
          `GGUF tensor "${spec.name}": data source produced a different byte count than the ${sizeBytes} bytes its shape needs`,
        );
      }
      // Like ggml's own writer, every tensor (the last one too) is padded to the alignment.
      const padding = alignUp(sizeBytes, alignment) - sizeBytes;
      if (padding > 0) await write(new Uint8Array(padding));
    }
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
}

function resolveAlignment(metadata: WriteGgufOptions["metadata"]): number {
  const entry = metadata.find(([key]) => key === "general.alignment");
  if (entry === undefined) return GGUF_DEFAULT_ALIGNMENT;
  const [, typed] = entry;
  if (typed.type !== GgufValueType.UINT32 || typeof typed.value !== "number" || !isPowerOfTwo(typed.value)) {
    throw new GptOssError("ERR_INVALID_ARGUMENT", "GGUF metadata general.alignment must be a uint32 power of two");
  }
  return typed.value;
}

/** Encodes header, metadata and tensor table, and computes where every tensor's data goes. */
function layOut(options: WriteGgufOptions, alignment: number): { header: Buffer; planned: PlannedTensor[]; totalSize: number } {
  const out = new ByteWriter();
  out.u32(GGUF_MAGIC);
  out.u32(GGUF_WRITE_VERSION);
  out.u64(options.tensors.length);
  out.u64(options.metadata.length);
  const keys = new Set<string>();
  for (const [key, typed] of options.metadata) {
    if (keys.has(key) || key.length === 0) throw invalidSpec(`metadata key "${key}" is empty or duplicated`);
    keys.add(key);
    out.string(key);
    out.u32(typed.type);
    out.value(typed, key);
  }

  const planned: PlannedTensor[] = [];
  const names = new Set<string>();
  let relativeOffset = 0;
  for (const spec of options.tensors) {
    const sizeBytes = tensorSize(spec);
    if (names.has(spec.name)) throw invalidSpec(`duplicate tensor name "${spec.name}"`);
    names.add(spec.name);
    out.string(spec.name);
    out.u32(spec.dims.length);
    for (const dim of spec.dims) out.u64(dim);
    out.u32(spec.type);
    out.u64(relativeOffset);
    planned.push({ spec, sizeBytes, relativeOffset });
    relativeOffset = alignUp(relativeOffset + sizeBytes, alignment);
  }
  const headerSize = planned.length > 0 ? alignUp(out.size, alignment) : out.size;
  out.zeros(headerSize - out.size);
  const totalSize = headerSize + relativeOffset;
  return { header: Buffer.from(out.bytes()), planned, totalSize };
}

function tensorSize(spec: GgufTensorSpec): number {
  const type = ggmlTypeInfo(spec.type);
  const label = `GGUF tensor "${spec.name}"`;
  if (Buffer.byteLength(spec.name) >= GGML_MAX_NAME || spec.name.length === 0) {
    throw invalidSpec(`${label}: name must be 1..${GGML_MAX_NAME - 1} bytes`);
  }
  if (type === undefined) throw invalidSpec(`${label}: unknown ggml type ${spec.type}`);
  if (spec.dims.length > GGML_MAX_DIMS || !spec.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalidSpec(`${label}: dims must be at most ${GGML_MAX_DIMS} non-negative integers`);
  }
  const rowLength = spec.dims[0] ?? 1;
  const sizeBytes = tensorByteSize(type, rowLength, spec.dims.reduce((product, d) => product * d, 1));
  if (sizeBytes === undefined) {
    throw invalidSpec(`${label}: row length ${rowLength} is not a multiple of the ${type.name} block size ${type.blockSize}`);
  }
  return sizeBytes;
}

function invalidSpec(message: string): GptOssError {
  return new GptOssError("ERR_INVALID_ARGUMENT", message);
}
