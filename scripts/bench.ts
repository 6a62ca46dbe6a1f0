/**
 * Prefill and decode throughput of this package's addon and library next to llama.cpp's own llama-bench (built from
 * the same vendored tree with -march=native: the fastest llama.cpp this machine runs) and node-llama-cpp's prebuilt
 * binary, on the same model in the same run, with the ratios to llama-bench; then the server (`gpt-oss serve`, one
 * stream and 8 streams at once) against llama-server built the same way (scripts/bench/server.ts). Optionally
 * (--prefix-reuse) the follow-up-turn time of the library API against a cold prefill.
 *
 *   npm run bench -- [--model PATH | --layers 24] [--threads 2] [--prompt 512] [--gen 128] [--reps 3] [--json] ...
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
import { buildLlamaTools } from "./build-llama-tools.mjs";
import { benchLlamaBench } from "./bench/llama-bench.js";
import { runInChild } from "./bench/child.js";
import { ensureBenchModel } from "./bench/fixture.js";
import { parseBenchOptions, USAGE, UsageError, type BenchOptions } from "./bench/options.js";
import { PREFIX_REUSE_TARGET, type PrefixReuseResult } from "./bench/prefix-reuse.js";
import { buildReport, finishMachineInfo, formatReport, formatServerReport, machineInfo } from "./bench/report.js";
import { benchGptOssServer, benchLlamaServer, type ServerBenchSettings, type ServerResult } from "./bench/server.js";
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

/** The llama.cpp tools of one build, and how it was built. */
interface LlamaTools {
  benchPath: string;
  serverPath: string;
  build: string;
}

/**
 * The fastest llama.cpp build that runs here: -march=native, unless a short run of its llama-bench dies on an
 * illegal instruction; then every CPU feature but those that may fault.
 */
function fastestLlamaTools(settings: BenchSettings): LlamaTools {
  const native = buildLlamaTools();
  const probe = spawnSync(native.benchPath, ["-m", settings.modelPath, "-t", String(settings.threads), "-p", "16", "-n", "2", "-r", "1"], { stdio: "ignore" });
  if (probe.signal !== "SIGILL") return { ...native, build: "-march=native" };
  log(`the -march=native llama-bench died with SIGILL: the reference is built with every CPU feature but ${MAY_FAULT.join(", ")}`);
  return { ...buildLlamaTools({ without: MAY_FAULT }), build: `native features minus ${MAY_FAULT.join(", ")}` };
}

/**
 * The server rows: gpt-oss serve and llama-server, `rounds` times each, interleaved (order reversed every other
 * round). Returns each server's rounds.
 */
async function benchServers(reference: LlamaTools, settings: ServerBenchSettings, rounds: number): Promise<ServerResult[][]> {
  const servers = [
    { name: "gpt-oss-node server", run: (round: number) => benchGptOssServer(settings, round) },
    { name: "llama-server", run: (round: number) => benchLlamaServer(reference.serverPath, reference.build, settings, round) },
  ];
  const results: ServerResult[][] = servers.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 0 ? [1, 0] : [0, 1];
    for (const i of order) {
      log(`${servers[i]!.name}${rounds > 1 ? ` (round ${round}/${rounds})` : ""}`);
      results[i]!.push(await servers[i]!.run(round));
    }
  }
  return results;
}

async function main(options: BenchOptions): Promise<void> {
  const settings: BenchSettings = {
    modelPath: options.model ?? (await ensureBenchModel(log, "random", "20b", options.layers)),
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
  const reference = options.skipLlamaBench && options.skipServer ? undefined : fastestLlamaTools(settings);
  if (reference && !options.skipLlamaBench) {
    engines.push({ name: "llama-bench", run: () => benchLlamaBench(reference.benchPath, settings, reference.build) });
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
  const servers = reference && !options.skipServer
    ? await benchServers(reference, { modelPath: settings.modelPath, threads: settings.threads, gen: settings.gen, reps: settings.reps }, options.rounds)
    : undefined;
  let prefixReuse: PrefixReuseResult | undefined;
  if (options.prefixReuse) {
    log(`prefix reuse on a ${options.history}-token history`);
    prefixReuse = await runInChild<PrefixReuseResult>({ task: "prefix-reuse", settings, historyTokens: options.history });
  }

  const report = buildReport(finishMachineInfo(machine), settings, results, rounds);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...report, servers, prefixReuse }, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${formatReport(report)}\n`);
    if (servers) process.stdout.write(`\n${formatServerReport(servers, report)}\n`);
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
