// The Tokenizer's contract on small hand-made vocabularies (expected ids worked out by hand from the rank rule),
// its errors, and loading from a GGUF file.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { get_encoding } from "tiktoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GptOssError } from "../../src/errors.js";
import { gguf, GgufValueType, writeGguf } from "../../src/gguf/index.js";
import { BYTE_TO_CHAR } from "../../src/tokenizer/byte-level.js";
import { HarmonyToken, loadTokenizer, Tokenizer } from "../../src/tokenizer/index.js";
import { buildHarmonyVocab } from "../../src/tokenizer/vocab.js";

const byteLevel = (text: string): string => [...Buffer.from(text)].map((b) => BYTE_TO_CHAR[b]!).join("");
/** Ids 0..255 are the single bytes in byte order; `extra` follow from id 256 on. */
const toyVocab = (extra: string[]): string[] => [...BYTE_TO_CHAR, ...extra];
const id = (text: string): number => Buffer.from(text)[0]!;

function expectError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GptOssError);
    expect((error as GptOssError).code).toBe(code);
    return;
  }
  expect.fail(`expected a GptOssError ${code}`);
}

describe("Tokenizer on a toy vocabulary", () => {
  it("merges the lowest-ranked adjacent pair first", () => {
    // "bc" (256) outranks "ab" (257): a|b|c → a|bc → "abc" (258) is the pair a+bc, so it merges too.
    const tokenizer = Tokenizer.fromVocab({ tokens: toyVocab(["bc", "ab", "abc"]) });
    expect(tokenizer.encode("abc")).toEqual([258]);
    expect(tokenizer.encode("abd")).toEqual([257, id("d")]);
    // "ab" first (256) leaves ab|c, and "abc" is not a token of this vocabulary.
    const other = Tokenizer.fromVocab({ tokens: toyVocab(["ab", "bc"]) });
    expect(other.encode("abc")).toEqual([256, id("c")]);
  });

  it("prefers the leftmost pair on equal ranks and splits words with the o200k pattern", () => {
    const tokenizer = Tokenizer.fromVocab({ tokens: toyVocab(["aa", byteLevel(" x")]) });
    expect(tokenizer.encode("aaa")).toEqual([256, id("a")]);
    expect(tokenizer.encode("aa x")).toEqual([256, 257]);
    expect(tokenizer.vocabSize).toBe(258);
  });

  it("keeps specials out of BPE: typed text never becomes a special id", () => {
    const tokens = toyVocab(["<|go|>", "<|", "|>"]);
    const tokenizer = Tokenizer.fromVocab({ tokens, tokenTypes: tokens.map((_, i) => (i === 256 ? 3 : 1)) });
    expect(tokenizer.isSpecial(256)).toBe(true);
    expect(tokenizer.isSpecial(257)).toBe(false);
    expect(tokenizer.specialId("<|go|>")).toBe(256);
    expect(tokenizer.encode("<|go|>")).toEqual([257, id("g"), id("o"), 258]);
    expect(tokenizer.encodeWithSpecials("a<|go|>b")).toEqual([id("a"), 256, id("b")]);
    expect(tokenizer.decode([256, id("!")])).toBe("<|go|>!");
  });

  it("without token types, treats <|…|> tokens as specials", () => {
    const tokenizer = Tokenizer.fromVocab({ tokens: toyVocab(["<|go|>"]) });
    expect(tokenizer.isSpecial(256)).toBe(true);
    expect(tokenizer.encode("<|go|>")).not.toContain(256);
  });

  it("keeps a leading byte-order mark when decoding", () => {
    const tokenizer = Tokenizer.fromVocab({ tokens: toyVocab([]) });
    expect(tokenizer.decode(tokenizer.encode("\ufeffx"))).toBe("\ufeffx");
    expect(Array.from(tokenizer.decodeBytes([0xef, 0xbb, 0xbf]))).toEqual([0xef, 0xbb, 0xbf]);
  });
});

