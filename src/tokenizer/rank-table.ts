/**
 * Token lookup by bytes for BPE: "is bytes[start, end) of the current piece a token, and which?" in O(1) for the hash
 * plus one byte comparison on a hit, with no string or array allocated per lookup.
 *
 * A piece is loaded once ({@link RankTable.loadString} / {@link RankTable.loadBytes}); its prefix hashes make the
 * polynomial hash of any sub-range computable from two prefixes. Tokens live in an open-addressing table keyed by
 * the same hash, and every hash match is confirmed byte for byte.
 */

/** Multiplier of the polynomial hash (odd, so powers never become 0 modulo 2^32). */
const HASH_BASE = 0x01000193;

/** Returned by {@link RankTable.get} for bytes that are not a token. */
export const NOT_A_TOKEN = -1;

export class RankTable {
  /** Bytes of the currently loaded piece. */
  private piece = new Uint8Array(256);
  /** prefix[i] = hash of piece[0, i). */
  private prefix = new Int32Array(257);
  /** powers[k] = HASH_BASE^k modulo 2^32. */
  private powers = new Int32Array(257);
  private readonly slotIds: Int32Array;
  private readonly slotHashes: Int32Array;
  private readonly mask: number;

  /**
   * @param tokenBytes All tokens' bytes back to back; token `id` is `tokenBytes[tokenStart[id], tokenStart[id + 1])`.
   * @param includes Whether token `id` takes part in BPE (specials do not). For equal bytes the lowest id wins.
   */
  constructor(
    private readonly tokenBytes: Uint8Array,
    private readonly tokenStart: Uint32Array,
    includes: (id: number) => boolean,
  ) {
    this.growPowers(this.powers.length);
    const count = tokenStart.length - 1;
    let size = 1024;
    while (size < count * 2) size *= 2;
    this.mask = size - 1;
    this.slotIds = new Int32Array(size).fill(NOT_A_TOKEN);
    this.slotHashes = new Int32Array(size);
    for (let id = 0; id < count; id++) {
      if (!includes(id)) continue;
      const start = tokenStart[id]!;
      const end = tokenStart[id + 1]!;
      let hash = 0;
      for (let i = start; i < end; i++) hash = (Math.imul(hash, HASH_BASE) + tokenBytes[i]! + 1) | 0;
      let slot = this.slotOf(hash);
      for (; this.slotIds[slot] !== NOT_A_TOKEN; slot = (slot + 1) & this.mask) {
        if (this.slotHashes[slot] === hash && this.equalsToken(this.slotIds[slot]!, tokenBytes, start, end)) break;
      }
      if (this.slotIds[slot] === NOT_A_TOKEN) {
        this.slotIds[slot] = id;
        this.slotHashes[slot] = hash;
      }
    }
  }

  /** Loads the UTF-8 bytes of `text` as the current piece (a lone surrogate becomes U+FFFD); returns their count. */
  loadString(text: string): number {
    this.ensureCapacity(text.length * 3);
    const piece = this.piece;
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      if (code < 0x80) {
        piece[n++] = code;
      } else if (code < 0x800) {
        piece[n++] = 0xc0 | (code >> 6);
        piece[n++] = 0x80 | (code & 0x3f);
      } else {
        if (code >= 0xd800 && code <= 0xdfff) {
          const low = code <= 0xdbff && i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
          if (low >= 0xdc00 && low <= 0xdfff) {
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
            i++;
            piece[n++] = 0xf0 | (code >> 18);
            piece[n++] = 0x80 | ((code >> 12) & 0x3f);
            piece[n++] = 0x80 | ((code >> 6) & 0x3f);
            piece[n++] = 0x80 | (code & 0x3f);
            continue;
          }
          code = 0xfffd;
        }
        piece[n++] = 0xe0 | (code >> 12);
        piece[n++] = 0x80 | ((code >> 6) & 0x3f);
        piece[n++] = 0x80 | (code & 0x3f);
      }
    }
    this.hashPrefixes(n);
    return n;
  }

  /** Loads `bytes` as the current piece; returns their count. */
  loadBytes(bytes: Uint8Array): number {
    this.ensureCapacity(bytes.length);
    this.piece.set(bytes);
    this.hashPrefixes(bytes.length);
    return bytes.length;
  }

  /** Id of the token whose bytes are `[start, end)` of the current piece, or {@link NOT_A_TOKEN}. */
  get(start: number, end: number): number {
    const hash = (this.prefix[end]! - Math.imul(this.prefix[start]!, this.powers[end - start]!)) | 0;
    for (let slot = this.slotOf(hash); ; slot = (slot + 1) & this.mask) {
      const id = this.slotIds[slot]!;
      if (id === NOT_A_TOKEN) return NOT_A_TOKEN;
      if (this.slotHashes[slot] === hash && this.equalsToken(id, this.piece, start, end)) return id;
    }
  }

  private slotOf(hash: number): number {
    let x = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
    x ^= x >>> 16;
    return x & this.mask;
  }

  private equalsToken(id: number, bytes: Uint8Array, start: number, end: number): boolean {
    const tokenStart = this.tokenStart[id]!;
    if (this.tokenStart[id + 1]! - tokenStart !== end - start) return false;
    const tokenBytes = this.tokenBytes;
    for (let i = start, j = tokenStart; i < end; i++, j++) if (bytes[i] !== tokenBytes[j]) return false;
    return true;
  }

  private hashPrefixes(n: number): void {
    const piece = this.piece;
    const prefix = this.prefix;
    let hash = 0;
    for (let i = 0; i < n; i++) prefix[i + 1] = hash = (Math.imul(hash, HASH_BASE) + piece[i]! + 1) | 0;
  }

  private ensureCapacity(bytes: number): void {
    if (bytes <= this.piece.length) return;
    let size = this.piece.length;
    while (size < bytes) size *= 2;
    this.piece = new Uint8Array(size);
    this.prefix = new Int32Array(size + 1);
    this.growPowers(size + 1);
  }

  private growPowers(length: number): void {
    const powers = new Int32Array(length);
    powers[0] = 1;
    for (let k = 1; k < length; k++) powers[k] = Math.imul(powers[k - 1]!, HASH_BASE);
    this.powers = powers;
  }
}
