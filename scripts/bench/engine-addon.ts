// This package's addon under the llama-bench protocol: a prefill test (one decode() of the whole prompt on an
// empty cache, the last token sampled) and a decode test (`gen` single-token decode() calls from an empty
// cache, each feeding back the greedy pick), each repeated `reps` times after one warmup run.
import { loadedCpuVariant } from "../../src/native/cpu-variant.js";
import { loadNative } from "../../src/native/index.js";
import { GREEDY_SAMPLER_OPTIONS } from "../../src/engine/sampling.js";
import type { NativeContext, NativeSampler } from "../../src/native/types.js";
import { ADDON_ENGINE, nowNs, throughputFromDurations, type BenchSettings, type EngineResult } from "./types.js";

const LOG_ERRORS_ONLY = 3;

async function prefill(context: NativeContext, sampler: NativeSampler, tokens: readonly number[]): Promise<number> {
  context.kvClear();
  const started = nowNs();
  await context.decode({
    tokens: Int32Array.from(tokens),
    positions: Int32Array.from(tokens, (_, i) => i),
    sequenceIds: new Int32Array(tokens.length),
    sampleIndices: Int32Array.of(tokens.length - 1),
    samplers: [sampler],
  });
  return nowNs() - started;
}

async function generate(context: NativeContext, sampler: NativeSampler, first: number, count: number): Promise<number> {
  context.kvClear();
  const token = Int32Array.of(first);
  const position = Int32Array.of(0);
  const sequence = Int32Array.of(0);
  const sampleIndex = Int32Array.of(0);
  const started = nowNs();
  for (let i = 0; i < count; i++) {
    position[0] = i;
    const { sampled } = await context.decode({ tokens: token, positions: position, sequenceIds: sequence, sampleIndices: sampleIndex, samplers: [sampler] });
    token[0] = sampled[0]!;
  }
  return nowNs() - started;
}

/** Runs both tests on the addon; the model is loaded and freed inside. */
export async function benchAddon(settings: BenchSettings): Promise<EngineResult> {
  const addon = loadNative();
  addon.setLogLevel(LOG_ERRORS_ONLY);
  const model = await addon.loadModel(settings.modelPath, { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: true, useMlock: false }).promise;
  try {
    // As llama-bench: each test gets a context of its own, sized for that test alone (n_ctx = -p, then -n;
    // the addon's smallest context is 16 tokens).
    const createContext = (tokens: number) => model.createContext({
      contextSize: Math.max(16, tokens),
      batchSize: settings.batchSize,
      ubatchSize: settings.ubatchSize,
      sequences: 1,
      threads: settings.threads,
      threadsBatch: settings.threads,
      flashAttention: settings.flashAttention,
      cacheTypeK: "f16",
      cacheTypeV: "f16",
      swaFull: false, // as llama-bench: sliding-window layers keep only their window
      kvUnified: false, // one sequence: the same either way
    });
    const prompt = settings.promptTokens.slice(0, settings.prompt);
    const first = settings.promptTokens[0]!;

    const prefillContext = await createContext(settings.prompt);
    const prefillSampler = prefillContext.createSampler(GREEDY_SAMPLER_OPTIONS);
    await prefill(prefillContext, prefillSampler, prompt); // warmup, as llama-bench
    const prefillNs: number[] = [];
    for (let rep = 0; rep < settings.reps; rep++) prefillNs.push(await prefill(prefillContext, prefillSampler, prompt));
    prefillContext.dispose();

    const decodeContext = await createContext(settings.gen);
    const decodeSampler = decodeContext.createSampler(GREEDY_SAMPLER_OPTIONS);
    await generate(decodeContext, decodeSampler, first, 1); // warmup, as llama-bench
    const before = decodeContext.timings();
    const decodeNs: number[] = [];
    for (let rep = 0; rep < settings.reps; rep++) decodeNs.push(await generate(decodeContext, decodeSampler, first, settings.gen));
    const after = decodeContext.timings();
    // Where the weights sit: CPU_REPACK / AMX are the extra buffer types whose matrices the faster kernels read.
    const weightBuffers = decodeContext.memoryBreakdown().filter((m) => m.modelBytes > 0)
      .map((m) => `${m.bufferType} ${(m.modelBytes / 2 ** 20).toFixed(0)} MiB`).join(", ");
    decodeContext.dispose();
    const steps = after.steps - before.steps;
    const computeMs = (after.computeMs - before.computeMs) / steps;
    const sampleMs = (after.sampleMs - before.sampleMs) / steps;
    const wallMs = decodeNs.reduce((sum, ns) => sum + ns, 0) / 1e6 / steps;

    const { addon: version, llamaCppCommit } = addon.versions();
    return {
      engine: ADDON_ENGINE,
      version: `${version} (llama.cpp ${llamaCppCommit.slice(0, 7)}), CPU code ${loadedCpuVariant() ?? "unknown"}, weights in ${weightBuffers}`,
      prefill: throughputFromDurations(prompt.length, prefillNs),
      decode: throughputFromDurations(settings.gen, decodeNs),
      decodeStep: { computeMs, sampleMs, bridgeMs: wallMs - computeMs - sampleMs },
    };
  } finally {
    model.dispose();
  }
}
