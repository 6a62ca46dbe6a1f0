/**
 * GBNF for numbers within bounds: `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum` and `multipleOf` of a
 * JSON-schema `integer` or `number`, as digit-range grammars (exact decimal arithmetic on BigInt, no floats).
 *
 * - Integers are always within ±(2^53−1) (`Number.MAX_SAFE_INTEGER`), bounded or not, so every one survives
 *   `JSON.parse` exactly.
 * - Bounded numbers are written in plain decimal notation (no exponent) with at most `FRACTION_DIGITS` decimals
 *   (or the decimals of a `multipleOf` like 0.01), their integer part within ±(2^53−1).
 * - `multipleOf` is enforced when it is a power of ten ≤ 1 (0.01, 1…) for numbers, or when the range holds at most
 *   `MAX_ENUMERATED` multiples (which are then listed); anything else is refused.
 */
import type { JsonSchema } from "../types.js";
import { schemaError } from "./json-schema.js";

/** Decimals a bounded `number` may have (fewer than a double's 15 significant digits, so bounds hold after parsing). */
export const FRACTION_DIGITS = 6;
/** The most multiples a `multipleOf` may leave in range to be enforced by listing them. */
export const MAX_ENUMERATED = 256;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const TEN = 10n;

/** The numeric keywords this module enforces. */
export const NUMERIC_KEYWORDS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"] as const;

/** An exact decimal: `digits × 10^exponent`. */
interface Decimal {
  digits: bigint;
  exponent: number;
}

/** The exact decimal a JS number prints as (its shortest round-trip form, the value the schema's author wrote). */
function decimalOf(value: number): Decimal {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(value));
  if (!match) throw new Error(`not a finite number: ${value}`);
  const [, sign, whole, fraction = "", exp = "0"] = match;
  const digits = BigInt(`${sign}${whole}${fraction}`);
  return { digits, exponent: Number(exp) - fraction.length };
}

const pow10 = (n: number): bigint => TEN ** BigInt(n);

/** `value × 10^scale` rounded up (`ceil`) or down (`floor`) to an integer. */
function scaled(value: number, scale: number, round: "ceil" | "floor"): bigint {
  const { digits, exponent } = decimalOf(value);
  const shift = exponent + scale;
  if (shift >= 0) return digits * pow10(shift);
  const divisor = pow10(-shift);
  const quotient = digits / divisor; // truncates toward zero
  const exact = quotient * divisor === digits;
  if (exact) return quotient;
  if (round === "floor") return digits < 0n ? quotient - 1n : quotient;
  return digits > 0n ? quotient + 1n : quotient;
}

/** Decimals in a number's exact decimal form. */
function decimalsOf(value: number): number {
  const { digits, exponent } = decimalOf(value);
  if (exponent >= 0) return 0;
  let decimals = -exponent;
  let d = digits < 0n ? -digits : digits;
  while (decimals > 0 && d % TEN === 0n) {
    d /= TEN;
    decimals--;
  }
  return decimals;
}

// ---- GBNF text helpers -------------------------------------------------------------------------------------------

const literal = (text: string): string => `"${text}"`;
const digitClass = (lo: number, hi: number): string => (lo === hi ? literal(String(lo)) : `[${lo}-${hi}]`);
const anyDigits = (n: number): string => (n === 1 ? "[0-9]" : `[0-9]{${n}}`);
const group = (options: string[]): string => (options.length === 1 ? options[0]! : `( ${options.join(" | ")} )`);
const sequence = (...parts: string[]): string => parts.filter((part) => part !== "").join(" ");

/** Digit strings of `a.length` characters between `a` and `b` (same length, `a` ≤ `b`). */
function sameLength(a: string, b: string): string {
  if (a === b) return literal(a);
  let p = 0;
  while (a[p] === b[p]) p++;
  const prefix = p > 0 ? literal(a.slice(0, p)) : "";
  const d1 = Number(a[p]);
  const d2 = Number(b[p]);
  const restA = a.slice(p + 1);
  const restB = b.slice(p + 1);
  const k = restA.length;
  if (k === 0) return sequence(prefix, digitClass(d1, d2));
  const options: string[] = [];
  let lo = d1;
  let hi = d2;
  if (!/^0*$/.test(restA)) {
    options.push(sequence(literal(String(d1)), sameLength(restA, "9".repeat(k))));
    lo = d1 + 1;
  }
  let high: string | undefined;
  if (!/^9*$/.test(restB)) {
    high = sequence(literal(String(d2)), sameLength("0".repeat(k), restB));
    hi = d2 - 1;
  }
  if (lo <= hi) options.push(sequence(digitClass(lo, hi), anyDigits(k)));
  if (high) options.push(high);
  return sequence(prefix, group(options));
}

