/**
 * Counted repetition `item{min,max}` written so that llama.cpp's grammar parser takes it whole and cheaply.
 *
 * llama.cpp refuses a minimum over 2000 and turns a maximum over 2000 into "no maximum" (the bound would silently
 * go), and makes one rule per optional occurrence (`x{0,999}`: 999 rules, about 3 µs each, parsed before any
 * generation). So a long optional run is split into chunks: `x{0,k}` becomes
 * `( ( x{C} ){0,q-1} x{0,C-1} | ( x{C} ){q} x{0,r} )` with C ≈ √k, k = qC + r — the same strings, each matched
 * one way only (so the grammar stays unambiguous), in about 2-3√k rules (x{0,999}: 74 instead of 999); a long
 * fixed run becomes chunks of 2000.
 */

/** llama.cpp's largest repetition count (MAX_REPETITION_THRESHOLD in llama-grammar.cpp). */
const NATIVE_MAX = 2000;
/** Optional runs up to this long are written as they are (one rule each is cheap enough). */
const DIRECT_SPAN = 64;

/** `item` exactly `n` times. */
function fixed(item: string, n: number): string[] {
  if (n === 0) return [];
  if (n === 1) return [item];
  if (n <= NATIVE_MAX) return [`${item}{${n}}`];
  const chunks = Math.floor(n / NATIVE_MAX);
  return [`( ${item}{${NATIVE_MAX}} ){${chunks}}`, ...fixed(item, n - chunks * NATIVE_MAX)];
}

/** `item` 0 to `k` times. */
function optional(item: string, k: number): string[] {
  if (k === 0) return [];
  if (k === 1) return [`${item}?`];
  if (k <= DIRECT_SPAN) return [`${item}{0,${k}}`];
  // About √k chunks, never more than 999: the chunk group holds `item` (a name it may see first: 2 new rules), and
  // llama.cpp refuses those rules times the count passing 2000.
  const chunk = Math.max(Math.ceil(Math.sqrt(k + 1)), Math.ceil((k + 1) / 999));
  const chunks = Math.floor(k / chunk);
  const rest = k - chunks * chunk;
  const whole = `( ${item}{${chunk}} )`;
  // Fewer than `chunks` whole chunks and a partial one, or exactly `chunks` and at most `rest` more.
  const below = [...(chunks > 1 ? [`${whole}${chunks - 1 === 1 ? "?" : `{0,${chunks - 1}}`}`] : []), ...optional(item, chunk - 1)];
  const top = [...fixed(whole, chunks), ...optional(item, rest)];
  return [`( ${below.join(" ")} | ${top.join(" ")} )`];
}

/**
 * GBNF for `item` repeated `min` to `max` times (`max` undefined: no upper bound). `item` must be one GBNF atom — a
 * rule name, a literal, a character class, or a group of literals and classes only: put anything else in a rule of
 * its own first. (llama.cpp refuses repeating a group whose new rules — its groups, and rule names it sees for the
 * first time — times the count pass 2000.)
 */
export function repeat(item: string, min: number, max: number | undefined): string {
  let parts: string[];
  if (max === undefined) parts = [...fixed(item, min), `${item}*`];
  else if (max <= NATIVE_MAX && max - min <= DIRECT_SPAN) parts = min === max ? fixed(item, min) : [`${item}{${min},${max}}`];
  else parts = [...fixed(item, min), ...optional(item, max - min)];
  return parts.length === 0 ? '""' : parts.join(" ");
}
