/**
 * The state of one generation request inside the scheduler: what it asked for, where it stands, and how it ends.
 */
import type { FinishReason } from "../types.js";
import { GptOssError } from "../errors.js";
import type { NativeContext, NativeSampler } from "../native/types.js";
import type { Constraint, Directive, TokenPolicy } from "./policy.js";
import { nativeSamplerOptions, type SamplingParams } from "./sampling.js";
import type { Slot } from "./slots.js";

/** What a caller submits to the engine. */
export interface GenerationRequest {
  prompt: readonly number[];
  /**
   * Most completion tokens (sampled and forced), as the caller asked: the prompt plus this must fit in the
   * context, else the request is refused. Absent: `defaultMaxTokens`, capped to the room the prompt leaves.
   */
  maxTokens?: number;
  defaultMaxTokens: number;
  sampling: SamplingParams;
  policy: TokenPolicy;
  /** Aborting frees the request's slot at the next step; it then ends with `cancelled`. */
  signal?: AbortSignal;
}

/** How a request ended. */
export interface GenerationOutcome {
  finishReason: FinishReason;
  promptTokens: number;
  /** Prompt tokens that were already in the KV cache (prefix reuse). */
  cachedPromptTokens: number;
  completionTokens: number;
}

/**
 * The context-window rule, in one place: the prompt must leave room for one token; an explicit `maxTokens` must
 * fit with the prompt; the default is capped to the room left. Returns the request's completion limit.
 * @throws GptOssError ERR_CONTEXT_OVERFLOW naming both numbers; ERR_INVALID_ARGUMENT for an empty prompt.
 */
export function completionLimit(request: GenerationRequest, capacity: number): number {
  const promptTokens = request.prompt.length;
  if (promptTokens === 0) throw new GptOssError("ERR_INVALID_ARGUMENT", "The prompt has no tokens.");
  if (promptTokens >= capacity) {
    throw new GptOssError(
      "ERR_CONTEXT_OVERFLOW",
      `This model's maximum context length is ${capacity} tokens, but the messages take ${promptTokens} tokens. ` +
        "Shorten the conversation, or load the model with a larger contextSize.",
    );
  }
  if (request.maxTokens === undefined) return Math.min(request.defaultMaxTokens, capacity - promptTokens);
  if (promptTokens + request.maxTokens > capacity) {
    throw new GptOssError(
      "ERR_CONTEXT_OVERFLOW",
      `This model's maximum context length is ${capacity} tokens. However, you requested ${promptTokens + request.maxTokens} tokens ` +
        `(${promptTokens} in the messages, ${request.maxTokens} in the completion). Please reduce the length of the messages or completion.`,
    );
  }
  return request.maxTokens;
}

export class RequestState {
  slot: Slot | undefined;
  /** Completion tokens this request may produce (resolved against the context when it was submitted). */
  readonly maxTokens: number;
  /** Submission order: the youngest request is the first preempted when the KV pool runs out. */
  readonly arrival: number;
  /** Tokens to decode again when a preempted request is admitted anew (its prompt and output so far). */
  resume: number[] | undefined;
  /** Admitted at least once (its policy has begun and its prompt is counted). */
  begun = false;
  /** Tokens to decode before the next sample (prompt remainder, then the last sampled token and forced ones). */
  pending: number[] = [];
  /** False while the prompt is still being prefilled in chunks. */
  generating = false;
  cachedPromptTokens = 0;
  completionTokens = 0;
  finished = false;
  private freeSampler: NativeSampler | undefined;
  private grammarSampler: NativeSampler | undefined;
  private constraint: Constraint | null = null;
  private samplersCreated = 0;

  constructor(
    readonly request: GenerationRequest,
    limits: { maxTokens: number; arrival: number },
    private readonly resolveOutcome: (outcome: GenerationOutcome) => void,
    private readonly rejectOutcome: (error: unknown) => void,
  ) {
    this.maxTokens = limits.maxTokens;
    this.arrival = limits.arrival;
  }

  /** The tokens this request holds in its sequence once its pending tokens are decoded. */
  get committedCells(): number {
    return (this.slot?.cached.length ?? 0) + this.pending.length;
  }

  /**
   * Guessed tokens cannot change what this request samples next: greedy picks without penalties (whose history a
   * rejected guess would touch) and without a grammar.
   */
  get mayDraft(): boolean {
    const { temperature, frequencyPenalty, presencePenalty } = this.request.sampling;
    return temperature === 0 && frequencyPenalty === 0 && presencePenalty === 0 && this.constraint === null;
  }

  get cancelled(): boolean {
    return this.request.signal?.aborted === true;
  }

  /** The sampler for the next sample, created on first use for the current constraint. */
  sampler(context: NativeContext): NativeSampler {
    if (this.constraint === null) {
      return (this.freeSampler ??= this.createSampler(context, null));
    }
    return (this.grammarSampler ??= this.createSampler(context, this.constraint));
  }

  /**
   * Applies a policy directive: queues forced tokens, switches the constraint, counts completion tokens.
   * Returns the reason to finish, if any.
   */
  apply(directive: Directive): FinishReason | undefined {
    if (directive.stop !== undefined) return directive.stop;
    if (directive.force !== undefined && directive.force.length > 0) {
      this.pending.push(...directive.force);
      this.completionTokens += directive.force.length;
    }
    if (directive.constraint !== undefined && directive.constraint !== this.constraint) {
      this.constraint = directive.constraint;
      this.grammarSampler?.dispose();
      this.grammarSampler = undefined;
    }
    if (this.completionTokens >= this.maxTokens) return "length";
    return undefined;
  }

  /** Ends the request once: tells the policy, frees the samplers, settles the caller's promise. */
  finish(reason: FinishReason): void {
    if (this.finished) return;
    this.finished = true;
    this.disposeSamplers();
    try {
      this.request.policy.end(reason);
    } catch (error) {
      this.rejectOutcome(error);
      return;
    }
    this.resolveOutcome({
      finishReason: reason,
      promptTokens: this.request.prompt.length,
      cachedPromptTokens: this.cachedPromptTokens,
      completionTokens: this.completionTokens,
    });
  }

  /** Ends the request with an error (a failed native decode, a throwing policy). */
  fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.disposeSamplers();
    this.rejectOutcome(error);
  }

  private createSampler(context: NativeContext, constraint: Constraint | null): NativeSampler {
    const index = this.samplersCreated++;
    return context.createSampler(nativeSamplerOptions(this.request.sampling, index, constraint?.grammar, constraint?.bannedTokens));
  }

  private disposeSamplers(): void {
    this.freeSampler?.dispose();
    this.grammarSampler?.dispose();
    this.freeSampler = undefined;
    this.grammarSampler = undefined;
  }
}