describe("Tokenizer errors", () => {
  it("rejects vocabularies it cannot tokenize with", () => {
    expectError(() => Tokenizer.fromVocab({ tokens: [] }), "ERR_TOKENIZER_INVALID");
    expectError(() => Tokenizer.fromVocab({ tokens: BYTE_TO_CHAR.slice(1) }), "ERR_TOKENIZER_INVALID");
    expectError(() => Tokenizer.fromVocab({ tokens: toyVocab(["€uro"]) }), "ERR_TOKENIZER_INVALID");
    expectError(() => Tokenizer.fromVocab({ tokens: toyVocab([]), tokenTypes: [1] }), "ERR_TOKENIZER_INVALID");
  });

  it("throws for unknown special names and out-of-range ids", () => {
    const tokenizer = Tokenizer.fromVocab({ tokens: toyVocab([]) });
    expectError(() => tokenizer.specialId("<|start|>"), "ERR_TOKENIZER_INVALID");
    expectError(() => tokenizer.decode([256]), "ERR_INVALID_ARGUMENT");
    expectError(() => tokenizer.decodeBytes([-1]), "ERR_INVALID_ARGUMENT");
    expectError(() => tokenizer.createStreamDecoder().write(1.5), "ERR_INVALID_ARGUMENT");
  });
});

describe("Tokenizer on o200k_harmony", () => {
  it("stays exact once the piece cache starts evicting (> 100k distinct words)", () => {
    const tokenizer = Tokenizer.fromVocab(buildHarmonyVocab());
    const words: string[] = [];
    for (let i = 0; i < 130_000; i++) {
      let word = " ";
      for (let n = i + 26 * 26 * 26; n > 0; n = Math.floor(n / 26)) word += String.fromCharCode(97 + (n % 26));
      words.push(word);
    }
    const text = words.join("");
    const tiktoken = get_encoding("o200k_base");
    try {
      const expected = tiktoken.encode(text);
      const sameAsExpected = (ids: number[]): boolean =>
        ids.length === expected.length && ids.every((value, i) => value === expected[i]);
      expect(sameAsExpected(tokenizer.encode(text))).toBe(true);
      expect(sameAsExpected(tokenizer.encode(text))).toBe(true); // now with a cache that has evicted entries
    } finally {
      tiktoken.free();
    }
  });
});

describe("loadTokenizer", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gpt-oss-tokenizer-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const writeVocabGguf = async (name: string, metadata: Array<[string, ReturnType<typeof gguf.str>]>): Promise<string> => {
    const path = join(dir, name);
    await writeGguf(path, { metadata, tensors: [] });
    return path;
  };

  it("builds the tokenizer from the GGUF's own tokens and token types", async () => {
    const vocab = buildHarmonyVocab();
    const path = await writeVocabGguf("harmony.gguf", [
      ["tokenizer.ggml.model", gguf.str("gpt2")],
      ["tokenizer.ggml.tokens", gguf.array(GgufValueType.STRING, vocab.tokens)],
      ["tokenizer.ggml.token_type", gguf.array(GgufValueType.INT32, vocab.tokenTypes)],
    ]);
    const tokenizer = await loadTokenizer(path);
    expect(tokenizer.vocabSize).toBe(201_088);
    expect(tokenizer.encode("hello world")).toEqual([24912, 2375]);
    expect(tokenizer.specialId("<|start|>")).toBe(HarmonyToken.start);
    expect(tokenizer.isSpecial(HarmonyToken.call)).toBe(true);
  });

  it("rejects a GGUF that is not a byte-level BPE model", async () => {
    const llama = await writeVocabGguf("llama.gguf", [
      ["tokenizer.ggml.model", gguf.str("llama")],
      ["tokenizer.ggml.tokens", gguf.array(GgufValueType.STRING, toyVocab([]))],
    ]);
    await expect(loadTokenizer(llama)).rejects.toMatchObject({ code: "ERR_TOKENIZER_INVALID" });
    const noTokens = await writeVocabGguf("empty.gguf", [["tokenizer.ggml.model", gguf.str("gpt2")]]);
    await expect(loadTokenizer(noTokens)).rejects.toMatchObject({ code: "ERR_TOKENIZER_INVALID" });
  });
});
