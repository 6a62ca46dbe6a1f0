/**
 * Builds the o200k_harmony vocabulary in the form a GGUF stores it (`tokenizer.ggml.tokens`, `.token_type`,
 * `.merges` for `tokenizer.ggml.model = "gpt2"`), from the o200k_base ranks shipped in js-tiktoken.
 *
 * Build-time only (fixture writer, tests): it loads the 2.3 MB rank table, so it is deliberately not re-exported
 * from the tokenizer's public entry point.
 */
import o200kBase from "js-tiktoken/ranks/o200k_base";
import { GptOssError } from "../errors.js";
import { mergeBoundaries } from "./bpe.js";
import { bytesToByteLevel } from "./byte-level.js";
import { RankTable } from "./rank-table.js";
import { FIRST_SPECIAL_ID, HARMONY_VOCAB_SIZE, specialTokenName } from "./special-tokens.js";
import { LlamaTokenType } from "./token-type.js";

export { LlamaTokenType };

/** The vocabulary arrays of a gpt-oss GGUF. */
export interface HarmonyVocab {
  /** Token text by id: byte-level (GPT-2) strings for BPE ranks, `<|name|>` for specials. 201088 entries. */
  tokens: string[];
  /** llama.cpp token type by id ({@link LlamaTokenType}). */
  tokenTypes: number[];
  /** BPE merges in priority order, `"A B"` with A and B byte-level strings. One per multi-byte rank. */
  merges: string[];
}

/** Decodes js-tiktoken's compact rank format: lines of `name firstRank base64Token base64Token …`. */
function decodeRanks(compact: string, rankCount: number): Buffer[] {
  const byRank: Buffer[] = new Array<Buffer>(rankCount);
  for (const line of compact.split("\n")) {
    if (line.length === 0) continue;
    const fields = line.split(" ");
    const firstRank = Number.parseInt(fields[1]!, 10);
    for (let i = 2; i < fields.length; i++) {
      const rank = firstRank + i - 2;
      if (!(rank >= 0 && rank < rankCount)) {
        throw new GptOssError("ERR_TOKENIZER_INVALID", `o200k_base rank ${rank} is outside 0..${rankCount - 1}`);
      }
      byRank[rank] = Buffer.from(fields[i]!, "base64");
    }
  }
  for (let rank = 0; rank < rankCount; rank++) {
    if (byRank[rank] === undefined) {
      throw new GptOssError("ERR_TOKENIZER_INVALID", `o200k_base rank table has no token for rank ${rank}`);
    }
  }
  return byRank;
}

let cached: HarmonyVocab | undefined;

/**
 * The full o200k_harmony vocabulary (201088 tokens): ids 0..199997 are the o200k_base ranks, the rest the harmony
 * special and reserved tokens of `special-tokens.ts`. Merges are recovered from the ranks the way tiktoken-to-HF
 * converters do it (replay BPE on each token with only lower ranks allowed; the last two parts are its merge), so
 * llama.cpp's merge-based BPE reproduces tiktoken's rank-based BPE.
 *
 * The result is computed once per process (about a second) and shared: treat it as read-only.
 */
export function buildHarmonyVocab(): HarmonyVocab {
  if (cached) return cached;
  const byRank = decodeRanks(o200kBase.bpe_ranks, FIRST_SPECIAL_ID);
  const tokenStart = new Uint32Array(FIRST_SPECIAL_ID + 1);
  for (let rank = 0; rank < FIRST_SPECIAL_ID; rank++) tokenStart[rank + 1] = tokenStart[rank]! + byRank[rank]!.length;
  const ranks = new RankTable(Buffer.concat(byRank), tokenStart, () => true);

  const tokens: string[] = new Array<string>(HARMONY_VOCAB_SIZE);
  const tokenTypes: number[] = new Array<number>(HARMONY_VOCAB_SIZE);
  const merges: string[] = [];
  for (let rank = 0; rank < FIRST_SPECIAL_ID; rank++) {
    const bytes = byRank[rank]!;
    tokens[rank] = bytesToByteLevel(bytes);
    tokenTypes[rank] = LlamaTokenType.normal;
    if (bytes.length < 2) continue;
    const bounds = mergeBoundaries(ranks, ranks.loadBytes(bytes), rank);
    if (bounds.length !== 3) {
      throw new GptOssError(
        "ERR_TOKENIZER_INVALID",
        `o200k_base rank ${rank} cannot be built from two lower-ranked tokens (got ${bounds.length - 1} parts)`,
      );
    }
    merges.push(`${bytesToByteLevel(bytes.subarray(0, bounds[1]))} ${bytesToByteLevel(bytes.subarray(bounds[1]))}`);
  }
  for (let id = FIRST_SPECIAL_ID; id < HARMONY_VOCAB_SIZE; id++) {
    tokens[id] = specialTokenName(id)!;
    tokenTypes[id] = LlamaTokenType.control;
  }
  cached = { tokens, tokenTypes, merges };
  return cached;
}
