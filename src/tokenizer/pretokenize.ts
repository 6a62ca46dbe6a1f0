/**
 * The o200k pre-tokenization pattern (tiktoken `o200k_base` / `o200k_harmony`), written for JavaScript's Unicode
 * regular expressions so that it splits text exactly like tiktoken's Rust regex engine:
 *
 * - `\s` is the Unicode `White_Space` property, as in Rust (JavaScript's own `\s` adds U+FEFF and lacks U+0085).
 * - The contraction suffix is case-insensitive as in `(?i:'s|'t|'re|'ve|'m|'ll|'d)`, including the one non-ASCII
 *   simple case fold among those letters: `ſ` (U+017F LATIN SMALL LETTER LONG S) matches `s`.
 * - Combining marks (`\p{M}`) belong to the letter classes, so " हिन्दी" stays one piece (llama.cpp's own
 *   gpt-4o pattern drops `\p{M}` and splits it at every mark).
 */

const SPACE = String.raw`\p{White_Space}`;
const NOT_SPACE = String.raw`\P{White_Space}`;
const UPPER = String.raw`[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`;
const LOWER = String.raw`[\p{Ll}\p{Lm}\p{Lo}\p{M}]`;
const LEAD = String.raw`[^\r\n\p{L}\p{N}]`;
const CONTRACTION = String.raw`(?:'[sS\u017F]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])`;

/** The pattern source; one alternative per line of tiktoken's definition, in the same order. */
const O200K_PATTERN_SOURCE = [
  String.raw`${LEAD}?${UPPER}*${LOWER}+${CONTRACTION}?`,
  String.raw`${LEAD}?${UPPER}+${LOWER}*${CONTRACTION}?`,
  String.raw`\p{N}{1,3}`,
  String.raw` ?[^${SPACE}\p{L}\p{N}]+[\r\n/]*`,
  String.raw`${SPACE}*[\r\n]+`,
  String.raw`${SPACE}+(?!${NOT_SPACE})`,
  String.raw`${SPACE}+`,
].join("|");

/** A fresh global, Unicode-aware matcher for {@link O200K_PATTERN_SOURCE} (regexes with `g` carry state). */
export function createPretokenizer(): RegExp {
  return new RegExp(O200K_PATTERN_SOURCE, "gu");
}
