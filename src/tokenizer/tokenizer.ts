import { GptOssError } from "../errors.js";
import { mergeBoundaries } from "./bpe.js";
import { byteLevelToBinary } from "./byte-level.js";
import { PieceCache } from "./piece-cache.js";
import { createPretokenizer } from "./pretokenize.js";
import { NOT_A_TOKEN, RankTable } from "./rank-table.js";
import { createStreamDecoder, type StreamDecoder } from "./stream-decoder.js";
import { LlamaTokenType } from "./token-type.js";

/** A vocabulary as a GGUF stores it (`tokenizer.ggml.tokens` and, optionally, `tokenizer.ggml.token_type`). */
export interface TokenizerVocab {
  /** Token text by id: GPT-2 byte-level strings for BPE tokens, plain text (e.g. `<|start|>`) for specials. */
  tokens: readonly string[];
  /**
   * llama.cpp token types by id. Control (3) and user-defined (4) tokens are specials; every other token must be
   * byte-level. Default when absent: a token is special when its text has the form `<|…|>`.
   */
  tokenTypes?: readonly number[];
}

const SPECIAL_SHAPE = /^<\|[^]*\|>$/;
/** Distinct pieces per cache generation (so 50k to 100k recently used pieces are remembered). */
const PIECE_CACHE_GENERATION = 50_000;
/** Longer pieces (long whitespace runs, unspaced CJK paragraphs) are not worth a cache slot. */
const PIECE_CACHE_MAX_LENGTH = 256;
/** Non-streaming decoding is stateless, so one decoder serves every call. Keeps a leading U+FEFF as text. */
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Byte-level BPE tokenizer for the o200k family, built from a model's own vocabulary. It produces the same ids as
 * OpenAI's tiktoken: text is split with the o200k pattern, and each piece is merged by token rank (rank = id), so no
 * merge list is needed.
 *
 * All text passed to {@link Tokenizer.encode} is ordinary text: special-token strings such as `<|start|>` typed by a
 * user encode as plain BPE tokens, never as control tokens. Structural tokens are requested by name with
 * {@link Tokenizer.specialId}.
 */
export class Tokenizer {
  /** Number of ids in the vocabulary (ids are `0 … vocabSize - 1`). */
  readonly vocabSize: number;
  private readonly ranks: RankTable;
  private readonly bytesStart: Uint32Array;
  private readonly bytesData: Uint8Array;
  private readonly specialFlags: Uint8Array;
  private readonly specialIds: Map<string, number>;
  private readonly pretokenizer = createPretokenizer();
  private readonly pieceCache = new PieceCache<number | readonly number[]>(PIECE_CACHE_GENERATION);
  private specialsPattern: RegExp | undefined;

  private constructor(vocab: TokenizerVocab) {
    const { tokens, tokenTypes } = vocab;
    if (tokens.length === 0) throw invalid("the vocabulary is empty");
    if (tokenTypes && tokenTypes.length !== tokens.length) {
      throw invalid(`${tokens.length} tokens but ${tokenTypes.length} token types`);
    }
    this.vocabSize = tokens.length;
    this.specialFlags = new Uint8Array(tokens.length);
    this.specialIds = new Map();
    const binaries: string[] = new Array<string>(tokens.length);
    let byteCount = 0;
    for (let id = 0; id < tokens.length; id++) {
      const text = tokens[id]!;
      const type = tokenTypes?.[id];
      const special =
        type === undefined ? SPECIAL_SHAPE.test(text) : type === LlamaTokenType.control || type === LlamaTokenType.userDefined;
      let binary: string | undefined;
      if (special) {
        this.specialFlags[id] = 1;
        if (!this.specialIds.has(text)) this.specialIds.set(text, id);
        binary = String.fromCharCode(...new TextEncoder().encode(text));
      } else {
        binary = byteLevelToBinary(text);
        if (binary === undefined || binary.length === 0) {
          throw invalid(`token ${id} (${JSON.stringify(text)}) is not a GPT-2 byte-level string`);
        }
      }
      binaries[id] = binary;
      byteCount += binary.length;
    }
    this.bytesStart = new Uint32Array(tokens.length + 1);
    this.bytesData = new Uint8Array(byteCount);
    let offset = 0;
    for (let id = 0; id < tokens.length; id++) {
      this.bytesStart[id] = offset;
      const binary = binaries[id]!;
      for (let i = 0; i < binary.length; i++) this.bytesData[offset++] = binary.charCodeAt(i);
    }
    this.bytesStart[tokens.length] = offset;
    this.ranks = new RankTable(this.bytesData, this.bytesStart, (id) => this.specialFlags[id] === 0);
    for (let byte = 0; byte < 256; byte++) {
      if (this.ranks.get(0, this.ranks.loadBytes(Uint8Array.of(byte))) === NOT_A_TOKEN) {
        throw invalid(`no token for the single byte 0x${byte.toString(16).padStart(2, "0")}`);
      }
    }
  }

