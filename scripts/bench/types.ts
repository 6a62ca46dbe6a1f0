// Shared shapes of the benchmark (scripts/bench.ts) and the statistics llama-bench reports.
import { Prng } from "../../src/fixture/prng.js";
import { FIRST_SPECIAL_ID } from "../../src/tokenizer/special-tokens.js";

/** One configuration, applied identically to every engine. */
export interface BenchSettings {
  modelPath: string;
  threads: number;
  /** Prompt length of the prefill test (llama-bench `-p`). */
  prompt: number;
  /** Tokens of the decode test (llama-bench `-n`). */
  gen: number;
  reps: number;
  /** Logical batch (llama-bench `-b`, its default 2048). */
  batchSize: number;
  /** Physical micro-batch (llama-bench `-ub`, its default 512). */
  ubatchSize: number;
  /** Flash attention (llama-bench `-fa`, its default "auto"). */
  flashAttention: "auto" | "on" | "off";
  /** The prompt of the prefill test; its first token also starts the decode test. */
  promptTokens: number[];
}

/** Throughput of one test over `reps` timed repetitions, computed as llama-bench does. */
export interface Throughput {
  /** Tokens per repetition. */
  tokens: number;
  /** Mean of the per-repetition tokens/s (llama-bench `avg_ts`). */
  avgTokensPerSecond: number;
  /** Sample standard deviation of the per-repetition tokens/s (llama-bench `stddev_ts`). */
  stddevTokensPerSecond: number;
  /** Tokens/s of each repetition. */
  samples: number[];
}

/** Where the wall time of one decode step went, in milliseconds (the addon reports it; other engines cannot). */
export interface StepBreakdown {
  /** Inside llama_decode: the model's compute, the same code llama-bench runs. */
  computeMs: number;
  sampleMs: number;
  /** The rest: N-API, thread hand-offs and the JavaScript loop. */
  bridgeMs: number;
}

export interface EngineResult {
  engine: string;
  /** Version or build of the engine, as it reports it. */
  version: string;
  prefill: Throughput;
  decode: Throughput;
  /** Mean over the timed decode steps. */
  decodeStep?: StepBreakdown;
}

export type EngineName = "addon" | "library" | "node-llama-cpp";

/** The addon's row in the report (the server's one-stream target is stated against it). */
export const ADDON_ENGINE = "gpt-oss-node (addon)";

/** Work the benchmark hands to a child process (one per engine, see child.ts). */
export type ChildTask =
  | { task: EngineName; settings: BenchSettings }
  | { task: "prefix-reuse"; settings: BenchSettings; historyTokens: number };

/** The child's answer: its result or the failure. */
export type ChildReply<T> = { ok: true; result: T } | { ok: false; error: string };

/** llama-bench's statistics from per-repetition durations in nanoseconds. */
export function throughputFromDurations(tokens: number, durationsNs: readonly number[]): Throughput {
  return throughputFromSamples(tokens, durationsNs.map((ns) => (1e9 * tokens) / ns));
}

/** llama-bench's statistics (mean, sample standard deviation) of per-repetition tokens/s. */
export function throughputFromSamples(tokens: number, samples: readonly number[]): Throughput {
  const mean = samples.reduce((sum, x) => sum + x, 0) / samples.length;
  const variance = samples.length < 2 ? 0 : samples.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (samples.length - 1);
  return { tokens, avgTokensPerSecond: mean, stddevTokensPerSecond: Math.sqrt(variance), samples: [...samples] };
}

/** One engine's results of several rounds as one: every repetition of every round counts once. */
export function mergeRounds<T extends EngineResult>(rounds: readonly T[]): T {
  const merge = (pick: (r: T) => Throughput) =>
    throughputFromSamples(pick(rounds[0]!).tokens, rounds.flatMap((r) => pick(r).samples));
  const steps = rounds.flatMap((r) => (r.decodeStep ? [r.decodeStep] : []));
  const mean = (pick: (b: StepBreakdown) => number) => steps.reduce((sum, b) => sum + pick(b), 0) / steps.length;
  const decodeStep = steps.length === 0
    ? undefined
    : { computeMs: mean((b) => b.computeMs), sampleMs: mean((b) => b.sampleMs), bridgeMs: mean((b) => b.bridgeMs) };
  return { ...rounds[0]!, prefill: merge((r) => r.prefill), decode: merge((r) => r.decode), decodeStep };
}

/** Reproducible prompt ids drawn from the ordinary (non-special) part of the vocabulary. */
export function randomPromptTokens(count: number, seed = 42): number[] {
  const prng = new Prng(seed);
  return Array.from({ length: count }, () => prng.nextInt(FIRST_SPECIAL_ID));
}

/** Monotonic clock in nanoseconds (as a number: durations here are far below 2^53 ns). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}
