// `gpt-oss pull`'s downloader against a local HTTP server with Range support that can drop connections.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { downloadFile, sha256FromEtag } from "../../src/cli/download.js";

const body = randomBytes(300_000);
const sha = createHash("sha256").update(body).digest("hex");
let server: Server;
let base: string;
let dir: string;
/** Per-test server behaviour. */
const behaviour = { dropAfterBytes: 0, drops: 0, advertiseSha: true as boolean | string, ignoreRange: false };
const rangesSeen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/missing") return res.writeHead(404).end("no");
    if (req.url === "/redirect") {
      // Like huggingface.co: the sha256 sits on the redirect, the data on another URL.
      const etag = behaviour.advertiseSha === true ? sha : behaviour.advertiseSha || "not-a-sha";
      return res.writeHead(302, { location: "/data", "x-linked-etag": `"${etag}"`, "x-linked-size": String(body.length) }).end();
    }
    const range = req.headers.range;
    rangesSeen.push(range ?? "");
    let start = 0;
    if (range && !behaviour.ignoreRange) {
      start = Number(/^bytes=(\d+)-$/.exec(range)![1]);
      if (start >= body.length) return res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
      res.writeHead(206, { "content-length": body.length - start, "content-range": `bytes ${start}-${body.length - 1}/${body.length}` });
    } else {
      res.writeHead(200, { "content-length": body.length, etag: '"weak-etag"' });
    }
    const rest = body.subarray(start);
    if (behaviour.drops > 0 && behaviour.dropAfterBytes < rest.length) {
      behaviour.drops--;
      res.write(rest.subarray(0, behaviour.dropAfterBytes), () => res.destroy());
      return;
    }
    res.end(rest);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), "gpt-oss-pull-"));
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  Object.assign(behaviour, { dropAfterBytes: 0, drops: 0, advertiseSha: true, ignoreRange: false });
  rangesSeen.length = 0;
});

const dest = (name: string) => join(dir, name);

describe("downloadFile", () => {
  it("downloads, verifies the advertised sha256 and renames into place", async () => {
    const progress: number[] = [];
    const result = await downloadFile({ url: `${base}/redirect`, dest: dest("a.gguf"), onProgress: (done) => progress.push(done) });
    expect(result).toMatchObject({ bytes: body.length, sha256: sha, verified: true, resumedFrom: 0 });
    expect(readFileSync(dest("a.gguf")).equals(body)).toBe(true);
    expect(existsSync(dest("a.gguf.partial"))).toBe(false);
    expect(progress.at(-1)).toBe(body.length);
  });

  it("reconnects after a dropped connection and continues with a Range request", async () => {
    Object.assign(behaviour, { dropAfterBytes: 100_000, drops: 2 });
    const result = await downloadFile({ url: `${base}/redirect`, dest: dest("b.gguf"), retryDelayMs: 1 });
    expect(result.verified).toBe(true);
    expect(readFileSync(dest("b.gguf")).equals(body)).toBe(true);
    // Each reconnect asks for the bytes after what already arrived (a dropped socket may lose its buffered tail).
    const starts = rangesSeen.map((r) => Number(/^bytes=(\d+)-$/.exec(r)?.[1] ?? 0));
    expect(starts).toHaveLength(3);
    expect(starts[0]).toBe(0);
    expect(starts[1]).toBeGreaterThan(0);
    expect(starts[2]).toBeGreaterThan(starts[1]);
  });

  it("resumes a .partial file left by an interrupted run", async () => {
    Object.assign(behaviour, { dropAfterBytes: 120_000, drops: 1 });
    await expect(downloadFile({ url: `${base}/redirect`, dest: dest("c.gguf"), retries: 0 })).rejects.toMatchObject({ code: "ERR_DOWNLOAD_FAILED" });
    const kept = readFileSync(dest("c.gguf.partial")).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(120_000);
    const result = await downloadFile({ url: `${base}/redirect`, dest: dest("c.gguf") });
    expect(result).toMatchObject({ resumedFrom: kept, sha256: sha, verified: true });
    expect(rangesSeen.at(-1)).toBe(`bytes=${kept}-`);
    expect(readFileSync(dest("c.gguf")).equals(body)).toBe(true);
  });

  it("restarts when the server ignores Range, and treats 416 as already complete", async () => {
    writeFileSync(dest("d.gguf.partial"), body.subarray(0, 5000));
    behaviour.ignoreRange = true;
    expect((await downloadFile({ url: `${base}/redirect`, dest: dest("d.gguf") })).sha256).toBe(sha);
    behaviour.ignoreRange = false;
    writeFileSync(dest("e.gguf.partial"), body);
    expect((await downloadFile({ url: `${base}/redirect`, dest: dest("e.gguf") })).verified).toBe(true);
  });

  it("rejects a checksum mismatch and deletes the partial file", async () => {
    const wrong = "0".repeat(64);
    await expect(downloadFile({ url: `${base}/data`, dest: dest("f.gguf"), sha256: wrong })).rejects.toMatchObject({ code: "ERR_DOWNLOAD_FAILED", message: expect.stringContaining("Checksum mismatch") });
    expect(existsSync(dest("f.gguf.partial"))).toBe(false);
    expect(existsSync(dest("f.gguf"))).toBe(false);
  });

  it("downloads unverified when no sha256 is known, and fails fast on 404", async () => {
    behaviour.advertiseSha = false;
    expect((await downloadFile({ url: `${base}/redirect`, dest: dest("g.gguf") })).verified).toBe(false);
    await expect(downloadFile({ url: `${base}/missing`, dest: dest("h.gguf"), retryDelayMs: 1 })).rejects.toMatchObject({ code: "ERR_DOWNLOAD_FAILED", message: expect.stringContaining("404") });
  });

  it("stops at once on a full disk, naming the path and free space, and keeps the partial file for a resume", async () => {
    // A sink that writes through to the real file until 100 kB, then fails like a full disk does.
    const fullDisk = (path: string, append: boolean) => {
      let written = 0;
      return new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (written + chunk.length > 100_000) return callback(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }));
          writeFileSync(path, chunk, { flag: written === 0 && !append ? "w" : "a" });
          written += chunk.length;
          callback();
        },
      });
    };
    const error = (await downloadFile({ url: `${base}/redirect`, dest: dest("i.gguf"), retryDelayMs: 1, openSink: fullDisk }).catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe("ERR_DOWNLOAD_FAILED");
    expect(error.message).toContain(`No space left on the disk writing ${dest("i.gguf.partial")}`);
    expect(error.message).toMatch(/\d+(\.\d)? [KMGT]?B free, .* more needed; ENOSPC\)/);
    expect(rangesSeen).toHaveLength(1); // not retried: another attempt would fail the same way
    const kept = readFileSync(dest("i.gguf.partial")).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(100_000);
    const result = await downloadFile({ url: `${base}/redirect`, dest: dest("i.gguf") });
    expect(result).toMatchObject({ resumedFrom: kept, verified: true });
    expect(readFileSync(dest("i.gguf")).equals(body)).toBe(true);
  });

  it("reads sha256 values out of ETag headers", () => {
    expect(sha256FromEtag(`"${sha.toUpperCase()}"`)).toBe(sha);
    expect(sha256FromEtag(`W/"${sha}"`)).toBe(sha);
    expect(sha256FromEtag('"abc"')).toBeUndefined();
    expect(sha256FromEtag(null)).toBeUndefined();
  });
});
