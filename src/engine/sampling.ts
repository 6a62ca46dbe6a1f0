/**
 * Per-request sampling parameters and their translation into the native sampler chain's options.
 */
import type { NativeSamplerOptions } from "../native/types.js";

/** Sampling parameters of one request, fully resolved (no defaults left to apply). */
export interface SamplingParams {
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  /** 0 = off. */
  topK: number;
  /** 0 = off. */
  minP: number;
  /** Seed of the request's first sampler; later samplers (grammars) derive theirs from it. */
  seed: number;
  frequencyPenalty: number;
  presencePenalty: number;
  /** Token ids the model may never sample (e.g. reserved specials). */
  bannedTokens: readonly number[];
}

/** Tokens of history the frequency/presence penalties look at. */
const PENALTY_WINDOW = 64;
/** Odd 32-bit constant (golden ratio) that spreads derived seeds apart. */
const SEED_STEP = 0x9e3779b9;

/** The greedy pick alone: no bias, no penalties (the addon samples it by a direct argmax). Tests and benchmarks use it. */
export const GREEDY_SAMPLER_OPTIONS: Readonly<NativeSamplerOptions> = Object.freeze({
  temperature: 0,
  topK: 0,
  topP: 1,
  minP: 0,
  seed: 1,
  repeatPenalty: 1,
  frequencyPenalty: 0,
  presencePenalty: 0,
  penaltyLastN: PENALTY_WINDOW,
  logitBias: [],
});

/**
 * Native options for the `index`-th sampler a request creates (0 = its free-text sampler, then one per
 * grammar-constrained stretch), so a request with a fixed seed is reproducible however often it switches.
 */
export function nativeSamplerOptions(
  params: SamplingParams,
  index: number,
  grammar?: string,
  extraBanned: readonly number[] = [],
): NativeSamplerOptions {
  const banned = extraBanned.length === 0 ? params.bannedTokens : [...new Set([...params.bannedTokens, ...extraBanned])];
  const options: NativeSamplerOptions = {
    temperature: params.temperature,
    topK: params.topK,
    topP: params.topP,
    minP: params.minP,
    seed: (params.seed + Math.imul(index, SEED_STEP)) >>> 0,
    repeatPenalty: 1,
    frequencyPenalty: params.frequencyPenalty,
    presencePenalty: params.presencePenalty,
    penaltyLastN: PENALTY_WINDOW,
    logitBias: banned.map((token): [number, number] => [token, -Infinity]),
  };
  if (grammar !== undefined) options.grammar = grammar;
  return options;
}

/** A fresh random 32-bit seed (for requests that give none). */
export function randomSeed(): number {
  return (Math.random() * 0x1_0000_0000) >>> 0;
}
