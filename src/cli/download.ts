/**
 * Resumable HTTP download with a SHA-256 check.
 * - Data goes to `DEST.partial`; a later run continues it with `Range: bytes=N-` (a server that ignores the
 *   range and answers 200 restarts the file). A dropped connection is retried from where it stopped.
 * - The expected SHA-256 is the caller's, else the one the server advertises: Hugging Face sends the LFS
 *   object's sha256 as `x-linked-etag` on the redirect and often as `etag`; a value that is 64 hex digits counts.
 * - Only a verified file is renamed to DEST (so DEST is never a half-written file a server could be using); a
 *   mismatch deletes the partial file (ERR_DOWNLOAD_FAILED).
 * - A full disk (ENOSPC) or a quota (EDQUOT) stops at once, without retries: ERR_DOWNLOAD_FAILED naming the path
 *   and the free space; the partial file is kept, so the same command resumes once there is room.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat, statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { once } from "node:events";
import { GptOssError } from "../errors.js";
import { formatBytes } from "./progress.js";

export interface DownloadOptions {
  url: string;
  dest: string;
  /** Expected SHA-256 (hex). Default: the server's advertised one, if any. */
  sha256?: string;
  /** Attempts after a dropped connection (default 5). */
  retries?: number;
  /** Wait before retry n is n × this (default 1000 ms). */
  retryDelayMs?: number;
  onProgress?: (done: number, total: number | undefined) => void;
  signal?: AbortSignal;
  /** Extra request headers (e.g. Authorization for gated repositories). */
  headers?: Record<string, string>;
  /** Opens the stream the data is written to (default: `createWriteStream`); tests inject write failures here. */
  openSink?: (path: string, append: boolean) => Writable;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** Whether the hash was checked against an expected value (given or advertised). */
  verified: boolean;
  /** Bytes that were already on disk from an earlier, interrupted run. */
  resumedFrom: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** A sha256 from an ETag-like header value, if it is one (`"abc…"`, `W/"abc…"`). */
