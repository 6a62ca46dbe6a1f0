// Shared setup for tests that drive the native addon directly on the tiny fixture.
import { GREEDY_SAMPLER_OPTIONS } from "../../src/engine/sampling.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNative, nativeBinding } from "../../src/native/index.js";
import type { NativeContext, NativeContextOptions, NativeModel, NativeSampler, NativeSamplerOptions } from "../../src/native/types.js";
import { tinyModelPath } from "./fixture.js";

export const addon = loadNative();

export const GREEDY: Readonly<NativeSamplerOptions> = GREEDY_SAMPLER_OPTIONS;

export function contextOptions(overrides: Partial<NativeContextOptions> = {}): NativeContextOptions {
  return {
    contextSize: 1024, batchSize: 256, ubatchSize: 256, sequences: 4, threads: 2, threadsBatch: 2,
    flashAttention: "auto", cacheTypeK: "f16", cacheTypeV: "f16", swaFull: true, kvUnified: false, ...overrides,
  };
}

export async function loadTiny(path: string): Promise<NativeModel> {
  return addon.loadModel(path, { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: true, useMlock: false }).promise;
}

/** Greedy-decodes `count` tokens after `prompt` on one sequence, one decode() per token. */
export async function greedySolo(context: NativeContext, sequence: number, prompt: number[], count: number): Promise<number[]> {
  const sampler = context.createSampler(GREEDY);
  try {
    let result = await context.decode({
      tokens: Int32Array.from(prompt), positions: Int32Array.from(prompt.map((_, i) => i)),
      sequenceIds: new Int32Array(prompt.length).fill(sequence), sampleIndices: Int32Array.of(prompt.length - 1),
      samplers: [sampler],
    });
    const out = [result.sampled[0]!];
    while (out.length < count) {
      result = await context.decode({
        tokens: Int32Array.of(out.at(-1)!), positions: Int32Array.of(prompt.length + out.length - 1),
        sequenceIds: Int32Array.of(sequence), sampleIndices: Int32Array.of(0), samplers: [sampler],
      });
      out.push(result.sampled[0]!);
    }
    return out;
  } finally {
    sampler.dispose();
  }
}

/** Greedy-decodes several sequences together: one decode() per step carries every sequence's token. */
export async function greedyBatched(context: NativeContext, prompts: number[][], count: number): Promise<number[][]> {
  const samplers: NativeSampler[] = prompts.map(() => context.createSampler(GREEDY));
  try {
    const tokens: number[] = [], positions: number[] = [], sequenceIds: number[] = [], sampleIndices: number[] = [];
    prompts.forEach((prompt, seq) => {
      prompt.forEach((token, pos) => { tokens.push(token); positions.push(pos); sequenceIds.push(seq); });
      sampleIndices.push(tokens.length - 1);
    });
    let result = await context.decode({
      tokens: Int32Array.from(tokens), positions: Int32Array.from(positions), sequenceIds: Int32Array.from(sequenceIds),
      sampleIndices: Int32Array.from(sampleIndices), samplers,
    });
    const outs = prompts.map((_, seq) => [result.sampled[seq]!]);
    while (outs[0]!.length < count) {
      result = await context.decode({
        tokens: Int32Array.from(outs.map((o) => o.at(-1)!)),
        positions: Int32Array.from(prompts.map((p, seq) => p.length + outs[seq]!.length - 1)),
        sequenceIds: Int32Array.from(prompts.map((_, seq) => seq)),
        sampleIndices: Int32Array.from(prompts.map((_, seq) => seq)), samplers,
      });
      outs.forEach((o, seq) => o.push(result.sampled[seq]!));
    }
    return outs;
  } finally {
    for (const sampler of samplers) sampler.dispose();
  }
}

/** The built addon file, for code that loads it outside the test's module (child processes, workers). */
export function addonFilePath(): string {
  loadNative();
  return nativeBinding()!.path;
}

/** Texts of different kinds, for tokenizer and decode checks. */
export const SAMPLE_PROMPTS = [
  "The quick brown fox jumps over the lazy dog.",
  "function add(a, b) { return a + b; }",
  "Once upon a time in a land far away",
  "SELECT name FROM users WHERE id = 42;",
];

/** What the native test files share: the tiny model loaded once, one context, a scratch folder. */
export interface TinyNative {
  path: string;
  model: NativeModel;
  context: NativeContext;
  scratch: string;
}

export async function openTinyNative(): Promise<TinyNative> {
  const path = await tinyModelPath();
  const model = await loadTiny(path);
  const context = await model.createContext(contextOptions());
  const scratch = await mkdtemp(join(tmpdir(), "gpt-oss-native-"));
  return { path, model, context, scratch };
}

export async function closeTinyNative(suite: Partial<TinyNative>): Promise<void> {
  suite.model?.dispose();
  if (suite.scratch) await rm(suite.scratch, { recursive: true, force: true });
}
