/**
 * Continuous batching over one native context: every step builds one batch holding the next token of each
 * generating sequence plus chunks of the prompts being prefilled, makes one `decode()` call, and hands each
 * sampled token to its request's policy. New requests join between steps; aborted ones leave between steps.
 *
 * Memory is one pool: the KV cache is unified, so any request may use the whole context. A request is admitted
 * when a sequence slot is free and its tokens (plus one) fit beside what the running requests have committed.
 * When the pool runs out while several requests generate, the youngest is preempted: its sequence is released
 * (the cache stays as an idle prefix until the cells are needed) and it goes back to the head of the queue, to
 * resume where it stopped once there is room. A request alone always fits: prompt plus `maxTokens` is checked
 * against the context when it is submitted.
 */
import { GptOssError } from "../errors.js";
import type { NativeContext, NativeSampler } from "../native/types.js";
import type { Drafter } from "./draft.js";
import type { Directive } from "./policy.js";
import { completionLimit, RequestState, type GenerationOutcome, type GenerationRequest } from "./request.js";
import { nativeSamplerOptions, type SamplingParams } from "./sampling.js";
import { SlotTable } from "./slots.js";

/** What the engine reports about its load and totals (`Model.stats()`). */
export interface EngineStats {
  activeRequests: number;
  queuedRequests: number;
  slots: number;
  kvCellsUsed: number;
  contextSize: number;
  promptTokensTotal: number;
  completionTokensTotal: number;
  cachedPromptTokensTotal: number;
  /** Times a running request gave its KV cells back because the pool ran out (it resumed later). */
  preemptionsTotal: number;
  /** Speculative decoding: tokens drafted and verified, and how many of them the model's own picks confirmed. */
  draftedTokensTotal: number;
  acceptedDraftTokensTotal: number;
  /** A new request would be refused now (ERR_BUSY): every slot is taken and the wait queue is full. */
  queueFull: boolean;
}

export interface EngineOptions {
  /** Most requests waiting for a slot; one more is refused with ERR_BUSY. */
  maxQueue: number;
  /**
   * Most prompt tokens prefilled per step while other sequences are generating, so their streams keep flowing
   * (default 256). With nothing generating, a step takes as many prompt tokens as the batch holds.
   */
  prefillChunk?: number;
  /**
   * Speculative decoding: up to `maxTokens` guessed tokens per generating sequence and step, verified in the same
   * decode. Only greedy requests without penalties or a grammar draft (their output is then provably unchanged).
   * Default: none.
   */
  draft?: { drafter: Drafter; maxTokens: number };
}

const DEFAULT_PREFILL_CHUNK = 256;

/** One request's share of a batch. */
interface BatchEntry {
  state: RequestState;
  /** The tokens to decode: pending ones, then `drafts`. */
  tokens: number[];
  /** Guessed tokens at the end of `tokens` (speculative decoding); each is verified by a sample before it. */
  drafts: number[];
  /** Index in `sampleIndices` of this entry's first sample (then one per draft), else -1. */
  sampleSlot: number;
}

export class Engine {
  readonly slots: SlotTable;
  private readonly queue: RequestState[] = [];
  private readonly active: RequestState[] = [];
  private readonly prefillChunk: number;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private disposed = false;
  private totals = { prompt: 0, completion: 0, cached: 0, preemptions: 0, drafted: 0, acceptedDrafts: 0 };
  private arrivals = 0;
  /** False once the cache could not cut a sequence to drop wrong drafts: drafting then stops for good. */
  private cacheCutsDrafts = true;

  constructor(
    private readonly context: NativeContext,
    private readonly options: EngineOptions,
  ) {
    this.slots = new SlotTable(context);
    this.prefillChunk = options.prefillChunk ?? DEFAULT_PREFILL_CHUNK;
  }

  /** Tokens one request may hold, prompt and output together: the whole context. */
  get contextSize(): number {
    return this.slots.capacity;
  }

  /**
   * Queues a request. Rejects before any work with ERR_CONTEXT_OVERFLOW when the prompt, or the prompt plus an
   * explicit `maxTokens`, does not fit in the context, ERR_BUSY when every slot is taken and the queue is full,
   * ERR_DISPOSED after dispose(). Resolves when the request ends, `cancelled` included.
   */
  generate(request: GenerationRequest): Promise<GenerationOutcome> {
    if (this.disposed) return Promise.reject(new GptOssError("ERR_DISPOSED", "The engine was disposed."));
    let maxTokens: number;
    try {
      maxTokens = completionLimit(request, this.slots.capacity);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.queueFull()) {
      return Promise.reject(
        new GptOssError(
          "ERR_BUSY",
          `All ${this.context.sequences} sequence slots are busy and the wait queue is full (${this.options.maxQueue} requests).`,
        ),
      );
    }
    return new Promise<GenerationOutcome>((resolve, reject) => {
      const { signal } = request;
      const onAbort = () => this.onAbort(state);
      const settle = () => signal?.removeEventListener("abort", onAbort);
      const state = new RequestState(
        request,
        { maxTokens, arrival: ++this.arrivals },
        (outcome) => (settle(), resolve(outcome)),
        (error) => (settle(), reject(error)),
      );
      if (state.cancelled) return state.finish("cancelled");
      this.queue.push(state);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.start();
    });
  }

