/**
 * Sequence slots of the native context and the tokens each one holds in the KV cache. The cache is one pool of
 * cells shared by all sequences (unified KV): a slot holds one cell per cached position, busy or not. Idle slots
 * keep their cache for prefix reuse (a new request takes the free slot whose cache shares the longest prefix with
 * its prompt) until the pool needs their cells; then the least recently used are evicted first.
 */
import type { NativeContext } from "../native/types.js";

export interface Slot {
  /** Native sequence id. */
  readonly id: number;
  /** Tokens held in the KV cache at positions 0..cached.length-1 (one cell each). */
  cached: number[];
  busy: boolean;
  /** Monotonic counter of the last release (least recently used slots are evicted first). */
  lastUsed: number;
}

/** Where a request starts: its slot and how many of its tokens are already in the cache. */
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
  /** Cells of the pool (the context size). */
  readonly capacity: number;
  private clock = 0;

  constructor(private readonly context: NativeContext) {
    this.slots = Array.from({ length: context.sequences }, (_, id) => ({ id, cached: [], busy: false, lastUsed: 0 }));
    this.capacity = context.contextSize;
  }

  hasFree(): boolean {
    return this.slots.some((slot) => !slot.busy);
  }

  get busyCount(): number {
    return this.slots.filter((slot) => slot.busy).length;
  }

  /** Cells held by every slot, idle caches included. */
  get heldCells(): number {
    return this.slots.reduce((sum, slot) => sum + slot.cached.length, 0);
  }

  /** Cells held by busy slots (idle caches can be evicted, these cannot). */
  get busyCells(): number {
    return this.slots.reduce((sum, slot) => sum + (slot.busy ? slot.cached.length : 0), 0);
  }

  /**
   * Evicts idle caches, least recently used first, until `cells` more cells are free in the pool. The engine never
   * asks for more than the cells busy slots leave, so evicting every idle cache is always enough.
   */
  makeRoom(cells: number): void {
    let free = this.capacity - this.heldCells;
    const idle = this.slots.filter((slot) => !slot.busy && slot.cached.length > 0).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const slot of idle) {
      if (free >= cells) return;
      free += slot.cached.length;
      this.clear(slot);
    }
  }

  /**
   * Takes the free slot sharing the longest prefix with `tokens` (ties: least recently used), trims its cache to
   * that prefix and marks it busy. Tokens cached whole keep all but the last, so decoding that one yields the
   * logits to sample from. When the cache cannot cut a sequence at that position, the slot is cleared and the
   * tokens decoded in full. Undefined when every slot is busy.
   */
  acquire(tokens: readonly number[]): SlotLease | undefined {
    const best = this.bestFree(tokens);
    if (best === undefined) return undefined;
    const reusedTokens = this.truncate(best.slot, Math.min(best.shared, tokens.length - 1));
    best.slot.busy = true;
    return { slot: best.slot, reusedTokens };
  }

  /** Marks a slot free again; its cached tokens stay for later prefix reuse (until the pool needs the cells). */
  release(slot: Slot): void {
    slot.busy = false;
    slot.lastUsed = ++this.clock;
  }

  /**
   * Removes every position from `keep` on from a busy slot's cache (also ones decoded but not yet in `cached`,
   * such as rejected draft tokens); false (nothing changed) where the cache cannot cut there.
   */
  trim(slot: Slot, keep: number): boolean {
    if (!this.context.kvRemove(slot.id, keep, -1)) return false;
    if (keep < slot.cached.length) slot.cached.length = keep;
    return true;
  }

  /** Forgets everything a slot holds (after a failed decode, the cache content is unknown). */
  clear(slot: Slot): void {
    this.context.kvRemove(slot.id, 0, -1);
    slot.cached = [];
  }

  private bestFree(tokens: readonly number[]): { slot: Slot; shared: number } | undefined {
    let best: Slot | undefined;
    let bestShared = -1;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const shared = commonPrefixLength(slot.cached, tokens);
      if (shared > bestShared || (shared === bestShared && best !== undefined && slot.lastUsed < best.lastUsed)) {
        best = slot;
        bestShared = shared;
      }
    }
    return best && { slot: best, shared: bestShared };
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
