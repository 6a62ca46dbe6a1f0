/**
 * `gpt-oss pull 20b|120b|URL`: downloads ggml-org's GGUF conversions from Hugging Face.
 * - 20b:  ggml-org/gpt-oss-20b-GGUF,  gpt-oss-20b-mxfp4.gguf (one file, ~12 GB)
 * - 120b: ggml-org/gpt-oss-120b-GGUF, gpt-oss-120b-mxfp4-0000{1,2,3}-of-00003.gguf (three parts, ~63 GB;
 *         llama.cpp loads the set from the first part's path)
 * Each file is resumable (`.partial` + HTTP Range) and checked against the sha256 Hugging Face advertises; only a
 * verified file is renamed into place, so a server never maps a file `pull` is still writing.
 * Exit codes: 0 done, 1 failed (network, checksum, full disk: the message names the path and free space),
 * 2 usage error, 130/143 interrupted by SIGINT/SIGTERM (the `.partial` file is kept for the next run).
 */
import { mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { HELP_OPTION, intOption, UsageError, withUsageErrors } from "./args.js";
import { downloadFile } from "./download.js";
import { EXIT_OK, signalExitCode } from "./exit-codes.js";
import { modelsDir } from "./paths.js";
import { createProgressBar, formatBytes } from "./progress.js";

const HF = "https://huggingface.co";

/** Known models: repository and file names (a multi-part GGUF lists every part, first one first). */
export const KNOWN_MODELS: Record<string, { repo: string; files: string[] }> = {
  "20b": { repo: "ggml-org/gpt-oss-20b-GGUF", files: ["gpt-oss-20b-mxfp4.gguf"] },
  "120b": {
    repo: "ggml-org/gpt-oss-120b-GGUF",
    files: ["gpt-oss-120b-mxfp4-00001-of-00003.gguf", "gpt-oss-120b-mxfp4-00002-of-00003.gguf", "gpt-oss-120b-mxfp4-00003-of-00003.gguf"],
  },
};

export const PULL_HELP = `Usage: gpt-oss pull 20b|120b|URL [options]

Downloads a gpt-oss GGUF (ggml-org's MXFP4 conversions on Hugging Face, or any URL) with resume and a
SHA-256 check, and prints the path to pass to --model.

Options:
  --out DIR        destination folder (default: $GPT_OSS_CACHE_DIR/models, ~/.cache/gpt-oss-node/models)
  --sha256 HEX     expected SHA-256 of a single-file download (default: the one Hugging Face advertises)
  --retries N      reconnects after a dropped connection (default 5)
  -h, --help       this help

A download goes to NAME.partial and is renamed once verified; Ctrl-C, a dropped connection or a full disk keep
the .partial file and the same command resumes it. Exit codes: 0 done, 1 failed (the message says why: network,
checksum, full disk with the path and free space), 2 usage error, 130/143 interrupted by SIGINT/SIGTERM.
`;

/** The URLs a `pull` target names. */
export function pullUrls(target: string): string[] {
  const known = KNOWN_MODELS[target.toLowerCase()];
  if (known) return known.files.map((file) => `${HF}/${known.repo}/resolve/main/${file}`);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`Expected 20b, 120b or an http(s) URL but received "${target}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UsageError(`Expected an http(s) URL but received "${target}"`);
  return [url.toString()];
}

export async function runPull(argv: string[]): Promise<number> {
  const { values, positionals } = withUsageErrors("pull", () =>
    parseArgs({ args: argv, strict: true, allowPositionals: true, options: { out: { type: "string" }, sha256: { type: "string" }, retries: { type: "string" }, ...HELP_OPTION } }),
  );
  if (values.help) {
    process.stdout.write(PULL_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("Expected one model to pull: 20b, 120b or a URL. Run 'gpt-oss pull --help'.");
  const urls = pullUrls(positionals[0]);
  if (values.sha256 && urls.length > 1) throw new UsageError("--sha256 applies to single-file downloads only.");
  if (values.sha256 && !/^[0-9a-f]{64}$/i.test(values.sha256)) throw new UsageError(`Expected 64 hex digits for --sha256 but received "${values.sha256}"`);
  const retries = intOption(values.retries, "--retries", 0, 100);
  const out = values.out ?? modelsDir();
  await mkdir(out, { recursive: true });

  const controller = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interruptedBy = signal;
    controller.abort(new Error(`${signal}: interrupted`));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (const [i, url] of urls.entries()) {
      const name = decodeURIComponent(basename(new URL(url).pathname)) || "model.gguf";
      const dest = join(out, name);
      if (existsSync(dest)) {
        process.stderr.write(`${name}: already downloaded\n`);
        continue;
      }
      const bar = createProgressBar(urls.length > 1 ? `${name} (${i + 1}/${urls.length})` : name);
      const result = await downloadFile({ url, dest, sha256: values.sha256, retries, signal: controller.signal, onProgress: (done, total) => bar.update(done, total) }).catch(
        (error: unknown) => {
          bar.finish();
          if (interruptedBy) return undefined;
          throw error;
        },
      );
      if (!result) {
        process.stderr.write(`${name}: interrupted by ${interruptedBy}; ${dest}.partial is kept, run the same command again to resume.\n`);
        return signalExitCode(interruptedBy!);
      }
      bar.finish();
      process.stderr.write(
        `${name}: ${formatBytes(result.bytes)}${result.resumedFrom ? `, resumed from ${formatBytes(result.resumedFrom)}` : ""}, sha256 ${result.sha256} ${result.verified ? "(verified)" : "(not verified: the server advertised no checksum)"}\n`,
      );
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const first = join(out, decodeURIComponent(basename(new URL(urls[0]).pathname)));
  process.stdout.write(`${first}\n`);
  process.stderr.write(`Serve it with: gpt-oss serve --model ${first}\n`);
  return EXIT_OK;
}
