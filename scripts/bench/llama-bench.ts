// llama.cpp's own llama-bench (built from vendor/llama.cpp by scripts/build-llama-tools.mjs), run with every
// setting that matters spelled out so its defaults at the pinned commit cannot drift away from ours.
import { spawn } from "node:child_process";
import type { BenchSettings, EngineResult, Throughput } from "./types.js";

/** One test as llama-bench's JSON printer writes it (the fields read here). */
interface LlamaBenchTest {
  build_commit: string;
  n_prompt: number;
  n_gen: number;
  n_threads: number;
  n_batch: number;
  n_ubatch: number;
  avg_ts: number;
  stddev_ts: number;
  samples_ts: number[];
}

/** The engine name of llama-bench's results: the reference every ratio divides by. */
export const LLAMA_BENCH_ENGINE = "llama-bench";

/** The exact command line: llama-bench's defaults made explicit (it runs its own warmup first). */
export function llamaBenchArgs(settings: BenchSettings): string[] {
  return [
    "-m", settings.modelPath,
    "-t", String(settings.threads),
    "-p", String(settings.prompt),
    "-n", String(settings.gen),
    "-r", String(settings.reps),
    "-b", String(settings.batchSize),
    "-ub", String(settings.ubatchSize),
    "-fa", settings.flashAttention,
    "-ctk", "f16",
    "-ctv", "f16",
    "-ngl", "0",
    "-o", "json",
    "--progress",
  ];
}

function runJson(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      for (const line of chunk.split("\n")) if (line.startsWith("llama-bench: benchmark")) process.stderr.write(`  ${line}\n`);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`llama-bench exited with ${code}:\n${stderr.slice(-4000)}`));
    });
  });
}

function toThroughput(test: LlamaBenchTest, tokens: number): Throughput {
  return { tokens, avgTokensPerSecond: test.avg_ts, stddevTokensPerSecond: test.stddev_ts, samples: test.samples_ts };
}

/**
 * Runs llama-bench (`binary`, from scripts/build-llama-tools.mjs, built as `build` says) and returns its prefill (pp)
 * and decode (tg) results.
 */
export async function benchLlamaBench(binary: string, settings: BenchSettings, build: string): Promise<EngineResult> {
  const tests = JSON.parse(await runJson(binary, llamaBenchArgs(settings))) as LlamaBenchTest[];
  const pp = tests.find((t) => t.n_prompt === settings.prompt && t.n_gen === 0);
  const tg = tests.find((t) => t.n_prompt === 0 && t.n_gen === settings.gen);
  if (!pp || !tg) throw new Error(`llama-bench output lacks the pp${settings.prompt}/tg${settings.gen} tests`);
  for (const test of [pp, tg]) {
    if (test.n_threads !== settings.threads || test.n_batch !== settings.batchSize || test.n_ubatch !== settings.ubatchSize) {
      throw new Error(`llama-bench ran with threads ${test.n_threads}, batch ${test.n_batch}, ubatch ${test.n_ubatch}: not the settings asked for`);
    }
  }
  return {
    engine: LLAMA_BENCH_ENGINE,
    version: `llama.cpp ${pp.build_commit}, ${build}`,
    prefill: toThroughput(pp, settings.prompt),
    decode: toThroughput(tg, settings.gen),
  };
}