export function sha256FromEtag(value: string | null): string | undefined {
  const bare = value?.replace(/^W\//, "").replace(/"/g, "").trim();
  return bare && SHA256_HEX.test(bare) ? bare.toLowerCase() : undefined;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/** Writes `chunk`, waiting for room; throws the sink's own error (a full disk…) as soon as it has one. */
async function writeChunk(out: Writable, chunk: Uint8Array): Promise<void> {
  if (!out.write(chunk) && !out.destroyed) await once(out, "drain");
  if (out.errored) throw out.errored;
}

function openFileSink(path: string, append: boolean): Writable {
  return createWriteStream(path, { flags: append ? "a" : "w" });
}

const DISK_FULL_CODES = new Set(["ENOSPC", "EDQUOT"]);

function isDiskFull(error: unknown): boolean {
  return DISK_FULL_CODES.has((error as { code?: string } | null)?.code ?? "");
}

/** ERR_DOWNLOAD_FAILED for a full disk: the path, what is free there, what is still missing, and how to resume. */
async function diskFullError(error: unknown, partial: string, total: number | undefined): Promise<GptOssError> {
  const kept = await fileSize(partial);
  const free = await statfs(dirname(partial)).then((s) => s.bavail * s.bsize, () => undefined);
  const needed = total !== undefined && total > kept ? `, ${formatBytes(total - kept)} more needed` : "";
  const freeText = free === undefined ? "free space unknown" : `${formatBytes(free)} free`;
  return new GptOssError(
    "ERR_DOWNLOAD_FAILED",
    `No space left on the disk writing ${partial} (${freeText}${needed}; ${(error as { code: string }).code}). The partial file (${formatBytes(kept)}) is kept: free some space, or pass --out DIR on another disk after moving it there, and run the same command again to resume.`,
    { cause: error },
  );
}

/** Follows redirects by hand so headers of every hop (x-linked-etag lives on the first) are seen. */
async function openRange(url: string, start: number, options: DownloadOptions): Promise<{ response: Response; advertisedSha?: string; advertisedSize?: number }> {
  let current = url;
  let advertisedSha: string | undefined;
  let advertisedSize: number | undefined;
  for (let hop = 0; hop < 10; hop++) {
    const headers: Record<string, string> = { ...options.headers, "accept-encoding": "identity" };
    if (start > 0) headers.range = `bytes=${start}-`;
    const response = await fetch(current, { headers, redirect: "manual", signal: options.signal });
    advertisedSha ??= sha256FromEtag(response.headers.get("x-linked-etag")) ?? sha256FromEtag(response.headers.get("etag"));
    const linkedSize = Number(response.headers.get("x-linked-size"));
    if (linkedSize > 0) advertisedSize ??= linkedSize;
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      current = new URL(location, current).toString();
      continue;
    }
    return { response, advertisedSha, advertisedSize };
  }
  throw new GptOssError("ERR_DOWNLOAD_FAILED", `Too many redirects for ${url}.`);
}

/** Downloads `url` to `dest` (see the module comment). Throws GptOssError ERR_DOWNLOAD_FAILED. */
export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const partial = `${options.dest}.partial`;
  const retries = options.retries ?? 5;
  const resumedFrom = await fileSize(partial);
  let expected = options.sha256?.toLowerCase();
  if (expected !== undefined && !SHA256_HEX.test(expected)) throw new GptOssError("ERR_INVALID_ARGUMENT", `Expected 64 hex digits for sha256 but received "${options.sha256}"`);
  let total: number | undefined;
  let lastError: unknown;

  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, attempt * (options.retryDelayMs ?? 1000)));
    const start = await fileSize(partial);
    let response: Response;
    try {
      const opened = await openRange(options.url, start, options);
      response = opened.response;
      expected ??= opened.advertisedSha;
      total ??= opened.advertisedSize;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      lastError = error;
      continue;
    }
    if (response.status === 416 && start > 0) {
      // Nothing left to fetch: the partial file is complete.
      await response.body?.cancel();
      total ??= start;
      break;
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      const retryable = response.status >= 500 || response.status === 429;
      lastError = new GptOssError("ERR_DOWNLOAD_FAILED", `HTTP ${response.status} ${response.statusText} for ${options.url}`);
      if (retryable) continue;
      throw lastError;
    }
    const resuming = response.status === 206 && start > 0;
    const length = Number(response.headers.get("content-length"));
    if (length > 0) total = (resuming ? start : 0) + length;
    const out = (options.openSink ?? openFileSink)(partial, resuming);
    out.on("error", () => undefined); // read back as `out.errored` (an unheard 'error' event would crash the process)
    let done = resuming ? start : 0;
    try {
      if (!response.body) throw new Error("empty response body");
      for await (const chunk of response.body) {
        await writeChunk(out, chunk as Uint8Array);
        done += (chunk as Uint8Array).byteLength;
        options.onProgress?.(done, total);
      }
      out.end();
      await finished(out);
      if (total !== undefined && done < total) throw new Error(`connection closed at ${done} of ${total} bytes`);
      lastError = undefined;
      break;
    } catch (error) {
      out.destroy();
      await finished(out).catch(() => undefined);
      if (options.signal?.aborted) throw error;
      if (isDiskFull(error)) throw await diskFullError(error, partial, total);
      lastError = error;
    }
  }
  if (lastError !== undefined) {
    throw new GptOssError("ERR_DOWNLOAD_FAILED", `Download of ${options.url} failed after ${retries + 1} attempts: ${(lastError as Error).message}. Run the same command again to resume.`, { cause: lastError });
  }

  const hash = createHash("sha256");
  await hashFile(partial, hash);
  const sha256 = hash.digest("hex");
  const bytes = await fileSize(partial);
  if (expected !== undefined && sha256 !== expected) {
    await rm(partial, { force: true });
    throw new GptOssError("ERR_DOWNLOAD_FAILED", `Checksum mismatch for ${options.url}: expected sha256 ${expected}, got ${sha256}. The partial file was deleted; run the command again.`);
  }
  await rename(partial, options.dest);
  return { path: options.dest, bytes, sha256, verified: expected !== undefined, resumedFrom };
}
