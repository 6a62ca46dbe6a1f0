/**
 * The server rows of the benchmark: `gpt-oss serve` and llama.cpp's `llama-server` (built from the same vendored
 * tree as llama-bench, see scripts/build-llama-tools.mjs), each a process of its own with 8 parallel slots sharing
 * one KV pool of the same size, the same threads and model, asked the same streamed requests (greedy, `max_tokens` =
 * the decode length, usage in the last chunk). Every request has a prompt of its own, so each one prefills.
 *
 * The same prompts, token for token: gpt-oss-node gets a chat request with reasoning off (`reasoning: {enabled:
 * false}`: it renders the harmony prompt and writes the `final` header itself); llama-server gets that very text —
 * the harmony rendering and the `<|channel|>final<|message|>` header — on /v1/completions. (Its chat route cannot be
 * used: its gpt-oss output parser rejects a random-weights model's text with a 500.) So llama-server streams raw
 * tokens while gpt-oss-node also parses harmony and shapes chat chunks: the reference does less work per token.
 *
 * - one stream: requests one after another; decode tok/s of a stream = (completion tokens − 1) / (time of its last
 *   text chunk − time of its first), averaged over the requests; TTFT = from sending to the first text chunk.
 * - 8 streams: 8 requests at once; aggregate tok/s = every completion token / (last end − start); TTFT p50 over
 *   the 8 streams.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Prng } from "../../src/fixture/prng.js";
import { assistantHeaderParts, renderChatPrompt } from "../../src/harmony/index.js";
import { freePort, startServerProcess, type ServerProcess } from "../server-process.js";

export const SERVER_STREAMS = 8;

export interface ServerBenchSettings {
  modelPath: string;
  threads: number;
  /** Completion tokens asked of every request (`max_tokens`). */
  gen: number;
  /** Repetitions of each test (one-stream requests; 8-stream bursts). */
  reps: number;
}

export interface StreamTiming {
  promptTokens: number;
  completionTokens: number;
  ttftMs: number;
  /** (completion tokens − 1) / (last text chunk − first text chunk), 0 with fewer than two text chunks. */
  decodeTokensPerSecond: number;
}

export interface ServerResult {
  engine: string;
  version: string;
  oneStream: { decodeTokensPerSecond: number[]; ttftMs: number[]; promptTokens: number };
  concurrent: { streams: number; aggregateTokensPerSecond: number[]; ttftP50Ms: number[]; promptTokens: number };
}

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
/** KV pool of both servers: 8 slots × (a ~150-token prompt + the completion), rounded up generously. */
const contextSize = (gen: number) => SERVER_STREAMS * (512 + gen);

/** Word list of the prompts: ordinary English, so both tokenizers see ordinary text. */
const WORDS = "the a river mountain city engine quiet bright measure window garden letter morning winter travel story number simple carry market under between follow before after system village doctor paper circle stone music".split(" ");

/** Prompt `index`: a question with ~100 words of context, different for every index. */
export function serverPrompt(index: number): string {
  const prng = new Prng(1000 + index);
  const words = Array.from({ length: 100 }, () => WORDS[prng.nextInt(WORDS.length)]!);
  return `Request ${index}. Summarize this note in one paragraph: ${words.join(" ")}.`;
}

/** How to ask one server for a completion of a prompt. */
interface Target {
  url: string;
  path: string;
  body(prompt: string, gen: number): Record<string, unknown>;
}

/** gpt-oss-node: the chat route, reasoning off (the engine writes the `final` header). */
const chatTarget = (url: string, model: string): Target => ({
  url,
  path: "/v1/chat/completions",
  body: (prompt, gen) => ({ model, messages: [{ role: "user", content: prompt }], reasoning: { enabled: false }, max_tokens: gen }),
});

/** llama-server: the same tokens as text (harmony prompt + final header) on the raw completion route. */
const completionTarget = (url: string): Target => ({
  url,
  path: "/v1/completions",
  body: (prompt, gen) => ({
    prompt: renderChatPrompt([{ role: "user", content: prompt }], { defaultReasoningEffort: "medium" }).renderText() + assistantHeaderParts("final").renderText(),
    max_tokens: gen,
  }),
});

