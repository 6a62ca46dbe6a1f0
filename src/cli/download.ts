/**
 * Resumable HTTP download with a SHA-256 check.
 * - Data goes to `DEST.partial`; a later run continues it with `Range: bytes=N-` (a server that ignores the
 *   range and answers 200 restarts the file). A dropped connection is retried from where it stopped.
 * - The expected SHA-256 is the caller's, else the one the server advertises: Hugging Face sends the LFS
 *   object's sha256 as `x-linked-etag` on the redirect and often as `etag`; a value that is 64 hex digits counts.
 * - Only a verified file is renamed to DEST; a mismatch deletes the partial file (ERR_DOWNLOAD_FAILED).
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { once } from "node:events";
import { GptOssError } from "../errors.js";

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
    const out = createWriteStream(partial, { flags: resuming ? "a" : "w" });
    let done = resuming ? start : 0;
    try {
      if (!response.body) throw new Error("empty response body");
      for await (const chunk of response.body) {
        if (!out.write(chunk)) await once(out, "drain");
        done += (chunk as Uint8Array).byteLength;
        options.onProgress?.(done, total);
      }
      out.end();
      await once(out, "close");
      if (total !== undefined && done < total) throw new Error(`connection closed at ${done} of ${total} bytes`);
      lastError = undefined;
      break;
    } catch (error) {
      out.destroy();
      await once(out, "close").catch(() => undefined);
      if (options.signal?.aborted) throw error;
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
