/**
 * Byte-pair merging by rank, tiktoken style: start from single bytes and repeatedly merge the adjacent pair whose
 * concatenation has the lowest rank (leftmost on ties) until no adjacent pair is a token. Works on the piece
 * currently loaded in a {@link RankTable}; a token's rank is its id.
 */
import { NOT_A_TOKEN, type RankTable } from "./rank-table.js";

const NO_RANK = Number.MAX_SAFE_INTEGER;
/** Pieces longer than this use the O(n log n) heap merge instead of the O(n²) scan (faster below it). */
const HEAP_THRESHOLD = 128;
/** Heap keys pack (rank, start) as rank * 2^32 + start: ordered by rank, then leftmost. */
const POSITION_SPAN = 0x1_0000_0000;

/**
 * Boundaries of the parts that the loaded piece of `n` bytes (n ≥ 1) merges into: `[0, b1, b2, …, n]`, part k being
 * bytes `[b[k], b[k+1])`. Only tokens with rank `< rankLimit` may be formed (default: all).
 */
export function mergeBoundaries(ranks: RankTable, n: number, rankLimit = NO_RANK): number[] {
  return n > HEAP_THRESHOLD ? mergeWithHeap(ranks, n, rankLimit) : mergeByScan(ranks, n, rankLimit);
}

function rankOf(ranks: RankTable, start: number, end: number, rankLimit: number): number {
  const rank = ranks.get(start, end);
  return rank !== NOT_A_TOKEN && rank < rankLimit ? rank : NO_RANK;
}

function mergeByScan(ranks: RankTable, n: number, rankLimit: number): number[] {
  const bounds: number[] = new Array<number>(n + 1);
  for (let i = 0; i <= n; i++) bounds[i] = i;
  // pairRanks[i]: rank of parts i and i+1 merged.
  const pairRanks: number[] = new Array<number>(n - 1);
  for (let i = 0; i < n - 1; i++) pairRanks[i] = rankOf(ranks, i, i + 2, rankLimit);

  for (;;) {
    let best = NO_RANK;
    let at = -1;
    for (let i = 0; i < pairRanks.length; i++) {
      if (pairRanks[i]! < best) {
        best = pairRanks[i]!;
        at = i;
      }
    }
    if (at < 0) break;
    bounds.splice(at + 1, 1);
    pairRanks.splice(at + 1, 1);
    if (at + 1 < bounds.length - 1) {
      pairRanks[at] = rankOf(ranks, bounds[at]!, bounds[at + 2]!, rankLimit);
    } else {
      pairRanks.length = at; // the merged part is the last one: it has no right neighbour
    }
    if (at > 0) pairRanks[at - 1] = rankOf(ranks, bounds[at - 1]!, bounds[at + 1]!, rankLimit);
  }
  return bounds;
}

/** Same result as {@link mergeByScan}; parts form a linked list keyed by start offset, pairs sit in a min-heap. */
function mergeWithHeap(ranks: RankTable, n: number, rankLimit: number): number[] {
  const next = new Int32Array(n + 1);
  const prev = new Int32Array(n + 1);
  const alive = new Uint8Array(n + 1).fill(1);
  const pairRank = new Float64Array(n).fill(NO_RANK);
  for (let i = 0; i <= n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  const heap = new MinHeap();
  const updatePair = (start: number): void => {
    const right = next[start]!;
    if (right >= n) {
      pairRank[start] = NO_RANK;
      return;
    }
    const rank = rankOf(ranks, start, next[right]!, rankLimit);
    pairRank[start] = rank;
    if (rank !== NO_RANK) heap.push(rank * POSITION_SPAN + start);
  };
  for (let i = 0; i < n - 1; i++) updatePair(i);

  while (heap.size > 0) {
    const key = heap.pop();
    const start = key % POSITION_SPAN;
    const rank = (key - start) / POSITION_SPAN;
    if (!alive[start] || pairRank[start] !== rank) continue; // stale entry
    const right = next[start]!;
    alive[right] = 0;
    next[start] = next[right]!;
    prev[next[right]!] = start;
    updatePair(start);
    if (start > 0) updatePair(prev[start]!);
  }

  const bounds: number[] = [];
  for (let i = 0; i < n; i = next[i]!) bounds.push(i);
  bounds.push(n);
  return bounds;
}

/** Binary min-heap of numbers. */
class MinHeap {
  private items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(value: number): void {
    const items = this.items;
    let i = items.length;
    items.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }
  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    const n = items.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && items[child + 1]! < items[child]!) child++;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