/** One streamed completion, timed. */
async function timedStream(target: Target, prompt: string, gen: number): Promise<StreamTiming> {
  const sent = performance.now();
  const response = await fetch(`${target.url}${target.path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...target.body(prompt, gen), temperature: 0, stream: true, stream_options: { include_usage: true } }),
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  const decoder = new TextDecoder();
  let buffered = "";
  let first = 0;
  let last = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  for await (const bytes of response.body!) {
    buffered += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line.startsWith("data:") || line === "data: [DONE]") continue;
      const chunk = JSON.parse(line.slice(5)) as {
        choices?: Array<{ text?: string; delta?: { content?: string | null } }>;
        usage?: { prompt_tokens: number; completion_tokens: number } | null;
      };
      const choice = chunk.choices?.[0];
      if (choice?.text || choice?.delta?.content) {
        last = performance.now();
        if (first === 0) first = last;
      }
      if (chunk.usage) ({ prompt_tokens: promptTokens, completion_tokens: completionTokens } = chunk.usage);
    }
  }
  return {
    promptTokens,
    completionTokens,
    ttftMs: first === 0 ? Number.NaN : first - sent,
    decodeTokensPerSecond: last > first && completionTokens > 1 ? ((completionTokens - 1) * 1000) / (last - first) : 0,
  };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The tests on a running server; prompts are numbered from `firstPrompt` on, so no prompt is sent twice. */
async function measure(engine: string, version: string, target: Target, settings: ServerBenchSettings, firstPrompt: number): Promise<ServerResult> {
  let next = firstPrompt;
  await timedStream(target, serverPrompt(next++), Math.min(8, settings.gen)); // warm-up: first allocations, page cache
  const result: ServerResult = {
    engine,
    version,
    oneStream: { decodeTokensPerSecond: [], ttftMs: [], promptTokens: 0 },
    concurrent: { streams: SERVER_STREAMS, aggregateTokensPerSecond: [], ttftP50Ms: [], promptTokens: 0 },
  };
  for (let rep = 0; rep < settings.reps; rep++) {
    const timing = await timedStream(target, serverPrompt(next++), settings.gen);
    result.oneStream.decodeTokensPerSecond.push(timing.decodeTokensPerSecond);
    result.oneStream.ttftMs.push(timing.ttftMs);
    result.oneStream.promptTokens = timing.promptTokens;
  }
  for (let rep = 0; rep < settings.reps; rep++) {
    const started = performance.now();
    const timings = await Promise.all(Array.from({ length: SERVER_STREAMS }, () => timedStream(target, serverPrompt(next++), settings.gen)));
    const seconds = (performance.now() - started) / 1000;
    result.concurrent.aggregateTokensPerSecond.push(timings.reduce((sum, t) => sum + t.completionTokens, 0) / seconds);
    result.concurrent.ttftP50Ms.push(median(timings.map((t) => t.ttftMs)));
    result.concurrent.promptTokens = timings[0]!.promptTokens;
  }
  return result;
}

/** Runs the tests against a server started by `start`, stopping it afterwards. */
async function withServer(start: () => Promise<ServerProcess>, run: (url: string) => Promise<ServerResult>): Promise<ServerResult> {
  const server = await start();
  try {
    return await run(server.url);
  } finally {
    await server.stop();
  }
}

/** `gpt-oss serve`, 8 slots. `round` picks fresh prompts for every round. */
export async function benchGptOssServer(settings: ServerBenchSettings, round: number): Promise<ServerResult> {
  const args = [
    "--import", "tsx", CLI, "serve", "--model", settings.modelPath, "--port", "0", "--threads", String(settings.threads),
    "--parallel", String(SERVER_STREAMS), "--ctx-size", String(contextSize(settings.gen)), "--max-queue", String(SERVER_STREAMS),
  ];
  return await withServer(
    () => startServerProcess({ command: process.execPath, args, env: { ...process.env, LOG_LEVEL: "warn" }, url: /listening on (http:\/\/\S+)/, healthPath: "/v1/health" }),
    async (url) => {
      const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
      return await measure("gpt-oss-node server", "serve --parallel 8", chatTarget(url, models.data[0]!.id), settings, 10_000 * round);
    },
  );
}

/** llama.cpp's llama-server (`binary`), 8 slots sharing one KV pool of the same size. */
export async function benchLlamaServer(binary: string, build: string, settings: ServerBenchSettings, round: number): Promise<ServerResult> {
  const port = await freePort();
  const args = [
    "-m", settings.modelPath, "--host", "127.0.0.1", "--port", String(port), "-t", String(settings.threads), "-tb", String(settings.threads),
    "-np", String(SERVER_STREAMS), "-c", String(contextSize(settings.gen)), "--kv-unified", "-fa", "auto", "--no-webui",
  ];
  const version = spawnSync(binary, ["--version"], { encoding: "utf8" });
  const versionLine = /version: (\S+ \([^)]+\))/.exec(`${version.stdout}${version.stderr}`)?.[1] ?? "unknown";
  return await withServer(
    () => startServerProcess({ command: binary, args, url: `http://127.0.0.1:${port}`, healthPath: "/health", readyTimeoutMs: 300_000 }),
    (url) => measure("llama-server", `${versionLine}, ${build}, -np 8`, completionTarget(url), settings, 10_000 * round),
  );
}
