/**
 * A scripted stand-in for the native context (src/native/types.ts `NativeContext`), for testing the engine's loop
 * logic without the addon. It keeps each sequence's tokens by position like a unified KV cache (one pool of
 * `contextSize` cells for all sequences: a batch that does not fit fails with ERR_KV_CACHE_FULL, as llama_decode
 * does), checks that every batch writes each sequence's next positions in order, records every batch, and
 * "samples" by asking a script.
 *
 * A reply starts at a sequence's first sample after `kvRemove` (the engine trims a slot's cache whenever it admits
 * a request); the script gets the tokens sampled or forced since then.
 */
import type { NativeBatch, NativeContext, NativeDecodeResult, NativeDecodeTimings, NativeMemoryPlacement, NativeMemoryUsage, NativeSampler, NativeSamplerOptions } from "../../src/native/types.js";

/** What a script sees when asked for the next token of a sequence. */
export interface ScriptView {
  sequence: number;
  /** Tokens of the current request's prompt (everything in the sequence when its reply started). */
  prompt: readonly number[];
  /** Tokens after the prompt, forced ones included. */
  reply: readonly number[];
  sampler: ScriptedSampler;
}

export type TokenScript = (view: ScriptView) => number;

export interface ScriptedContextOptions {
  contextSize?: number;
  sequences?: number;
  batchSize?: number;
  script: TokenScript;
  /** Result of kvRemove for a partial removal (p0 > 0); false mimics a cache that cannot cut sequences. */
  partialRemoveSupported?: boolean;
  /** Milliseconds each decode takes (default 0: resolves on the next macrotask). */
  decodeDelayMs?: number;
  /** Make the n-th decode call (0-based) fail. */
  failDecodeAt?: number;
}

export class ScriptedSampler implements NativeSampler {
  disposed = false;
  readonly accepted: number[] = [];
  constructor(readonly options: NativeSamplerOptions) {}
  accept(token: number): void {
    this.accepted.push(token);
  }
  reset(): void {
    this.accepted.length = 0;
  }
  dispose(): void {
    this.disposed = true;
  }
}

/** A copy of one decode call's batch, for assertions. */
export interface RecordedBatch {
  tokens: number[];
  positions: number[];
  sequenceIds: number[];
  sampleIndices: number[];
  samplers: ScriptedSampler[];
}

export class ScriptedContext implements NativeContext {
  disposed = false;
  readonly contextSize: number;
  readonly sequenceContextSize: number;
  readonly sequences: number;
  readonly batchSize: number;
  readonly batches: RecordedBatch[] = [];
  readonly samplers: ScriptedSampler[] = [];
  /** (sequence, p0, p1) of every kvRemove call. */
  readonly removals: Array<[number, number, number]> = [];
  /** The most cells ever in use at once. */
  maxCellsUsed = 0;
  private readonly cells: number[][];
  private readonly promptLength: number[];
  private readonly replyStarted: boolean[];

  constructor(private readonly options: ScriptedContextOptions) {
    this.contextSize = options.contextSize ?? 4096;
    this.sequences = options.sequences ?? 4;
    this.sequenceContextSize = this.contextSize;
    this.batchSize = options.batchSize ?? 512;
    this.cells = Array.from({ length: this.sequences }, () => []);
    this.promptLength = new Array<number>(this.sequences).fill(0);
    this.replyStarted = new Array<boolean>(this.sequences).fill(false);
  }

  /** Tokens currently held for `sequence`. */
  tokensOf(sequence: number): readonly number[] {
    return this.cells[sequence]!;
  }

