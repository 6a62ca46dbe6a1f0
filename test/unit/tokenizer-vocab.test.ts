// The o200k_harmony vocabulary builder, checked against tiktoken's own copy of the ranks and against a
// merge-list BPE written here the way llama.cpp runs it.
import { get_encoding, type Tiktoken as WasmTiktoken } from "tiktoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BYTE_TO_CHAR } from "../../src/tokenizer/byte-level.js";
import { createPretokenizer } from "../../src/tokenizer/pretokenize.js";
import { FIRST_SPECIAL_ID, HARMONY_VOCAB_SIZE, specialTokenName } from "../../src/tokenizer/special-tokens.js";
import { buildHarmonyVocab, LlamaTokenType, type HarmonyVocab } from "../../src/tokenizer/vocab.js";
import { generateCorpus } from "../helpers/corpus.js";

let vocab: HarmonyVocab;
let buildMs: number;
let tiktoken: WasmTiktoken;

beforeAll(() => {
  const start = performance.now();
  vocab = buildHarmonyVocab();
  buildMs = performance.now() - start;
  tiktoken = get_encoding("o200k_base");
});
afterAll(() => tiktoken.free());

const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((ch, byte) => [ch, byte]));
const byteLevelBytes = (token: string): number[] => [...token].map((ch) => CHAR_TO_BYTE.get(ch)!);

describe("buildHarmonyVocab", () => {
  it("builds in a few seconds, once per process", () => {
    expect(buildMs).toBeLessThan(10_000);
    expect(buildHarmonyVocab()).toBe(vocab);
  });

  it("has 201088 tokens: o200k_base ranks as normal tokens, then the harmony specials as control tokens", () => {
    expect(vocab.tokens).toHaveLength(HARMONY_VOCAB_SIZE);
    expect(vocab.tokenTypes).toHaveLength(HARMONY_VOCAB_SIZE);
    expect(LlamaTokenType).toEqual({ normal: 1, control: 3, userDefined: 4 }); // llama.h LLAMA_TOKEN_TYPE_NORMAL / _CONTROL / _USER_DEFINED
    for (let id = 0; id < FIRST_SPECIAL_ID; id++) {
      if (vocab.tokenTypes[id] !== LlamaTokenType.normal) expect.fail(`token ${id} has type ${vocab.tokenTypes[id]}`);
    }
    for (let id = FIRST_SPECIAL_ID; id < HARMONY_VOCAB_SIZE; id++) {
      expect(vocab.tokens[id]).toBe(specialTokenName(id));
      expect(vocab.tokenTypes[id]).toBe(LlamaTokenType.control);
    }
    expect(vocab.tokens[200006]).toBe("<|start|>");
    expect(vocab.tokens[201087]).toBe("<|reserved_201087|>");
  });

  it("writes bytes with GPT-2's byte-to-unicode table", () => {
    // Printable Latin-1 maps to itself; the other 68 bytes map in order to U+0100…: NUL → Ā, space → Ġ, DEL → ġ,
    // NBSP → ł, soft hyphen → Ń.
    const expected: Array<[number, string]> = [
      [0x00, "Ā"], [0x09, "ĉ"], [0x0a, "Ċ"], [0x20, "Ġ"], [0x21, "!"], [0x41, "A"], [0x7e, "~"], [0x7f, "ġ"],
      [0xa0, "ł"], [0xa1, "¡"], [0xac, "¬"], [0xad, "Ń"], [0xae, "®"], [0xff, "ÿ"],
    ];
    for (const [byte, ch] of expected) expect(BYTE_TO_CHAR[byte]).toBe(ch);
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    expect(vocab.tokens[tiktoken.encode(" the")[0]!]).toBe("Ġthe");
    expect(vocab.tokens[tiktoken.encode("\n\n")[0]!]).toBe("ĊĊ");
  });

  it("has exactly tiktoken's bytes for every rank", () => {
    for (let id = 0; id < FIRST_SPECIAL_ID; id++) {
      const expected = tiktoken.decode_single_token_bytes(id);
      const actual = byteLevelBytes(vocab.tokens[id]!);
      if (actual.length !== expected.length || actual.some((b, i) => b !== expected[i])) {
        expect.fail(`token ${id}: ${JSON.stringify(vocab.tokens[id])} is not the bytes [${expected.join(",")}]`);
      }
    }
  });

  it("has one merge per multi-byte token, in rank order, made of two lower-ranked tokens", () => {
    const idOf = new Map(vocab.tokens.slice(0, FIRST_SPECIAL_ID).map((token, id) => [token, id]));
    const multiByte = vocab.tokens.slice(0, FIRST_SPECIAL_ID).filter((token) => [...token].length > 1);
    expect(vocab.merges).toHaveLength(multiByte.length);
    const bad = vocab.merges.filter((merge, index) => {
      const parts = merge.split(" ");
      if (parts.length !== 2 || parts[0]! + parts[1]! !== multiByte[index]) return true;
      const id = idOf.get(multiByte[index]!)!;
      return !(idOf.get(parts[0]!)! < id && idOf.get(parts[1]!)! < id);
    });
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it("lets a merge-list BPE (llama.cpp's algorithm) reproduce tiktoken's ids", () => {
    const mergeRank = new Map(vocab.merges.map((merge, rank) => [merge, rank]));
    const idOf = new Map(vocab.tokens.slice(0, FIRST_SPECIAL_ID).map((token, id) => [token, id]));
    const mergeBpe = (piece: string): number[] => {
      const symbols = [...Buffer.from(piece)].map((byte) => BYTE_TO_CHAR[byte]!);
      for (;;) {
        let best = -1;
        let bestRank = Infinity;
        for (let i = 0; i + 1 < symbols.length; i++) {
          const rank = mergeRank.get(`${symbols[i]} ${symbols[i + 1]}`);
          if (rank !== undefined && rank < bestRank) [best, bestRank] = [i, rank];
        }
        if (best < 0) return symbols.map((symbol) => idOf.get(symbol)!);
        symbols.splice(best, 2, symbols[best]! + symbols[best + 1]!);
      }
    };
    const pretokenizer = createPretokenizer();
    for (const doc of generateCorpus({ seed: 7, targetBytes: 400_000 })) {
      const text = doc.replace(/\p{Cs}/gu, "\uFFFD");
      const ids = (text.match(pretokenizer) ?? []).flatMap(mergeBpe);
      expect(ids).toEqual(Array.from(tiktoken.encode(text)));
    }
  });
});
