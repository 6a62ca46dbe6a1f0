// What the benchmark prints: machine facts, one table of engines with their ratios to llama-bench, and one of the
// servers with their ratios to llama-server.
import { readFileSync, statSync } from "node:fs";
import { cpus, loadavg, release } from "node:os";
import { basename, join } from "node:path";
import { PACKAGE_ROOT } from "../../src/native/index.js";
import { LLAMA_BENCH_ENGINE } from "./llama-bench.js";
import { pairedRatio, type PairedRatio } from "./stats.js";
import type { ServerResult } from "./server.js";
import { ADDON_ENGINE, throughputFromSamples, type BenchSettings, type EngineResult, type StepBreakdown, type Throughput } from "./types.js";

export interface MachineInfo {
  cpu: string;
  /** SIMD and matrix flags the CPU reports (sse4*, avx*, amx*, fma, f16c, bmi2). */
  cpuFlags: string;
  logicalCores: number;
  os: string;
  node: string;
  /** llama.cpp commit pinned in vendor/pin.json. */
  llamaCppCommit: string;
  /** 1-minute load averages when the run started and ended (other work on the machine skews every engine). */
  loadAverage: { start: number; end: number };
}

/**
 * An engine's tokens/s over llama-bench's: paired by round (the geometric mean of each round's ratio of mean
 * tok/s, with its 95% confidence interval), and of the best repetitions.
 */
export interface Ratios {
  prefill: PairedRatio;
  decode: PairedRatio;
  /** Best repetition over llama-bench's best: on a shared machine other work only ever slows a repetition down. */
  bestPrefill: number;
  bestDecode: number;
}

export interface BenchReport {
  machine: MachineInfo;
  settings: Omit<BenchSettings, "promptTokens"> & { rounds: number; modelBytes: number };
  results: Array<EngineResult & { vsLlamaBench?: Ratios }>;
}

/** The CPU's SIMD and matrix flags (what decides which CPU code is fastest and which may run), from /proc/cpuinfo. */
function simdFlags(): string {
  try {
    const line = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "";
    return line.trim().split(/\s+/).filter((f) => /^(sse4|avx|amx|fma|f16c|bmi2)/.test(f)).join(" ") || "none reported";
  } catch {
    return "unknown (no /proc/cpuinfo)";
  }
}

export function machineInfo(): MachineInfo {
  const pin = JSON.parse(readFileSync(join(PACKAGE_ROOT, "vendor", "pin.json"), "utf8")) as { commit: string };
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cpuFlags: simdFlags(),
    logicalCores: cpus().length,
    os: `${process.platform}-${process.arch} ${release()}`,
    node: process.version,
    llamaCppCommit: pin.commit,
    loadAverage: { start: loadavg()[0]!, end: Number.NaN },
  };
}

/** Records the load average at the end of the run. */
export function finishMachineInfo(machine: MachineInfo): MachineInfo {
  return { ...machine, loadAverage: { ...machine.loadAverage, end: loadavg()[0]! } };
}

const best = (t: Throughput): number => Math.max(...t.samples);

/**
 * Adds each engine's ratio to llama-bench (when llama-bench ran). `rounds[e][k]` is engine e's result in round k
 * (the engines in the order of `results`); `results[e]` is the merge of its rounds.
 */
export function buildReport(machine: MachineInfo, settings: BenchSettings, results: EngineResult[], rounds: EngineResult[][]): BenchReport {
  const referenceIndex = results.findIndex((r) => r.engine === LLAMA_BENCH_ENGINE);
  const reference = results[referenceIndex];
  const { promptTokens: _, ...rest } = settings;
  const perRound = (e: number, pick: (r: EngineResult) => Throughput) => rounds[e]!.map((r) => pick(r).avgTokensPerSecond);
  return {
    machine,
    settings: { ...rest, rounds: rounds[0]?.length ?? 0, modelBytes: statSync(settings.modelPath).size },
    results: results.map((r, e) => reference
      ? {
        ...r,
        vsLlamaBench: {
          prefill: pairedRatio(perRound(e, (x) => x.prefill), perRound(referenceIndex, (x) => x.prefill)),
          decode: pairedRatio(perRound(e, (x) => x.decode), perRound(referenceIndex, (x) => x.decode)),
          bestPrefill: best(r.prefill) / best(reference.prefill),
          bestDecode: best(r.decode) / best(reference.decode),
        },
      }
      : r),
  };
}

const rate = (t: Throughput): string =>
  `${t.avgTokensPerSecond.toFixed(2)} ± ${t.stddevTokensPerSecond.toFixed(2)} (best ${best(t).toFixed(2)})`;