  async decode(batch: NativeBatch): Promise<NativeDecodeResult> {
    if (this.disposed) throw Object.assign(new Error("context disposed"), { code: "ERR_DISPOSED" });
    const call = this.batches.length;
    const samplers = batch.samplers as ScriptedSampler[];
    this.batches.push({
      tokens: [...batch.tokens],
      positions: [...batch.positions],
      sequenceIds: [...batch.sequenceIds],
      sampleIndices: [...batch.sampleIndices],
      samplers: [...samplers],
    });
    if (batch.tokens.length > this.batchSize) throw new Error(`batch of ${batch.tokens.length} exceeds batchSize ${this.batchSize}`);
    if (batch.sampleIndices.length !== batch.samplers.length) throw new Error("one sampler per sample index expected");
    await new Promise((resolve) => setTimeout(resolve, this.options.decodeDelayMs ?? 0));
    if (call === this.options.failDecodeAt) throw Object.assign(new Error("scripted decode failure"), { code: "ERR_DECODE_FAILED" });
    const used = this.cells.reduce((sum, cells) => sum + cells.length, 0);
    if (used + batch.tokens.length > this.contextSize) {
      throw Object.assign(new Error(`scripted: no room for ${batch.tokens.length} tokens (${used} of ${this.contextSize} cells used)`), { code: "ERR_KV_CACHE_FULL" });
    }
    this.maxCellsUsed = Math.max(this.maxCellsUsed, used + batch.tokens.length);
    batch.tokens.forEach((token, i) => {
      const sequence = batch.sequenceIds[i]!;
      const cells = this.cells[sequence]!;
      if (batch.positions[i] !== cells.length) {
        throw new Error(`sequence ${sequence}: position ${batch.positions[i]} written, ${cells.length} expected`);
      }
      cells.push(token);
    });
    const sampled = new Int32Array(batch.sampleIndices.length);
    batch.sampleIndices.forEach((index, k) => {
      const sequence = batch.sequenceIds[index]!;
      const cells = this.cells[sequence]!;
      if (!this.replyStarted[sequence]) {
        this.replyStarted[sequence] = true;
        this.promptLength[sequence] = batch.positions[index]! + 1;
      }
      const sampler = samplers[k]!;
      if (sampler.disposed) throw new Error("sampling with a disposed sampler");
      // The model sees the sequence up to the sampled position (later tokens of the batch are drafts after it).
      const seen = cells.slice(0, batch.positions[index]! + 1);
      const token = this.options.script({
        sequence,
        prompt: seen.slice(0, this.promptLength[sequence]),
        reply: seen.slice(this.promptLength[sequence]),
        sampler,
      });
      sampler.accept(token);
      sampled[k] = token;
    });
    return { sampled };
  }

  createSampler(options: NativeSamplerOptions): NativeSampler {
    // Like llama.cpp, refuse a grammar without a root rule (the only parse check this stand-in makes).
    if (options.grammar !== undefined && !/^root ::=/m.test(options.grammar)) {
      throw Object.assign(new Error("scripted: the GBNF grammar has no root rule"), { code: "ERR_GRAMMAR_INVALID" });
    }
    const sampler = new ScriptedSampler(options);
    this.samplers.push(sampler);
    return sampler;
  }

  kvRemove(sequence: number, p0: number, p1: number): boolean {
    this.removals.push([sequence, p0, p1]);
    if (p0 > 0 && this.options.partialRemoveSupported === false) return false;
    const cells = this.cells[sequence]!;
    const end = p1 < 0 ? cells.length : Math.min(p1, cells.length);
    cells.splice(p0, Math.max(0, end - p0));
    this.replyStarted[sequence] = false;
    return true;
  }

  kvCopy(src: number, dst: number, p0: number, p1: number): void {
    const from = this.cells[src]!;
    this.cells[dst] = from.slice(p0, p1 < 0 ? from.length : p1);
  }

  kvKeep(sequence: number): void {
    this.cells.forEach((cells, id) => {
      if (id !== sequence) cells.length = 0;
    });
  }

  kvClear(): void {
    for (const cells of this.cells) cells.length = 0;
  }

  kvRange(sequence: number): [number, number] {
    const n = this.cells[sequence]!.length;
    return n === 0 ? [-1, -1] : [0, n - 1];
  }

