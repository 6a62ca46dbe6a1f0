import type { FileHandle } from "node:fs/promises";
import { GptOssError } from "../errors.js";

/** How much the cursor reads from disk at a time (the metadata of a real gpt-oss GGUF is about 10 MB). */
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
const TWO_POW_32 = 4294967296;

/**
 * Sequential little-endian reader over a file handle that reads ahead in large chunks.
 *
 * Reads are synchronous once the bytes are buffered: callers check {@link has} and only `await` {@link fill}
 * when it is false, so parsing hundreds of thousands of short strings costs a handful of awaits. Every request
 * is checked against the bytes left in the file first, so the buffer never grows beyond what the file holds.
 */
export class FileCursor {
  private buffer: Buffer;
  /** File offset of `buffer[0]`. */
  private bufferFileOffset = 0;
  /** Next unread byte in `buffer`. */
  private start = 0;
  /** End of the valid bytes in `buffer`. */
  private end = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly fileSize: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, Math.max(fileSize, 1)));
  }

  /** Absolute file offset of the next byte to be read. */
  get position(): number {
    return this.bufferFileOffset + this.start;
  }

  /** Bytes between the current position and the end of the file. */
  get remainingInFile(): number {
    return this.fileSize - this.position;
  }

  /** True when `byteCount` bytes are buffered and can be read synchronously. */
  has(byteCount: number): boolean {
    return this.end - this.start >= byteCount;
  }

  /** Buffers at least `byteCount` bytes; fails with ERR_GGUF_INVALID naming `what` if the file ends first. */
  async fill(byteCount: number, what: string): Promise<void> {
    if (this.has(byteCount)) return;
    if (byteCount > this.remainingInFile) {
      throw new GptOssError(
        "ERR_GGUF_INVALID",
        `${this.path}: file is truncated: ${what} at offset ${this.position} needs ${byteCount} bytes but only ` +
          `${this.remainingInFile} remain (file size ${this.fileSize})`,
      );
    }
    const unread = this.end - this.start;
    if (byteCount > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(byteCount, READ_CHUNK_BYTES), this.remainingInFile));
      this.buffer.copy(grown, 0, this.start, this.end);
      this.buffer = grown;
    } else {
      this.buffer.copyWithin(0, this.start, this.end);
    }
    this.bufferFileOffset += this.start;
    this.start = 0;
    this.end = unread;
    while (this.end < byteCount) {
      const { bytesRead } = await this.handle.read(
        this.buffer,
        this.end,
        this.buffer.length - this.end,
        this.bufferFileOffset + this.end,
      );
      if (bytesRead === 0) {
        throw new GptOssError("ERR_GGUF_INVALID", `${this.path}: file ended early while reading ${what} (was it truncated while being read?)`);
      }
      this.end += bytesRead;
    }
  }

  /** Skips `byteCount` bytes (which must be buffered). */
  skip(byteCount: number): void {
    this.start += byteCount;
  }

  u8(): number {
    return this.buffer[this.start++]!;
  }
  i8(): number {
    return this.buffer.readInt8(this.start++);
  }
  u16(): number {
    const value = this.buffer.readUInt16LE(this.start);
    this.start += 2;
    return value;
  }
  i16(): number {
    const value = this.buffer.readInt16LE(this.start);
    this.start += 2;
    return value;
  }
  u32(): number {
    const value = this.buffer.readUInt32LE(this.start);
    this.start += 4;
    return value;
  }
  i32(): number {
    const value = this.buffer.readInt32LE(this.start);
    this.start += 4;
    return value;
  }
  f32(): number {
    const value = this.buffer.readFloatLE(this.start);
    this.start += 4;
    return value;
  }
  f64(): number {
    const value = this.buffer.readDoubleLE(this.start);
    this.start += 8;
    return value;
  }
  u64(): bigint {
    const value = this.buffer.readBigUInt64LE(this.start);
    this.start += 8;
    return value;
  }
  i64(): bigint {
    const value = this.buffer.readBigInt64LE(this.start);
    this.start += 8;
    return value;
  }

  /**
   * A uint64 used as a length, count or offset, as a number. Exact up to 2^53; larger values come back as some
   * number above 2^53, which every caller rejects against its own limit anyway.
   */
  u64AsNumber(): number {
    const value = this.peekU64AsNumber();
    this.start += 8;
    return value;
  }

  /** {@link u64AsNumber} without moving past it. */
  peekU64AsNumber(): number {
    return this.buffer.readUInt32LE(this.start + 4) * TWO_POW_32 + this.buffer.readUInt32LE(this.start);
  }

  /** `byteCount` buffered bytes decoded as UTF-8 (invalid sequences become U+FFFD). */
  utf8(byteCount: number): string {
    const text = this.buffer.toString("utf8", this.start, this.start + byteCount);
    this.start += byteCount;
    return text;
  }
}