function ratio(paired: PairedRatio | undefined, peak: number | undefined): string {
  if (paired === undefined || peak === undefined) return "-";
  const interval = paired.low === undefined ? "" : `95% CI ${paired.low.toFixed(3)}–${paired.high!.toFixed(3)}; `;
  return `${paired.ratio.toFixed(3)}× (${interval}best ${peak.toFixed(3)}×)`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** One decode step of an engine that can tell where its time went: the bridge is all it adds to llama.cpp's compute. */
function formatStep(engine: string, step: StepBreakdown): string {
  const wall = step.computeMs + step.sampleMs + step.bridgeMs;
  const share = (ms: number) => `${((100 * ms) / wall).toFixed(2)}%`;
  return `${engine} per decode step: ${step.computeMs.toFixed(2)} ms in llama_decode, ` +
    `${step.sampleMs.toFixed(3)} ms sampling (${share(step.sampleMs)}), ` +
    `${step.bridgeMs.toFixed(3)} ms bridge: N-API, thread hand-offs, JS (${share(step.bridgeMs)})`;
}

/** The report as text: settings, machine, and the comparison table (markdown). */
export function formatReport(report: BenchReport): string {
  const { machine, settings } = report;
  const gib = (settings.modelBytes / 2 ** 30).toFixed(2);
  const lines = [
    `model    ${basename(settings.modelPath)} (${gib} GiB)`,
    `cpu      ${machine.cpu}, ${machine.logicalCores} logical cores, load average ${machine.loadAverage.start.toFixed(2)} at start, ${machine.loadAverage.end.toFixed(2)} at end`,
    `flags    ${machine.cpuFlags}`,
    `system   ${machine.os}, Node ${machine.node}, llama.cpp ${machine.llamaCppCommit.slice(0, 12)}`,
    `settings threads ${settings.threads}, prefill pp${settings.prompt}, decode tg${settings.gen}, ` +
      `reps ${settings.reps} × rounds ${settings.rounds}, ` +
      `batch ${settings.batchSize}, ubatch ${settings.ubatchSize}, flash-attn ${settings.flashAttention}, KV f16`,
    "",
    table(
      ["engine", `prefill tok/s (pp${settings.prompt})`, `decode tok/s (tg${settings.gen})`, "prefill vs llama-bench", "decode vs llama-bench"],
      report.results.map((r) => {
        const vs = r.vsLlamaBench;
        if (r.engine === LLAMA_BENCH_ENGINE) return [r.engine, rate(r.prefill), rate(r.decode), "reference", "reference"];
        return [r.engine, rate(r.prefill), rate(r.decode), ratio(vs?.prefill, vs?.bestPrefill), ratio(vs?.decode, vs?.bestDecode)];
      }),
    ),
    "",
    "tok/s: mean ± sample stddev over every repetition (llama-bench's avg_ts). Ratios: each round's ratio of mean tok/s",
    "(engines interleaved, order reversed every other round), their geometric mean and 95% confidence interval over the",
    "rounds; and the ratio of the best repetitions (other work on a shared machine only slows repetitions down).",
    ...report.results.map((r) => `${r.engine}: ${r.version}`),
    ...report.results.flatMap((r) => (r.decodeStep ? [formatStep(r.engine, r.decodeStep)] : [])),
  ];
  return lines.join("\n");
}

const mean = (xs: readonly number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
const meanSd = (xs: readonly number[], digits: number) => {
  const t = throughputFromSamples(0, xs);
  return `${t.avgTokensPerSecond.toFixed(digits)} ± ${t.stddevTokensPerSecond.toFixed(digits)}`;
};

/**
 * The servers' table (`servers[0]`: gpt-oss-node, `servers[1]`: llama-server; each a list of rounds) and the ratios
 * the targets are stated in: gpt-oss-node's server against llama-server (paired by round) and its one stream
 * against the addon's decode in the engines' table.
 */
export function formatServerReport(servers: readonly ServerResult[][], report: BenchReport): string {
  const all = (rounds: readonly ServerResult[], pick: (r: ServerResult) => number[]) => rounds.flatMap(pick);
  const rows = servers.map((rounds) => {
    const first = rounds[0]!;
    return [
      first.engine,
      `${first.oneStream.promptTokens} / ${first.concurrent.promptTokens}`,
      meanSd(all(rounds, (r) => r.oneStream.decodeTokensPerSecond), 2),
      meanSd(all(rounds, (r) => r.oneStream.ttftMs), 0),
      meanSd(all(rounds, (r) => r.concurrent.aggregateTokensPerSecond), 2),
      meanSd(all(rounds, (r) => r.concurrent.ttftP50Ms), 0),
    ];
  });
  const [ours, reference] = servers;
  const lines = [
    table(["server", "prompt tokens (1 / 8)", `1 stream decode tok/s`, "1 stream TTFT ms", `${ours![0]!.concurrent.streams} streams aggregate tok/s`, `${ours![0]!.concurrent.streams} streams TTFT p50 ms`], rows),
    "",
  ];
  if (ours && reference) {
    const perRound = (rounds: readonly ServerResult[], pick: (r: ServerResult) => number[]) => rounds.map((r) => mean(pick(r)));
    const vs = (pick: (r: ServerResult) => number[]) => {
      const paired = pairedRatio(perRound(ours, pick), perRound(reference, pick));
      return `${paired.ratio.toFixed(3)}×${paired.low === undefined ? "" : ` (95% CI ${paired.low.toFixed(3)}–${paired.high!.toFixed(3)})`}`;
    };
    lines.push(`${ours[0]!.engine} vs ${reference[0]!.engine}: 1 stream decode ${vs((r) => r.oneStream.decodeTokensPerSecond)}, ` +
      `${ours[0]!.concurrent.streams} streams aggregate ${vs((r) => r.concurrent.aggregateTokensPerSecond)}`);
  }
  const addon = report.results.find((r) => r.engine === ADDON_ENGINE);
  if (ours && addon) {
    const oneStream = mean(all(ours, (r) => r.oneStream.decodeTokensPerSecond));
    lines.push(`${ours[0]!.engine} 1 stream decode vs the addon's tg${report.settings.gen}: ${(oneStream / addon.decode.avgTokensPerSecond).toFixed(3)}×`);
  }
  lines.push(
    "Same prompt tokens for both servers (gpt-oss-node: chat route, reasoning off; llama-server: that rendered text on",
    "/v1/completions), greedy, max_tokens = the decode length; 1 stream: requests one after another; 8 streams: at once.",
    ...servers.map((rounds) => `${rounds[0]!.engine}: ${rounds[0]!.version}`),
  );
  return lines.join("\n");
}
