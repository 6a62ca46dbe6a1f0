/**
 * A check on hand-written GBNF before it reaches llama.cpp's grammar parser, for the one mistake that parser does
 * not survive: a repetition `{m,n}` with n < m makes it add rules without end (the thread hangs, memory runs out).
 * Every other mistake is the parser's to report (ERR_GRAMMAR_INVALID).
 */
import { GptOssError } from "../errors.js";

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
 * Throws when `grammar` has a repetition whose maximum is below its minimum (outside literals, character classes
 * and comments).
 * @throws GptOssError ERR_GRAMMAR_INVALID
 */
export function assertNoInvertedRepetition(grammar: string): void {
  for (let i = 0; i < grammar.length; i++) {
    const char = grammar[i];
    if (char === '"') {
      i = closingIndex(grammar, i, '"');
    } else if (char === "[") {
      i = closingIndex(grammar, i, "]");
    } else if (char === "#") {
      const lineEnd = grammar.indexOf("\n", i);
      i = lineEnd < 0 ? grammar.length : lineEnd;
    } else if (char === "{") {
      BOUNDED_REPETITION.lastIndex = i;
      const match = BOUNDED_REPETITION.exec(grammar);
      if (match && Number(match[2]) < Number(match[1])) {
        throw new GptOssError("ERR_GRAMMAR_INVALID", `The GBNF grammar repeats ${match[0]}: the maximum is below the minimum.`);
      }
    }
  }
}
