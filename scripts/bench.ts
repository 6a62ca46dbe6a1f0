/**
 * Prefill and decode throughput of this package's addon next to llama.cpp's own llama-bench (built from the same
 * vendored tree with -march=native: the fastest llama.cpp this machine runs) and node-llama-cpp's prebuilt binary, on the same model in the same run, with the ratios
 * to llama-bench. Optionally (--prefix-reuse) the follow-up-turn time of the library API against a cold prefill.
 *
 *   npm run bench -- [--model PATH] [--threads 2] [--prompt 512] [--gen 128] [--reps 3] [--json] ...
 *
 * Protocol (llama-bench's, applied to every engine): prefill = the whole prompt in one decode on an empty cache,
 * logits of the last token; decode = `gen` single-token decodes from an empty cache; one warmup of each, then
 * `reps` timed repetitions; tokens/s is the mean over repetitions of tokens / time (llama-bench's avg_ts).
 * With --rounds N every engine runs N times, interleaved (order reversed every other round); tok/s pools every
 * repetition, and each ratio to llama-bench is the geometric mean of the per-round ratios with a 95% interval.
 * Settings llama-bench defaults are passed explicitly to every engine: batch 2048, ubatch 512, flash attention
 * auto, f16 KV cache, sliding-window layers not kept in full. Each engine runs in a child process of its own.
 */
import { spawnSync } from "node:child_process";
import { buildLlamaBench } from "./build-llama-tools.mjs";
import { benchLlamaBench } from "./bench/llama-bench.js";
import { runInChild } from "./bench/child.js";
import { ensureBenchModel } from "./bench/fixture.js";
import { parseBenchOptions, USAGE, UsageError, type BenchOptions } from "./bench/options.js";
import { PREFIX_REUSE_TARGET, type PrefixReuseResult } from "./bench/prefix-reuse.js";
import { buildReport, finishMachineInfo, formatReport, machineInfo } from "./bench/report.js";
import { mergeRounds, randomPromptTokens, type BenchSettings, type EngineResult } from "./bench/types.js";

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

function formatPrefixReuse(result: PrefixReuseResult): string {
  const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");
  const verdict = result.ratio <= PREFIX_REUSE_TARGET ? "meets" : "misses";
  return [
    `prefix reuse (library API, loadModel + chat, maxTokens 1)`,
    `  cold  ${result.coldPromptTokens} prompt tokens: ${ms(result.coldMs)} ms to the first token`,
    `  warm  follow-up of ${result.warmPromptTokens} prompt tokens, ${result.warmCachedTokens} from the cache: ${ms(result.warmMs)} ms`,
    `  warm / cold = ${result.ratio.toFixed(3)} (${verdict} the ≤ ${PREFIX_REUSE_TARGET} target)`,
  ].join("\n");
}

/** ggml features a CPU may advertise and still fault on (AMX tiles under some hypervisors). */
const MAY_FAULT = ["AMX_TILE", "AMX_INT8", "AMX_BF16"];

/**
 * The fastest llama-bench that runs here: -march=native, unless a short run of it dies on an illegal instruction;
 * then every CPU feature but those that may fault.
 */
function fastestLlamaBench(settings: BenchSettings): { path: string; build: string } {
  const native = buildLlamaBench();
  const probe = spawnSync(native.path, ["-m", settings.modelPath, "-t", String(settings.threads), "-p", "16", "-n", "2", "-r", "1"], { stdio: "ignore" });
  if (probe.signal !== "SIGILL") return { path: native.path, build: "-march=native" };
  log(`the -march=native llama-bench died with SIGILL: the reference is built with every CPU feature but ${MAY_FAULT.join(", ")}`);
  return { path: buildLlamaBench({ without: MAY_FAULT }).path, build: `native features minus ${MAY_FAULT.join(", ")}` };
}

async function main(options: BenchOptions): Promise<void> {
  const settings: BenchSettings = {
    modelPath: options.model ?? (await ensureBenchModel(log)),
    threads: options.threads,
    prompt: options.prompt,
    gen: options.gen,
    reps: options.reps,
    batchSize: options.batch,
    ubatchSize: options.ubatch,
    flashAttention: options.flashAttention,
    promptTokens: randomPromptTokens(options.prompt),
  };
  const machine = machineInfo();
  const engines: Array<{ name: string; run: () => Promise<EngineResult> }> = [];
  if (!options.skipLlamaBench) {
    const reference = fastestLlamaBench(settings);
    engines.push({ name: "llama-bench", run: () => benchLlamaBench(reference.path, settings, reference.build) });
  }
  engines.push({ name: "gpt-oss-node addon", run: () => runInChild<EngineResult>({ task: "addon", settings }) });
  if (!options.skipLibrary) {
    engines.push({ name: "gpt-oss-node library", run: () => runInChild<EngineResult>({ task: "library", settings }) });
  }
  if (!options.skipNodeLlamaCpp) {
    engines.push({ name: "node-llama-cpp", run: () => runInChild<EngineResult>({ task: "node-llama-cpp", settings }) });
  }
  // Interleaved rounds, the order reversed every other round (ABBA...): a drift of the machine's speed during a
  // round then favors no engine on average.
  const rounds: EngineResult[][] = engines.map(() => []);
  for (let round = 1; round <= options.rounds; round++) {
    const order = engines.map((_, i) => i);
    if (round % 2 === 0) order.reverse();
    for (const i of order) {
      const engine = engines[i]!;
      log(`${engine.name}${options.rounds > 1 ? ` (round ${round}/${options.rounds})` : ""}`);
      rounds[i]!.push(await engine.run());
    }
  }
  const results = rounds.map((engineRounds) => mergeRounds(engineRounds));
  let prefixReuse: PrefixReuseResult | undefined;
  if (options.prefixReuse) {
    log(`prefix reuse on a ${options.history}-token history`);
    prefixReuse = await runInChild<PrefixReuseResult>({ task: "prefix-reuse", settings, historyTokens: options.history });
  }

  const report = buildReport(finishMachineInfo(machine), settings, results, rounds);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...report, prefixReuse }, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${formatReport(report)}\n`);
    if (prefixReuse) process.stdout.write(`\n${formatPrefixReuse(prefixReuse)}\n`);
  }
}

let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message}\n${USAGE}\n`);
  process.exit(2);
}
main(options).catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