/** Decimal integers (no sign, no leading zeros) from `a` to `b`, 0 ≤ a ≤ b. */
function naturalRange(a: bigint, b: bigint): string {
  const options: string[] = [];
  const first = String(a).length;
  const last = String(b).length;
  for (let length = first; length <= last; length++) {
    const lo = length === first ? a : pow10(length - 1);
    const hi = length === last ? b : pow10(length) - 1n;
    options.push(sameLength(String(lo), String(hi)));
  }
  return group(options);
}

/** JSON integers from `lo` to `hi` (lo ≤ hi); "-0" is not written. */
export function integerRange(lo: bigint, hi: bigint): string {
  if (lo >= 0n) return naturalRange(lo, hi);
  if (hi < 0n) return sequence('"-"', naturalRange(-hi, -lo));
  return group([sequence('"-"', naturalRange(1n, -lo)), naturalRange(0n, hi)]);
}

/**
 * Fraction digits (after the ".") of at most `lo.length` digits whose zero-padded form lies in [lo, hi] (both
 * padded to the same length). `nonEmpty`: the expression for the non-empty strings (undefined when there are
 * none); `empty`: whether no digits at all fits.
 */
function fraction(lo: string, hi: string): { nonEmpty?: string; empty: boolean } {
  const empty = /^0*$/.test(lo);
  const n = lo.length;
  if (n === 0) return { empty: true };
  if (empty && /^9*$/.test(hi)) return { nonEmpty: n === 1 ? "[0-9]" : `[0-9]{1,${n}}`, empty };
  const then = (digit: string, rest: { nonEmpty?: string; empty: boolean }): string => {
    if (!rest.nonEmpty) return literal(digit);
    return sequence(literal(digit), rest.empty ? `( ${rest.nonEmpty} )?` : rest.nonEmpty);
  };
  const d1 = Number(lo[0]);
  const d2 = Number(hi[0]);
  const options: string[] = [];
  if (d1 === d2) {
    options.push(then(lo[0]!, fraction(lo.slice(1), hi.slice(1))));
  } else {
    options.push(then(lo[0]!, fraction(lo.slice(1), "9".repeat(n - 1))));
    if (d1 + 1 <= d2 - 1) options.push(n === 1 ? digitClass(d1 + 1, d2 - 1) : `${digitClass(d1 + 1, d2 - 1)} [0-9]{0,${n - 1}}`);
    options.push(then(hi[0]!, fraction("0".repeat(n - 1), hi.slice(1))));
  }
  return { nonEmpty: group(options), empty };
}

/** The `"." digits` suffix for fraction digits in [lo, hi] (padded strings), optional when none fits too. */
function fractionSuffix(lo: string, hi: string): string {
  const { nonEmpty, empty } = fraction(lo, hi);
  if (!nonEmpty) return "";
  const suffix = `"." ${nonEmpty}`;
  return empty ? `( ${suffix} )?` : suffix;
}

/** Non-negative decimals `a / 10^scale` … `b / 10^scale` (0 ≤ a ≤ b), at most `scale` decimals. */
function nonNegativeDecimals(a: bigint, b: bigint, scale: number): string {
  if (scale === 0) return naturalRange(a, b);
  const unit = pow10(scale);
  const [ai, bi] = [a / unit, b / unit];
  const pad = (value: bigint): string => String(value % unit).padStart(scale, "0");
  const [zeros, nines] = ["0".repeat(scale), "9".repeat(scale)];
  if (ai === bi) return sequence(String(ai) === "" ? "" : literal(String(ai)), fractionSuffix(pad(a), pad(b)));
  const options = [sequence(literal(String(ai)), fractionSuffix(pad(a), nines))];
  if (ai + 1n <= bi - 1n) options.push(sequence(naturalRange(ai + 1n, bi - 1n), fractionSuffix(zeros, nines)));
  options.push(sequence(literal(String(bi)), fractionSuffix(zeros, pad(b))));
  return group(options);
}

/** JSON numbers `lo / 10^scale` … `hi / 10^scale` in plain decimal notation. */
function decimalRange(lo: bigint, hi: bigint, scale: number): string {
  if (lo >= 0n) return nonNegativeDecimals(lo, hi, scale);
  if (hi <= 0n) return sequence('"-"', nonNegativeDecimals(-hi, -lo, scale));
  return group([sequence('"-"', nonNegativeDecimals(0n, -lo, scale)), nonNegativeDecimals(0n, hi, scale)]);
}

