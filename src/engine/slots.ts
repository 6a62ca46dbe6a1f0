/**
 * Sequence slots of the native context and the tokens each one still holds in the KV cache, for prefix reuse:
 * a new request takes the free slot whose cache shares the longest prefix with its prompt and keeps that prefix.
 */
import type { NativeContext } from "../native/types.js";

export interface Slot {
  /** Native sequence id. */
  readonly id: number;
  /** Tokens held in the KV cache at positions 0..cached.length-1. */
  cached: number[];
  busy: boolean;
  /** Monotonic counter of the last release (least recently used slots are evicted first). */
  lastUsed: number;
}

/** Where a request starts: its slot and how many prompt tokens are already in the cache. */
export interface SlotLease {
  slot: Slot;
  reusedTokens: number;
}

/** Length of the longest common prefix of two token lists. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class SlotTable {
  readonly slots: Slot[];
  private clock = 0;

  constructor(private readonly context: NativeContext) {
    this.slots = Array.from({ length: context.sequences }, (_, id) => ({ id, cached: [], busy: false, lastUsed: 0 }));
  }

  hasFree(): boolean {
    return this.slots.some((slot) => !slot.busy);
  }

  get busyCount(): number {
    return this.slots.filter((slot) => slot.busy).length;
  }

  /**
   * Takes the free slot sharing the longest prefix with `prompt` (ties: least recently used), trims its cache to
   * that prefix and marks it busy. A prompt that is cached whole keeps all but its last token, so decoding that
   * token yields the logits to sample from. When the cache cannot cut a sequence at that position, the slot is
   * cleared and the prompt decoded in full. Undefined when every slot is busy.
   */
  acquire(prompt: readonly number[]): SlotLease | undefined {
    let best: Slot | undefined;
    let bestShared = -1;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const shared = commonPrefixLength(slot.cached, prompt);
      if (shared > bestShared || (shared === bestShared && best !== undefined && slot.lastUsed < best.lastUsed)) {
        best = slot;
        bestShared = shared;
      }
    }
    if (best === undefined) return undefined;
    const reusedTokens = this.truncate(best, Math.min(bestShared, prompt.length - 1));
    best.busy = true;
    return { slot: best, reusedTokens };
  }

  /** Marks a slot free again; its cached tokens stay for later prefix reuse. */
  release(slot: Slot): void {
    slot.busy = false;
    slot.lastUsed = ++this.clock;
  }

  /** Forgets everything a slot holds (after a failed decode, the cache content is unknown). */
  clear(slot: Slot): void {
    this.context.kvRemove(slot.id, 0, -1);
    slot.cached = [];
  }

  /** Keeps the first `keep` cached tokens of `slot`; returns how many were actually kept. */
  private truncate(slot: Slot, keep: number): number {
    if (keep > 0 && this.context.kvRemove(slot.id, keep, -1)) {
      slot.cached.length = keep;
      return keep;
    }
    this.clear(slot);
    return 0;
  }
}