  /**
   * Builds a tokenizer from a vocabulary (as read from a GGUF, or from `buildHarmonyVocab()`).
   * @throws GptOssError `ERR_TOKENIZER_INVALID` when a non-special token is not byte-level text or a single byte has
   *   no token.
   */
  static fromVocab(vocab: TokenizerVocab): Tokenizer {
    return new Tokenizer(vocab);
  }

  /** Token ids of `text`, treating all of it as ordinary text (special-token strings are not recognised). */
  encode(text: string): number[] {
    const ids: number[] = [];
    this.encodeOrdinaryInto(text, ids);
    return ids;
  }

  /**
   * Token ids of `text` where every special token's text (e.g. `<|start|>`) becomes that special id, like tiktoken's
   * `encode(text, allowed_special="all")`. For tests and reference comparisons only: never use it on user content.
   */
  encodeWithSpecials(text: string): number[] {
    const pattern = (this.specialsPattern ??= buildSpecialsPattern([...this.specialIds.keys()]));
    const ids: number[] = [];
    let start = 0;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      this.encodeOrdinaryInto(text.slice(start, match.index), ids);
      ids.push(this.specialIds.get(match[0])!);
      start = match.index + match[0].length;
    }
    this.encodeOrdinaryInto(text.slice(start), ids);
    return ids;
  }

  /** Text of `ids`. Special tokens render as their text; invalid UTF-8 becomes U+FFFD. */
  decode(ids: readonly number[]): string {
    return utf8Decoder.decode(this.decodeBytes(ids));
  }

  /**
   * Raw bytes of `ids` concatenated (special tokens as the UTF-8 of their text).
   * @throws GptOssError `ERR_INVALID_ARGUMENT` for an id that is not an integer in `0 … vocabSize - 1`.
   */
  decodeBytes(ids: readonly number[]): Uint8Array {
    let length = 0;
    for (const id of ids) {
      this.checkId(id);
      length += this.bytesStart[id + 1]! - this.bytesStart[id]!;
    }
    const out = new Uint8Array(length);
    let offset = 0;
    for (const id of ids) {
      const bytes = this.tokenBytes(id);
      out.set(bytes, offset);
      offset += bytes.length;
    }
    return out;
  }

  /**
   * A decoder for ids that arrive one at a time. `write` returns only complete characters, holding back the bytes
   * of a character split across tokens until the rest arrives; `flush` ends the stream (an unfinished character
   * becomes U+FFFD). Concatenating every `write` and the `flush` equals {@link Tokenizer.decode} of all ids.
   */
  createStreamDecoder(): StreamDecoder {
    return createStreamDecoder((id) => {
      this.checkId(id);
      return this.tokenBytes(id);
    });
  }

  /**
   * Id of the special token named `name` (its full text, e.g. `"<|start|>"`).
   * @throws GptOssError `ERR_TOKENIZER_INVALID` when the vocabulary has no such special token.
   */
  specialId(name: string): number {
    const id = this.specialIds.get(name);
    if (id === undefined) {
      throw new GptOssError("ERR_TOKENIZER_INVALID", `the vocabulary has no special token ${JSON.stringify(name)}`);
    }
    return id;
  }

  /** True when `id` is a special (control) token; false for ordinary tokens and ids outside the vocabulary. */
  isSpecial(id: number): boolean {
    return this.specialFlags[id] === 1;
  }

  private tokenBytes(id: number): Uint8Array {
    return this.bytesData.subarray(this.bytesStart[id]!, this.bytesStart[id + 1]!);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new GptOssError("ERR_INVALID_ARGUMENT", `token id ${id} is outside 0..${this.vocabSize - 1}`);
    }
  }

  private encodeOrdinaryInto(text: string, ids: number[]): void {
    const pieces = text.match(this.pretokenizer);
    if (pieces === null) return;
    const cache = this.pieceCache;
    for (const piece of pieces) {
      const cached = cache.get(piece) ?? this.encodePiece(piece);
      if (typeof cached === "number") ids.push(cached);
      else for (const id of cached) ids.push(id);
    }
  }

  private encodePiece(piece: string): number | readonly number[] {
    const ranks = this.ranks;
    const n = ranks.loadString(piece);
    const whole = ranks.get(0, n);
    let result: number | readonly number[];
    if (whole !== NOT_A_TOKEN) {
      result = whole;
    } else {
      const bounds = mergeBoundaries(ranks, n);
      const parts: number[] = new Array<number>(bounds.length - 1);
      for (let k = 0; k < parts.length; k++) parts[k] = ranks.get(bounds[k]!, bounds[k + 1]!);
      result = parts;
    }
    if (piece.length <= PIECE_CACHE_MAX_LENGTH) this.pieceCache.set(piece, result);
    return result;
  }
}

function invalid(reason: string): GptOssError {
  return new GptOssError("ERR_TOKENIZER_INVALID", `cannot build a tokenizer: ${reason}`);
}

function buildSpecialsPattern(names: string[]): RegExp {
  const escaped = names
    .sort((a, b) => b.length - a.length)
    .map((name) => name.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&"));
  return new RegExp(escaped.join("|"), "g");
}
