/**
 * Bounded memo of piece → token ids with approximate LRU eviction in O(1): entries live in a young and an old
 * generation; when the young one fills up it becomes the old one and the previous old one is dropped. A hit in the
 * old generation moves the entry back to the young one, so pieces in steady use survive.
 */
export class PieceCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  /** @param generationSize Entries per generation: at most twice this many are held. */
  constructor(private readonly generationSize: number) {}

  get(piece: string): V | undefined {
    const value = this.young.get(piece);
    if (value !== undefined) return value;
    const aged = this.old.get(piece);
    if (aged !== undefined) this.set(piece, aged);
    return aged;
  }

  set(piece: string, value: V): void {
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(piece, value);
  }
}