  /**
   * Parses a GBNF grammar with the native sampler and frees it again, so a request can refuse a bad grammar
   * before any work rather than when its policy first switches to it.
   * @throws GptOssError ERR_GRAMMAR_INVALID
   */
  checkGrammar(grammar: string, sampling: SamplingParams): void {
    this.context.createSampler(nativeSamplerOptions(sampling, 0, grammar)).dispose();
  }

  stats(): EngineStats {
    const usage = this.context.disposed ? undefined : this.context.memoryUsage();
    return {
      activeRequests: this.active.length,
      queuedRequests: this.queue.length,
      slots: this.context.sequences,
      kvCellsUsed: usage?.kvCellsUsed ?? 0,
      contextSize: this.context.contextSize,
      promptTokensTotal: this.totals.prompt,
      completionTokensTotal: this.totals.completion,
      cachedPromptTokensTotal: this.totals.cached,
      preemptionsTotal: this.totals.preemptions,
      draftedTokensTotal: this.totals.drafted,
      acceptedDraftTokensTotal: this.totals.acceptedDrafts,
      queueFull: this.queueFull(),
    };
  }

  /** A new request would be refused with ERR_BUSY: every slot is taken and `maxQueue` requests wait. */
  private queueFull(): boolean {
    const freeSlots = this.context.sequences - this.slots.busyCount;
    return this.queue.length >= freeSlots + this.options.maxQueue;
  }

