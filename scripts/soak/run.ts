/**
 * The soak test (`scripts/soak.ts`, bounded in test/server/soak.test.ts): starts `gpt-oss serve` as a process and
 * keeps N streaming clients busy for a while — some hang up at random points (before the first token, mid-reasoning,
 * mid-tool-call), some read slowly, some ask for a tool call with `tool_choice: "required"` — then checks that every
 * finished stream was well formed, that the server is back to 0 active requests with only idle prefix caches in its
 * KV pool, and how its RSS moved.
 */
import { fileURLToPath } from "node:url";
import { Prng } from "../../src/fixture/prng.js";
import { rssKb, startServerProcess, type ServerProcess } from "../server-process.js";
import { runStream, type StreamOutcome } from "./sse-client.js";

export interface SoakOptions {
  model: string;
  /** Concurrent clients (default 64). */
  streams?: number;
  durationMs: number;
  /** Share of requests that hang up early (default 0.3). */
  disconnect?: number;
  /** Share of requests read slowly (default 0.15). */
  slowReaders?: number;
  /** RSS sample interval (default 60000 ms: one sample a minute). */
  sampleEveryMs?: number;
  /** Sequences generating at once (`--parallel`, default 4). */
  parallel?: number;
  /** Seed of the random choices (default: the time). */
  seed?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface SoakReport {
  requests: number;
  disconnected: number;
  malformed: string[];
  byStatus: Map<number, number>;
  /** VmRSS samples in kB, one per interval, the last taken at the end. */
  rssKb: number[];
  activeAfter: number;
  kvCellsAfter: number;
  /** Upper bound of the KV cells idle prefix caches may hold: slots × the largest request seen. */
  kvCellsAllowed: number;
  healthAfter: string;
  /** Whether a request sent after the soak succeeded. */
  servesAfter: boolean;
}

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const CONTEXT_SIZE = 4096;
const WEATHER_TOOL = {
  type: "function",
  function: { name: "get_weather", description: "Current weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};

/** Runs the soak (see the module comment); resolves with what it saw. The server is stopped at the end. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const streams = options.streams ?? 64;
  const parallel = options.parallel ?? 4;
  const prng = new Prng(options.seed ?? Date.now()); // seeded, so a failing run can be replayed with its seed
  const random = () => prng.nextFloat();
  const log = options.log ?? (() => undefined);
  const server = await startServe(options.model, parallel, streams);
  const report: SoakReport = { requests: 0, disconnected: 0, malformed: [], byStatus: new Map(), rssKb: [], activeAfter: -1, kvCellsAfter: -1, kvCellsAllowed: CONTEXT_SIZE, healthAfter: "", servesAfter: false };
  let largestRequest = 0;
  try {
    const deadline = Date.now() + options.durationMs;
    const sampler = setInterval(() => {
      report.rssKb.push(rssKb(server.pid));
      log(`RSS ${Math.round(report.rssKb.at(-1)! / 1024)} MB after ${report.requests} requests`);
    }, options.sampleEveryMs ?? 60_000);
    const record = (outcome: StreamOutcome) => {
      report.requests++;
      report.byStatus.set(outcome.status, (report.byStatus.get(outcome.status) ?? 0) + 1);
      if (outcome.disconnected) report.disconnected++;
      if (outcome.malformed) report.malformed.push(outcome.malformed);
      if (outcome.tokens) largestRequest = Math.max(largestRequest, outcome.tokens);
    };
    const client = async () => {
      while (Date.now() < deadline) record(await runStream(randomRequest(server.url, random, options)));
    };
    await Promise.all(Array.from({ length: streams }, client));
    clearInterval(sampler);
    report.rssKb.push(rssKb(server.pid));
    await settle(server.url, report);
    if (largestRequest > 0) report.kvCellsAllowed = Math.min(CONTEXT_SIZE, parallel * (largestRequest + 1));
    const after = await runStream({ url: `${server.url}/v1/chat/completions`, body: { messages: [{ role: "user", content: "Still there?" }], max_tokens: 8, stream: true } });
    report.servesAfter = after.status === 200 && !after.malformed;
  } finally {
    await server.stop();
  }
  return report;
}

/** A random streaming request: plain or with a required tool call; some hang up early, some read slowly. */
function randomRequest(serverUrl: string, random: () => number, options: SoakOptions) {
  const withTools = random() < 0.3;
  const body: Record<string, unknown> = {
    messages: [{ role: "user", content: withTools ? "What is the weather in Paris?" : `Tell me about the number ${Math.floor(random() * 1000)}.` }],
    max_tokens: 8 + Math.floor(random() * 40),
    stream: true,
    stream_options: { include_usage: true },
    reasoning_effort: "low",
    ...(withTools && { tools: [WEATHER_TOOL], tool_choice: "required" }),
  };
  const disconnect = random() < (options.disconnect ?? 0.3) ? { afterEvents: Math.floor(random() * 12), afterMs: Math.floor(random() * 1500) } : undefined;
  const readPauseMs = random() < (options.slowReaders ?? 0.15) ? 50 + Math.floor(random() * 200) : undefined;
  return { url: `${serverUrl}/v1/chat/completions`, body, ...(disconnect && { disconnect }), ...(readPauseMs && { readPauseMs }) };
}

/** Waits (up to 15 s) for the server to report no active request, then reads health and metrics. */
async function settle(url: string, report: SoakReport): Promise<void> {
  const started = Date.now();
  do {
    const health = (await (await fetch(`${url}/v1/health`)).json()) as { status: string; active_requests: number };
    report.healthAfter = health.status;
    report.activeAfter = health.active_requests;
    if (report.activeAfter === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() - started < 15_000);
  const metrics = await (await fetch(`${url}/v1/metrics`)).text();
  report.activeAfter = Math.max(report.activeAfter, metricValue(metrics, "gpt_oss_active_requests"));
  report.kvCellsAfter = metricValue(metrics, "gpt_oss_kv_cache_used_cells");
}

/** Sum of a Prometheus metric's samples (every label set). */
function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

/** The checks that failed (empty: the soak passed). */
export function soakFailures(report: SoakReport): string[] {
  const failures: string[] = [];
  if (report.requests === 0) failures.push("no request finished");
  if (report.malformed.length > 0) failures.push(`${report.malformed.length} malformed answer(s), first: ${report.malformed[0]}`);
  const unexpected = [...report.byStatus.keys()].filter((status) => status !== 200 && status !== 503 && !(status === 0 && report.disconnected > 0));
  if (unexpected.length > 0) failures.push(`unexpected statuses: ${unexpected.join(", ")}`);
  if (report.activeAfter !== 0) failures.push(`${report.activeAfter} request(s) still active after the soak`);
  if (report.kvCellsAfter < 0 || report.kvCellsAfter > report.kvCellsAllowed) failures.push(`${report.kvCellsAfter} KV cells used after the soak (idle prefixes allow ${report.kvCellsAllowed})`);
  if (report.healthAfter !== "healthy") failures.push(`health after the soak: ${report.healthAfter}`);
  if (!report.servesAfter) failures.push("a request after the soak failed");
  return failures;
}

/** The report as a Markdown table. */
export function formatSoakTable(report: SoakReport): string {
  const first = report.rssKb[0];
  const last = report.rssKb.at(-1);
  const mb = (kb: number | undefined) => (kb === undefined ? "n/a" : `${(kb / 1024).toFixed(0)} MB`);
  const drift = first && last ? `${(((last - first) / first) * 100).toFixed(1)} %` : "n/a";
  const rows: Array<[string, string]> = [
    ["requests done", String(report.requests)],
    ["disconnected on purpose", String(report.disconnected)],
    ["malformed", String(report.malformed.length)],
    ["by status", [...report.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s === 0 ? "none (hung up)" : s}×${n}`).join(", ")],
    ["RSS first sample / end", `${mb(first)} / ${mb(last)}`],
    ["RSS drift", drift],
    ["active requests after", String(report.activeAfter)],
    ["KV cells used after (idle prefixes, limit)", `${report.kvCellsAfter} (≤ ${report.kvCellsAllowed})`],
    ["health after", report.healthAfter],
    ["request after the soak", report.servesAfter ? "ok" : "failed"],
  ];
  return ["| check | value |", "| --- | --- |", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
}

/** `gpt-oss serve` on a free port; resolves once the model is ready. */
async function startServe(model: string, parallel: number, streams: number): Promise<ServerProcess> {
  return await startServerProcess({
    command: process.execPath,
    args: ["--import", "tsx", CLI, "serve", "--model", model, "--port", "0", "--parallel", String(parallel), "--ctx-size", String(CONTEXT_SIZE), "--max-queue", String(streams)],
    env: { ...process.env, LOG_LEVEL: "warn" },
    url: /listening on (http:\/\/\S+)/,
    healthPath: "/v1/health",
  });
}

