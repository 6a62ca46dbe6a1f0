/**
 * Speculative decoding's drafters: guesses of a sequence's next tokens that the engine verifies in the same batched
 * decode as everything else (one sample per drafted position). A guess costs one decode row; every accepted one
 * saves a whole decode step. Greedy output is unchanged by construction: a draft token is kept only where the model's
 * own pick at the position before it equals it.
 */

/** Proposes up to `maxTokens` tokens to follow `history` (the sequence's tokens so far, prompt included). */
export interface Drafter {
  draft(history: readonly number[], maxTokens: number): number[];
}

export interface PromptLookupOptions {
  /** Longest suffix of the history looked up (default 3). */
  maxNgram?: number;
  /** Shortest suffix worth a guess (default 2: a single token matches too often to pay for the rows). */
  minNgram?: number;
}

/**
 * Prompt lookup (n-gram) drafting: finds the latest earlier place where the history's last n tokens occurred
 * (n from `maxNgram` down to `minNgram`) and proposes the tokens that followed them there. Agent loops, code edits
 * and quoting echo their context, so the guess is often right; no second model is involved.
 */
export class PromptLookupDrafter implements Drafter {
  private readonly maxNgram: number;
  private readonly minNgram: number;

  constructor(options: PromptLookupOptions = {}) {
    this.maxNgram = options.maxNgram ?? 3;
    this.minNgram = options.minNgram ?? 2;
    if (!(this.minNgram >= 1 && this.maxNgram >= this.minNgram)) {
      throw new RangeError(`prompt lookup needs 1 <= minNgram <= maxNgram, got ${this.minNgram}..${this.maxNgram}`);
    }
  }

  draft(history: readonly number[], maxTokens: number): number[] {
    if (maxTokens <= 0) return [];
    const end = history.length;
    for (let n = Math.min(this.maxNgram, end - 1); n >= this.minNgram; n--) {
      // Latest start s < end - n with history[s..s+n) equal to the last n tokens.
      for (let s = end - n - 1; s >= 0; s--) {
        let k = 0;
        while (k < n && history[s + k] === history[end - n + k]) k++;
        if (k < n) continue;
        // What followed there; where that runs into the present, the match repeats itself (a loop continues).
        const from = s + n;
        const draft: number[] = [];
        for (let i = 0; i < maxTokens; i++) draft.push(from + i < end ? history[from + i]! : draft[from + i - end]!);
        return draft;
      }
    }
    return [];
  }
}
