/**
 * Checks on GBNF before it reaches llama.cpp's grammar parser, which runs before any generation: the one mistake
 * that parser does not survive (a repetition `{m,n}` with n < m makes it add rules without end: the thread hangs,
 * memory runs out), and the size of what it would build (SCHEMA_LIMITS.maxGrammarBytes and maxGrammarRules), so no
 * grammar — hand-written or built from a schema — keeps it busy for long. Every other mistake is the parser's to
 * report (ERR_GRAMMAR_INVALID).
 */
import { GptOssError } from "../errors.js";
import { limitName, SCHEMA_LIMITS } from "./json-schema.js";

/** `{m,n}` at a given index, blanks allowed as llama.cpp allows them. */
const BOUNDED_REPETITION = /\{\s*(\d+)\s*,\s*(\d+)\s*\}/y;

/** Index of the unescaped `close` ending the literal or character class opened at `start` (or the text's end). */
function closingIndex(text: string, start: number, close: string): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === close) return i;
  }
  return text.length;
}

/**
 * Walks `grammar` outside its literals, character classes and comments, calling `visit` at every other character;
 * `visit` returns how many characters after that one it has consumed (0: go on with the next).
 */
function scanGrammar(grammar: string, visit: (char: string, index: number) => number): void {
  for (let i = 0; i < grammar.length; i++) {
    const char = grammar[i]!;
    if (char === '"') {
      i = closingIndex(grammar, i, '"');
    } else if (char === "[") {
      i = closingIndex(grammar, i, "]");
    } else if (char === "#") {
      const lineEnd = grammar.indexOf("\n", i);
      i = lineEnd < 0 ? grammar.length : lineEnd;
    } else {
      i += visit(char, i);
    }
  }
}

/**
 * Throws when `grammar` has a repetition whose maximum is below its minimum (outside literals, character classes
 * and comments).
 * @throws GptOssError ERR_GRAMMAR_INVALID
 */
export function assertNoInvertedRepetition(grammar: string): void {
  scanGrammar(grammar, (char, i) => {
    if (char !== "{") return 0;
    BOUNDED_REPETITION.lastIndex = i;
    const match = BOUNDED_REPETITION.exec(grammar);
    if (match && Number(match[2]) < Number(match[1])) {
      throw new GptOssError("ERR_GRAMMAR_INVALID", `The GBNF grammar repeats ${match[0]}: the maximum is below the minimum.`);
    }
    return 0;
  });
}

/** `{m}`, `{m,}` or `{m,n}` at a given index, blanks allowed as llama.cpp allows them. */
const REPETITION = /\{\s*(\d+)\s*(,\s*(\d*)\s*)?\}/y;

/** Counts above this llama.cpp does not expand: a larger maximum means "no maximum" (one rule). */
const NATIVE_MAX_REPETITION = 2000;

/**
 * About how many rules llama.cpp makes of `grammar`: one per rule and per group, one per `* + ?`, and n − m for each
 * `{m,n}` (one per optional occurrence; the m required copies are inlined, which costs far less). Literals,
 * character classes and comments are skipped.
 */
export function grammarRuleCount(grammar: string): number {
  let rules = 0;
  scanGrammar(grammar, (char, i) => {
    if (char === "(" || char === "*" || char === "+" || char === "?") {
      rules++;
    } else if (char === ":" && grammar.startsWith("::=", i)) {
      rules++;
      return 2;
    } else if (char === "{") {
      REPETITION.lastIndex = i;
      const match = REPETITION.exec(grammar);
      if (!match) return 0;
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : match[3] === "" ? min + 1 : Number(match[3]);
      rules += max > NATIVE_MAX_REPETITION ? 1 : Math.max(0, max - min);
      return match[0].length - 1;
    }
    return 0;
  });
  return rules;
}

/**
 * Throws when a hand-written grammar has an inverted repetition or is over SCHEMA_LIMITS.maxGrammarBytes or
 * maxGrammarRules.
 * @throws GptOssError ERR_GRAMMAR_INVALID
 */
export function assertGrammarUsable(grammar: string): void {
  assertNoInvertedRepetition(grammar);
  const bytes = Buffer.byteLength(grammar);
  if (bytes > SCHEMA_LIMITS.maxGrammarBytes) {
    throw new GptOssError("ERR_GRAMMAR_INVALID", `The GBNF grammar has ${bytes} bytes, over the limit (${limitName("maxGrammarBytes")}).`);
  }
  const rules = grammarRuleCount(grammar);
  if (rules > SCHEMA_LIMITS.maxGrammarRules) {
    throw new GptOssError("ERR_GRAMMAR_INVALID", `The GBNF grammar expands to about ${rules} rules, over the limit (${limitName("maxGrammarRules")}).`);
  }
}