  /** Ends every request with `cancelled` and waits for the step in flight. Idempotent. */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const state of this.queue.splice(0)) this.end(state, "cancelled");
    this.wake?.();
    await this.loop;
    for (const state of this.active.splice(0)) this.end(state, "cancelled");
  }

  private start(): void {
    if (this.wake) {
      this.wake();
    } else if (!this.loop) {
      // Start after the current task so that requests submitted together share the first batch.
      this.loop = Promise.resolve()
        .then(() => this.run())
        .catch((error: unknown) => this.failAll(error))
        .finally(() => (this.loop = undefined));
    }
  }

  private onAbort(state: RequestState): void {
    const queued = this.queue.indexOf(state);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.end(state, "cancelled");
    }
    // An active request leaves at the start of the next step.
  }

  private async run(): Promise<void> {
    while (!this.disposed) {
      this.dropCancelled();
      this.admit();
      if (this.active.length === 0) {
        if (this.queue.length === 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
        }
        continue;
      }
      await this.step();
    }
  }

  /**
   * The loop itself failed (a native KV call threw outside a decode): every request fails with that error
   * instead of waiting forever, and the slots it held forget their cache (the next request clears them).
   */
  private failAll(error: unknown): void {
    for (const state of this.queue.splice(0)) state.fail(error);
    for (const state of [...this.active]) {
      if (state.slot) state.slot.cached = [];
      this.leave(state, undefined, error);
    }
  }

  private dropCancelled(): void {
    for (const state of [...this.active]) if (state.cancelled) this.leave(state, "cancelled");
  }

  /** Cells the running requests hold or will hold once their pending tokens are decoded. */
  private committedCells(): number {
    return this.active.reduce((sum, state) => sum + state.committedCells, 0);
  }

  /** Admits queued requests in order while a slot is free and the head's tokens fit in the pool. */
  private admit(): void {
    while (this.queue.length > 0 && this.slots.hasFree()) {
      const state = this.queue[0]!;
      const tokens = state.resume ?? state.request.prompt;
      if (this.committedCells() + tokens.length + 1 > this.slots.capacity) return;
      const lease = this.slots.acquire(tokens)!; // may throw: the request stays queued and fails with the rest
      this.queue.shift();
      state.slot = lease.slot;
      state.pending = tokens.slice(lease.reusedTokens);
      state.resume = undefined;
      this.active.push(state);
      if (state.begun) continue; // a preempted request resumes where it stopped
      state.begun = true;
      state.cachedPromptTokens = lease.reusedTokens;
      this.totals.prompt += tokens.length;
      this.totals.cached += lease.reusedTokens;
      this.follow(state, () => state.request.policy.begin());
    }
  }

  /**
   * Frees a running request's sequence and puts it back at the head of the queue with everything it holds to
   * decode again; the cache stays as an idle prefix (often reused whole) until the pool needs its cells.
   */
  private preempt(state: RequestState): void {
    this.active.splice(this.active.indexOf(state), 1);
    state.resume = [...state.slot!.cached, ...state.pending];
    state.pending = [];
    state.generating = false;
    this.slots.release(state.slot!);
    state.slot = undefined;
    this.queue.unshift(state);
    this.totals.preemptions++;
  }

  /** The running request that arrived last. */
  private youngest(): RequestState {
    return this.active.reduce((a, b) => (b.arrival > a.arrival ? b : a));
  }

  /** Preempts the youngest requests until the generating ones' next tokens fit in the cells not held by others. */
  private fitGenerating(): void {
    const demand = () => this.active.reduce((sum, state) => sum + (state.generating ? state.pending.length : 0), 0);
    while (this.active.length > 1 && demand() > this.slots.capacity - this.slots.busyCells) this.preempt(this.youngest());
  }

  /** One decode call for every active request. */
  private async step(): Promise<void> {
    this.fitGenerating();
    const entries = this.plan();
    if (entries.length === 0) {
      // No cell for anyone: the invariants above rule it out; never spin on it.
      if (this.active.length > 1) this.preempt(this.youngest());
      else if (this.active.length === 1) {
        this.leave(this.active[0]!, undefined, new GptOssError("ERR_KV_CACHE_FULL", "The KV cache has no room for the request's next token."));
      }
      return;
    }
    this.slots.makeRoom(entries.reduce((sum, entry) => sum + entry.tokens.length, 0));
    const tokens: number[] = [];
    const positions: number[] = [];
    const sequenceIds: number[] = [];
    const sampleIndices: number[] = [];
    const samplers: NativeSampler[] = [];
    for (const entry of entries) {
      const slot = entry.state.slot!;
      entry.tokens.forEach((token, i) => {
        tokens.push(token);
        positions.push(slot.cached.length + i);
        sequenceIds.push(slot.id);
      });
      if (entry.sampleSlot >= 0) {
        // A sample after the last pending token, then one after each draft (the same greedy sampler).
        for (let k = entry.drafts.length; k >= 0; k--) {
          sampleIndices.push(tokens.length - 1 - k);
          samplers.push(entry.state.sampler(this.context));
        }
      }
    }
    let sampled: Int32Array;
    try {
      const result = await this.context.decode({
        tokens: Int32Array.from(tokens),
        positions: Int32Array.from(positions),
        sequenceIds: Int32Array.from(sequenceIds),
        sampleIndices: Int32Array.from(sampleIndices),
        samplers,
      });
      sampled = result.sampled;
    } catch (error) {
      for (const entry of entries) {
        this.slots.clear(entry.state.slot!);
        this.leave(entry.state, undefined, error);
      }
      return;
    }
    for (const entry of entries) {
      if (entry.drafts.length > 0) {
        this.verify(entry, sampled.subarray(entry.sampleSlot, entry.sampleSlot + entry.drafts.length + 1));
        continue;
      }
      const state = entry.state;
      state.slot!.cached.push(...entry.tokens);
      if (entry.sampleSlot < 0 || state.finished) continue;
      this.accept(state, sampled[entry.sampleSlot]!);
    }
  }

  /** Hands a sampled token to its request's policy; it is decoded next (after anything still pending). */
  private accept(state: RequestState, token: number): void {
    state.completionTokens++;
    state.generating = true;
    state.pending.push(token);
    this.follow(state, () => state.request.policy.next(token));
  }

  /**
   * Speculative decoding's check: `sampled[i]` is the model's pick after the entry's i-th token from the end of
   * its pending ones; a draft stands while the pick before it equals it. The cache keeps the pending tokens and
   * the drafts that stood (the rest is removed), and the policy gets the picks one by one, as without drafts.
   */
  private verify(entry: BatchEntry, sampled: Int32Array): void {
    const { state, drafts } = entry;
    const slot = state.slot!;
    const base = slot.cached.length;
    const pendingCount = entry.tokens.length - drafts.length;
    let accepted = 0;
    while (accepted < drafts.length && sampled[accepted] === drafts[accepted]) accepted++;
    this.totals.drafted += drafts.length;
    this.totals.acceptedDrafts += accepted;
    slot.cached.push(...entry.tokens.slice(0, pendingCount + accepted));
    // Keeps the sequence's first `keep` tokens. Where the cache cannot cut a sequence, it is cleared and its
    // tokens queued to decode again (`redecode` of them lead the pending list), and drafting stops for good.
    let redecode = -1;
    const cut = (keep: number): void => {
      if (redecode >= 0) {
        state.pending.splice(keep, redecode - keep);
        redecode = keep;
      } else if (!this.slots.trim(slot, keep)) {
        this.cacheCutsDrafts = false;
        state.pending = [...slot.cached.slice(0, keep), ...state.pending];
        redecode = keep;
        this.slots.clear(slot);
      }
    };
    if (accepted < drafts.length) cut(base + pendingCount + accepted);
    if (state.finished) return;
    for (let i = 0; i <= accepted; i++) {
      const queued = state.pending.length;
      this.accept(state, sampled[i]!);
      if (i === accepted || state.finished || !this.active.includes(state)) return;
      // The policy stopped taking picks as they come (forced tokens, a grammar): the sequence keeps what came
      // before this pick, which is decoded again with whatever the policy queued after it.
      if (state.pending.length !== queued + 1 || !state.mayDraft) {
        cut(base + pendingCount + i);
        return;
      }
      state.pending.pop(); // this pick is the draft after it: already decoded (or queued again above)
    }
  }

  /**
   * Splits the batch: generating sequences first (their pending tokens, then a sample), then prompt chunks in
   * arrival order, within the batch size and the free cells. A request whose sampler cannot be created (bad
   * grammar) fails alone.
   */
  private plan(): BatchEntry[] {
    let budget = this.context.batchSize;
    // Cells the batch may fill: all but those the running requests hold (idle caches are evicted for it).
    let cells = this.slots.capacity - this.slots.busyCells;
    const entries: BatchEntry[] = [];
    let sampleCount = 0;
    const take = (state: RequestState, limit: number): void => {
      const count = Math.min(state.pending.length, limit, cells);
      if (count <= 0) return;
      const tokens = state.pending.splice(0, count);
      budget -= count;
      cells -= count;
      let sampleSlot = -1;
      let drafts: number[] = [];
      if (state.pending.length === 0) {
        try {
          state.sampler(this.context);
          sampleSlot = sampleCount++;
        } catch (error) {
          this.leave(state, undefined, error);
          return;
        }
        drafts = this.draftFor(state, tokens, Math.min(budget, cells));
        tokens.push(...drafts);
        budget -= drafts.length;
        cells -= drafts.length;
        sampleCount += drafts.length;
      }
      entries.push({ state, tokens, drafts, sampleSlot });
    };
    const generating = this.active.filter((state) => state.generating);
    for (const state of generating) take(state, budget);
    const prefillLimit = generating.length > 0 ? this.prefillChunk : budget;
    let prefillBudget = prefillLimit;
    for (const state of this.active) {
      if (state.generating || budget <= 0 || prefillBudget <= 0) continue;
      const before = budget;
      take(state, Math.min(budget, prefillBudget));
      prefillBudget -= before - budget;
    }
    return entries;
  }

  /**
   * Guessed continuations of a generating request that ends this batch with `tokens` (speculative decoding), within
   * `room` more rows and cells and the completion tokens it has left; none where drafting could change its output.
   */
  private draftFor(state: RequestState, tokens: readonly number[], room: number): number[] {
    const draft = this.options.draft;
    if (draft === undefined || !this.cacheCutsDrafts || !state.generating || !state.mayDraft) return [];
    const limit = Math.min(draft.maxTokens, room, state.maxTokens - state.completionTokens - 1);
    if (limit <= 0) return [];
    return draft.drafter.draft([...state.slot!.cached, ...tokens], limit);
  }

  /** Runs a policy callback and applies its directive; a throwing policy fails its request only. */
  private follow(state: RequestState, decide: () => Directive): void {
    let reason;
    try {
      reason = state.apply(decide());
    } catch (error) {
      this.leave(state, undefined, error);
      return;
    }
    if (reason !== undefined) {
      this.leave(state, reason);
    } else if (state.pending.length === 0) {
      // Nothing to decode and nothing to sample from: cannot happen after begin() with a non-empty prompt.
      this.leave(state, undefined, new GptOssError("ERR_DECODE_FAILED", "A request has no token left to decode."));
    }
  }

  /** Takes a request out of the active set, frees its slot and settles it. */
  private leave(state: RequestState, reason: GenerationOutcome["finishReason"] | undefined, error?: unknown): void {
    const index = this.active.indexOf(state);
    if (index >= 0) this.active.splice(index, 1);
    if (state.slot) this.slots.release(state.slot);
    if (reason !== undefined) this.end(state, reason);
    else state.fail(error);
  }

  private end(state: RequestState, reason: GenerationOutcome["finishReason"]): void {
    this.totals.completion += state.completionTokens;
    state.finish(reason);
  }
}