  memoryUsage(): NativeMemoryUsage {
    return { kvCacheBytes: 0, kvCellsUsed: this.cells.reduce((sum, c) => sum + c.length, 0), contextSize: this.contextSize };
  }

  /** A scripted context holds no buffers. */
  memoryBreakdown(): NativeMemoryPlacement[] {
    return [];
  }

  /** A scripted step costs no compute: only the count is real. */
  timings(): NativeDecodeTimings {
    return { steps: this.batches.length, computeMs: 0, sampleMs: 0 };
  }

  dispose(): void {
    this.disposed = true;
  }
}

/**
 * A script that plays a fixed reply per request, chosen by the prompt: `pick(prompt)` returns the reply's tokens;
 * after the last one it keeps returning `filler`.
 */
export function replyScript(pick: (prompt: readonly number[]) => readonly number[], filler: number): TokenScript {
  return ({ prompt, reply }) => pick(prompt)[reply.length] ?? filler;
}

/**
 * A script that follows harmony replies written as text (special tokens as `<|name|>`): among `replies(prompt)` it
 * takes the first whose tokens start with what the sequence holds after the prompt (forced tokens included) and
 * returns its next token; `<|return|>` when none fits or the reply is over.
 */
export function harmonyScript(
  tokenizer: { encodeWithSpecials(text: string): number[]; decode(ids: readonly number[]): string },
  replies: (promptText: string) => readonly string[],
): TokenScript {
  const decode = (ids: readonly number[]) => tokenizer.decode(ids);
  const cache = new Map<string, number[]>();
  const tokensOf = (text: string) => {
    let ids = cache.get(text);
    if (!ids) cache.set(text, (ids = tokenizer.encodeWithSpecials(text)));
    return ids;
  };
  return ({ prompt, reply }) => {
    for (const text of replies(decode(prompt))) {
      const ids = tokensOf(text);
      if (reply.length < ids.length && reply.every((id, i) => ids[i] === id)) return ids[reply.length]!;
    }
    return RETURN_TOKEN;
  };
}

const RETURN_TOKEN = 200002;

/** A library `ChatModel` over a scripted context (no addon), with the real o200k_harmony tokenizer. */
export async function createScriptedModel(
  options: Omit<ScriptedContextOptions, "script"> & { maxQueue?: number; script: (tokenizer: HarmonyTokenizer) => TokenScript },
) {
  const { Tokenizer } = await import("../../src/tokenizer/index.js");
  const { buildHarmonyVocab } = await import("../../src/tokenizer/vocab.js");
  const { Engine } = await import("../../src/engine/engine.js");
  const { ChatModel } = await import("../../src/chat/model.js");
  tokenizerPromise ??= Promise.resolve(Tokenizer.fromVocab(buildHarmonyVocab()));
  const tokenizer = await tokenizerPromise;
  const context = new ScriptedContext({ ...options, script: options.script(tokenizer) });
  const engine = new Engine(context, { maxQueue: options.maxQueue ?? 8 });
  const model = new ChatModel({
    engine,
    tokenizer,
    info: {
      path: "/scripted.gguf", architecture: "gpt-oss", contextSize: context.contextSize, trainContextSize: 131072,
      parameterCount: 0, activeParameterCount: 0, sizeBytes: 0, layerCount: 0, expertCount: 0, expertUsedCount: 0,
      vocabSize: tokenizer.vocabSize, backend: "CPU", devices: [], parallel: context.sequences,
      placement: { gpuLayers: 0, cpuMoeLayers: 0, reason: "CPU only" }, memory: [],
    },
    disposeNative: () => context.dispose(),
  });
  return { model, context, tokenizer };
}

type HarmonyTokenizer = import("../../src/tokenizer/index.js").Tokenizer;
let tokenizerPromise: Promise<HarmonyTokenizer> | undefined;
