// Command-line options of scripts/bench.ts, validated with one uniform message.
import { parseArgs } from "node:util";
import { BENCH_LAYERS } from "./fixture.js";

export const USAGE = `usage: npm run bench -- [options]
  --model PATH            GGUF to run (default: ${"`.fixtures/bench-20b-L4.gguf`"}, generated on first use:
                          a synthetic model of gpt-oss-20b geometry with 4 layers, ~3 GB)
  --layers N              layers of the generated default model (default ${BENCH_LAYERS}; 24 = the full gpt-oss-20b
                          geometry, ~12 GB, .fixtures/bench-20b-L24.gguf)
  --threads N             CPU threads for every engine (default 2)
  --prompt N              prefill test length, llama-bench -p (default 512)
  --gen N                 decode test length, llama-bench -n (default 128)
  --reps N                timed repetitions per test, llama-bench -r (default 3)
  --rounds N              run every engine N times, interleaved (order reversed every other round);
                          ratios to llama-bench are paired by round, with a 95% confidence interval
                          from 2 rounds on: evens out load from other work on a shared machine (default 1)
  --batch N               logical batch, llama-bench -b (default 2048, llama-bench's default)
  --ubatch N              micro-batch, llama-bench -ub (default 512, llama-bench's default)
  --flash-attn auto|on|off  llama-bench -fa (default auto, llama-bench's default)
  --skip-llama-bench      do not build/run llama-bench (no ratios then)
  --skip-node-llama-cpp   do not run node-llama-cpp
  --skip-library          do not run the library row (loadModel + chat/stream)
  --skip-server           do not run the server rows (gpt-oss serve and llama-server, 1 and 8 streams)
  --prefix-reuse          also time a follow-up turn on a long history against its cold prefill
  --history N             history length of --prefix-reuse in tokens (default 4096)
  --json                  print the results as JSON instead of tables`;

export interface BenchOptions {
  model: string | undefined;
  layers: number;
  threads: number;
  prompt: number;
  gen: number;
  reps: number;
  rounds: number;
  batch: number;
  ubatch: number;
  flashAttention: "auto" | "on" | "off";
  skipLlamaBench: boolean;
  skipNodeLlamaCpp: boolean;
  skipLibrary: boolean;
  skipServer: boolean;
  prefixReuse: boolean;
  history: number;
  json: boolean;
}

export class UsageError extends Error {}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`Expected integer between ${min} and ${max} for --${name} but received ${JSON.stringify(text)}`);
  }
  return value;
}

/** Parses and validates argv (without node and the script). */
export function parseBenchOptions(argv: string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        model: { type: "string" },
        layers: { type: "string", default: String(BENCH_LAYERS) },
        threads: { type: "string", default: "2" },
        prompt: { type: "string", default: "512" },
        gen: { type: "string", default: "128" },
        reps: { type: "string", default: "3" },
        rounds: { type: "string", default: "1" },
        batch: { type: "string", default: "2048" },
        ubatch: { type: "string", default: "512" },
        "flash-attn": { type: "string", default: "auto" },
        "skip-llama-bench": { type: "boolean", default: false },
        "skip-node-llama-cpp": { type: "boolean", default: false },
        "skip-library": { type: "boolean", default: false },
        "skip-server": { type: "boolean", default: false },
        "prefix-reuse": { type: "boolean", default: false },
        history: { type: "string", default: "4096" },
        json: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const flashAttention = values["flash-attn"];
  if (flashAttention !== "auto" && flashAttention !== "on" && flashAttention !== "off") {
    throw new UsageError(`Expected one of auto, on, off for --flash-attn but received ${JSON.stringify(flashAttention)}`);
  }
  const options: BenchOptions = {
    model: values.model,
    layers: integer("layers", values.layers, 1, 24),
    threads: integer("threads", values.threads, 1, 512),
    prompt: integer("prompt", values.prompt, 1, 65536),
    gen: integer("gen", values.gen, 1, 65536),
    reps: integer("reps", values.reps, 1, 1000),
    rounds: integer("rounds", values.rounds, 1, 100),
    batch: integer("batch", values.batch, 1, 65536),
    ubatch: integer("ubatch", values.ubatch, 1, 65536),
    flashAttention,
    skipLlamaBench: values["skip-llama-bench"],
    skipNodeLlamaCpp: values["skip-node-llama-cpp"],
    skipLibrary: values["skip-library"],
    skipServer: values["skip-server"],
    prefixReuse: values["prefix-reuse"],
    history: integer("history", values.history, 64, 131072),
    json: values.json,
  };
  if (options.prompt > options.batch) {
    throw new UsageError(`--prompt (${options.prompt}) must not exceed --batch (${options.batch}): the addon prefills in one decode() call`);
  }
  return options;
}
