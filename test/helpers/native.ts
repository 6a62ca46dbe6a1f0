// Shared setup for tests that drive the native addon directly on the tiny fixture.
import { GREEDY_SAMPLER_OPTIONS } from "../../src/engine/sampling.js";
import { loadNative } from "../../src/native/index.js";
import type { NativeContext, NativeContextOptions, NativeModel, NativeSampler, NativeSamplerOptions } from "../../src/native/types.js";

export const addon = loadNative();

export const GREEDY: Readonly<NativeSamplerOptions> = GREEDY_SAMPLER_OPTIONS;

export function contextOptions(overrides: Partial<NativeContextOptions> = {}): NativeContextOptions {
  return {
    contextSize: 1024, batchSize: 256, ubatchSize: 256, sequences: 4, threads: 2, threadsBatch: 2,
    flashAttention: "auto", cacheTypeK: "f16", cacheTypeV: "f16", swaFull: true, kvUnified: false, ...overrides,
  };
}

export async function loadTiny(path: string): Promise<NativeModel> {
  return addon.loadModel(path, { devices: [], gpuLayers: 0, useMmap: true, useMlock: false }).promise;
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
