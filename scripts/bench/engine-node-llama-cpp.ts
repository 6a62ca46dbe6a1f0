// node-llama-cpp (its prebuilt CPU binary, never a source build) under the same protocol as the addon:
// prefill = evaluateWithoutGeneratingNewTokens(prompt) on a cleared sequence; decode = `gen` greedy steps
// of evaluate() from a cleared sequence. node-llama-cpp sets n_ubatch = n_batch, so its batch is the
// micro-batch size (a prompt of `ubatchSize` tokens is one llama_decode on every engine). Its prefill computes no
// logits at all, where llama-bench and the addon compute the last token's: a small edge (one output-head row).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type LlamaContextSequence, type Token } from "node-llama-cpp";
import { PACKAGE_ROOT } from "../../src/native/index.js";
import { nowNs, throughputFromDurations, type BenchSettings, type EngineResult } from "./types.js";

function installedVersion(): string {
  const manifest = join(PACKAGE_ROOT, "node_modules", "node-llama-cpp", "package.json");
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

async function prefill(sequence: LlamaContextSequence, tokens: readonly number[]): Promise<number> {
  await sequence.clearHistory();
  const started = nowNs();
  await sequence.evaluateWithoutGeneratingNewTokens(tokens as Token[]);
  return nowNs() - started;
}

async function generate(sequence: LlamaContextSequence, first: number, count: number): Promise<number> {
  await sequence.clearHistory();
  let steps = 0;
  const started = nowNs();
  // Each yielded token is one decode of the previous one; stop after `count` decodes.
  for await (const _token of sequence.evaluate([first as Token], { temperature: 0 })) {
    if (++steps >= count) break;
  }
  return nowNs() - started;
}

/** Runs both tests on node-llama-cpp; the model is loaded and freed inside. */
export async function benchNodeLlamaCpp(settings: BenchSettings): Promise<EngineResult> {
  const llama = await getLlama({
    gpu: false,
    build: "never",
    usePrebuiltBinaries: true,
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    maxThreads: settings.threads,
  });
  const model = await llama.loadModel({ modelPath: settings.modelPath, gpuLayers: 0, useMmap: true });
  try {
    // One context for both tests, with room to spare: given a context exactly as long as the prompt (llama-bench's
    // n_ctx = -p, as the addon gets), node-llama-cpp's prefill measured at half its speed here (0.56× llama-bench).
    const context = await model.createContext({
      contextSize: settings.prompt + settings.gen,
      batchSize: settings.ubatchSize,
      sequences: 1,
      threads: { ideal: settings.threads, min: settings.threads },
      flashAttention: settings.flashAttention === "auto" ? "auto" : settings.flashAttention === "on",
      swaFullCache: false,
    });
    const sequence = context.getSequence();
    const prompt = settings.promptTokens.slice(0, settings.prompt);
    const first = settings.promptTokens[0]!;

    await prefill(sequence, prompt); // warmup, as llama-bench
    await generate(sequence, first, 1);
    const prefillNs: number[] = [];
    for (let rep = 0; rep < settings.reps; rep++) prefillNs.push(await prefill(sequence, prompt));
    const decodeNs: number[] = [];
    for (let rep = 0; rep < settings.reps; rep++) decodeNs.push(await generate(sequence, first, settings.gen));

    return {
      engine: "node-llama-cpp",
      version: `${installedVersion()} ${llama.buildType} (llama.cpp ${llama.llamaCppRelease.release})`,
      prefill: throughputFromDurations(prompt.length, prefillNs),
      decode: throughputFromDurations(settings.gen, decodeNs),
    };
  } finally {
    await model.dispose();
    await llama.dispose();
  }
}
