/**
 * The contract between the scheduler (which only knows token ids, slots and batches) and whoever decides what a
 * request's output may look like (src/chat/turn/turn-policy.ts for harmony turns; simple policies in tests).
 */
import type { FinishReason } from "../types.js";

/**
 * A restriction on the next sampled tokens: a GBNF grammar and/or extra banned tokens. Keep returning the same
 * object to keep the same grammar state.
 */
export interface Constraint {
  readonly grammar?: string;
  /** Banned on top of the request's own banned tokens. */
  readonly bannedTokens?: readonly number[];
}

/** What the scheduler does after a policy has seen a token. */
export interface Directive {
  /** End the request now with this reason (the token just seen is not decoded). */
  stop?: FinishReason;
  /** Tokens to write into the sequence before the next sample, as if the model had produced them. */
  force?: readonly number[];
  /**
   * The grammar for the next sample: `null` = free sampling, `undefined` = keep the current one. A different
   * object starts a fresh grammar sampler; the free sampler is kept for the whole request.
   */
  constraint?: Constraint | null;
}

/**
 * Decides, token by token, how a request continues. The scheduler calls `begin` once (after the prompt is queued,
 * before the first sample), `next` for each sampled token, and `end` exactly once.
 * Forced tokens are the policy's own: it has already accounted for them when it returns them.
 */
export interface TokenPolicy {
  begin(): Directive;
  next(token: number): Directive;
  /** The request is over (`stop` from a directive, `length`, or `cancelled`). */
  end(reason: FinishReason): void;
}