/** The exact decimal text of `value / 10^scale`. */
function decimalText(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = String(negative ? -value : value).padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fractionDigits = digits.slice(digits.length - scale).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fractionDigits ? `.${fractionDigits}` : ""}`;
}

/** True when a schema node carries a numeric keyword (so its number needs a grammar of its own). */
export function hasNumericKeywords(schema: JsonSchema): boolean {
  return NUMERIC_KEYWORDS.some((key) => schema[key] !== undefined);
}

/**
 * Scaled bounds [lo, hi] (value × 10^scale) of a schema's numeric keywords, both inclusive, within ±(2^53−1).
 * Draft-4 booleans (`exclusiveMinimum: true` next to `minimum`) are understood.
 */
function bounds(schema: JsonSchema, scale: number, path: string): [bigint, bigint] {
  const unit = pow10(scale);
  let lo = -SAFE * unit;
  let hi = SAFE * unit;
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema as Record<string, unknown>;
  if (typeof minimum === "number") {
    const bound = exclusiveMinimum === true ? scaled(minimum, scale, "floor") + 1n : scaled(minimum, scale, "ceil");
    if (bound > lo) lo = bound;
  }
  if (typeof maximum === "number") {
    const bound = exclusiveMaximum === true ? scaled(maximum, scale, "ceil") - 1n : scaled(maximum, scale, "floor");
    if (bound < hi) hi = bound;
  }
  if (typeof exclusiveMinimum === "number") {
    const bound = scaled(exclusiveMinimum, scale, "floor") + 1n;
    if (bound > lo) lo = bound;
  }
  if (typeof exclusiveMaximum === "number") {
    const bound = scaled(exclusiveMaximum, scale, "ceil") - 1n;
    if (bound < hi) hi = bound;
  }
  if (lo > hi) throw schemaError(path, `no ${scale === 0 ? "integer" : "number"} satisfies the bounds (${describeBounds(schema)})`);
  return [lo, hi];
}

function describeBounds(schema: JsonSchema): string {
  return NUMERIC_KEYWORDS.filter((key) => schema[key] !== undefined)
    .map((key) => `${key} ${JSON.stringify(schema[key])}`)
    .join(", ");
}

/** The multiples of `step / 10^scale` in [lo, hi] (scaled), listed; refused past MAX_ENUMERATED. */
function listedMultiples(step: bigint, lo: bigint, hi: bigint, scale: number, path: string, multipleOf: number): string {
  const first = lo >= 0n ? (lo + step - 1n) / step : -((-lo) / step);
  const last = hi >= 0n ? hi / step : -((-hi + step - 1n) / step);
  if (last < first) throw schemaError(path, `no value in range is a multiple of ${multipleOf} (multipleOf)`);
  if (last - first + 1n > BigInt(MAX_ENUMERATED)) {
    throw schemaError(
      path,
      `multipleOf ${multipleOf} is enforced only for powers of ten or for ranges holding at most ${MAX_ENUMERATED} multiples; bound the range with minimum/maximum`,
    );
  }
  const options: string[] = [];
  for (let k = first; k <= last; k++) options.push(literal(decimalText(k * step, scale)));
  return group(options);
}

/**
 * GBNF expression for an `integer` (or `number`) under the schema's numeric keywords.
 * @throws GptOssError ERR_SCHEMA_INVALID when no value fits, or for a `multipleOf` it cannot enforce.
 */
export function numberGrammar(schema: JsonSchema, type: "integer" | "number", path: string): string {
  const multipleOf = schema.multipleOf as number | undefined;
  if (type === "integer") {
    if (multipleOf === undefined || Number.isInteger(1 / multipleOf)) {
      const [lo, hi] = bounds(schema, 0, path);
      return integerRange(lo, hi);
    }
    if (!Number.isInteger(multipleOf)) throw schemaError(path, `multipleOf ${multipleOf} on an integer must be an integer or 1/n`);
    const [lo, hi] = bounds(schema, 0, path);
    return listedMultiples(BigInt(multipleOf), lo, hi, 0, path, multipleOf);
  }
  if (multipleOf === undefined) {
    const [lo, hi] = bounds(schema, FRACTION_DIGITS, path);
    return decimalRange(lo, hi, FRACTION_DIGITS);
  }
  const decimals = decimalsOf(multipleOf);
  const step = scaled(multipleOf, decimals, "floor");
  const [lo, hi] = bounds(schema, decimals, path);
  if (step === 1n) return decimalRange(lo, hi, decimals); // a power of ten ≤ 1: just fewer decimals
  return listedMultiples(step, lo, hi, decimals, path, multipleOf);
}
