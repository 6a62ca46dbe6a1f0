/**
 * A JSON-schema `pattern` (an ECMAScript regular expression, unanchored unless it says `^`/`$`) → a GBNF
 * expression for the JSON string body (between the quotes, so `"` and `\` come out escaped).
 *
 * Supported: literals and escapes (`\d \w \s \D \W \S`, `\n \t \r \f \v \0`, `\xHH`, `\uHHHH`, `\u{…}`, escaped
 * punctuation), `.`, character classes (ranges, negation, `\d \w \s` inside), groups `( )`, `(?: )`, `(?<name> )`,
 * alternation, the quantifiers `* + ? {n} {n,} {n,m}` (lazy forms are the same language), `^` at the start and `$`
 * at the end of a top-level alternative. Anything else (lookaround, backreferences, `\b`, `\p{…}`, anchors inside)
 * is refused with ERR_SCHEMA_INVALID: a pattern is enforced or the schema is refused.
 *
 * Bounded (SCHEMA_LIMITS): at most maxPatternAlternatives `|` and counts up to maxRepetition, nested counts
 * multiplied (`(a{1000}){1000}` counts 1,000,000), so no pattern describes strings longer than that; long counts
 * are written in chunks (gbnf-repeat.ts) and a repeated group becomes a rule of its own, as llama.cpp needs.
 */
import { limitError, schemaError, SCHEMA_LIMITS } from "./json-schema.js";
import { repeat } from "./gbnf-repeat.js";

/** Inclusive code-point ranges. */
type Ranges = Array<[number, number]>;

type Node =
  | { kind: "set"; ranges: Ranges; negated: boolean }
  | { kind: "alt"; options: Node[][] }
  | { kind: "repeat"; node: Node; min: number; max: number | undefined };

const DIGIT: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const SPACE: Ranges = [
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f],
  [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
];
const LINE_ENDS: Ranges = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];
const CLASS_ESCAPES: Record<string, { ranges: Ranges; negated: boolean }> = {
  d: { ranges: DIGIT, negated: false },
  D: { ranges: DIGIT, negated: true },
  w: { ranges: WORD, negated: false },
  W: { ranges: WORD, negated: true },
  s: { ranges: SPACE, negated: false },
  S: { ranges: SPACE, negated: true },
};
const CONTROL_ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, f: 0x0c, v: 0x0b, "0": 0 };

class RegexParser {
  private i = 0;
  private readonly chars: string[];
  private bars = 0;

  constructor(private readonly pattern: string, private readonly path: string) {
    this.chars = [...pattern];
  }

  private refuse(what: string): never {
    throw schemaError(this.path, `pattern ${JSON.stringify(this.pattern)} uses ${what}, which the grammar cannot enforce`);
  }

  /** Counts one more `|` against SCHEMA_LIMITS.maxPatternAlternatives. */
  private alternative(): void {
    if (++this.bars > SCHEMA_LIMITS.maxPatternAlternatives) {
      throw limitError(this.path, "maxPatternAlternatives", `the pattern has more than ${SCHEMA_LIMITS.maxPatternAlternatives} alternatives (|)`);
    }
  }

  /** Top-level alternatives, each with whether it was anchored at its start and end. */
  parseTop(): Array<{ items: Node[]; start: boolean; end: boolean }> {
    const branches: Array<{ items: Node[]; start: boolean; end: boolean }> = [];
    for (;;) {
      const start = this.chars[this.i] === "^";
      if (start) this.i++;
      const items = this.sequence(true);
      let end = false;
      if (this.chars[this.i] === "$") {
        end = true;
        this.i++;
      }
      branches.push({ items, start, end });
      if (this.i >= this.chars.length) return branches;
      if (this.chars[this.i] === "|") {
        this.alternative();
        this.i++;
      } else this.refuse(`"${this.chars[this.i]}" here`);
    }
  }

  private alternatives(): Node {
    const options = [this.sequence(false)];
    while (this.chars[this.i] === "|") {
      this.alternative();
      this.i++;
      options.push(this.sequence(false));
    }
    return { kind: "alt", options };
  }

  private sequence(top: boolean): Node[] {
    const items: Node[] = [];
    for (;;) {
      const c = this.chars[this.i];
      if (c === undefined || c === "|" || c === ")") return items;
      if (c === "$") {
        if (top && (this.i + 1 === this.chars.length || this.chars[this.i + 1] === "|")) return items;
        this.refuse("an anchor inside the pattern");
      }
      if (c === "^") this.refuse("an anchor inside the pattern");
      items.push(this.quantified(this.atom()));
    }
  }

  private atom(): Node {
    const c = this.chars[this.i++]!;
    switch (c) {
      case ".":
        return { kind: "set", ranges: LINE_ENDS, negated: true };
      case "[":
        return this.characterClass();
      case "(":
        return this.group();
      case "\\":
        return this.escapeAtom();
      case "*":
      case "+":
      case "?":
      case "{":
        return this.refuse(`a quantifier with nothing to repeat`);
      default:
        return single(c.codePointAt(0)!);
    }
  }

  private group(): Node {
    if (this.chars[this.i] === "?") {
      const next = this.chars[this.i + 1];
      if (next === ":") this.i += 2;
      else if (next === "<" && this.chars[this.i + 2] !== "=" && this.chars[this.i + 2] !== "!") {
        const close = this.chars.indexOf(">", this.i);
        if (close < 0) this.refuse("an unterminated group name");
        this.i = close + 1;
      } else this.refuse("a lookaround assertion");
    }
    const node = this.alternatives();
    if (this.chars[this.i] !== ")") this.refuse("an unbalanced parenthesis");
    this.i++;
    return node;
  }

  private quantified(node: Node): Node {
    let result = node;
    for (;;) {
      const c = this.chars[this.i];
      let min: number;
      let max: number | undefined;
      if (c === "*") [min, max] = [0, undefined];
      else if (c === "+") [min, max] = [1, undefined];
      else if (c === "?") [min, max] = [0, 1];
      else if (c === "{") {
        const match = /^\{(\d+)(,(\d*))?\}/.exec(this.chars.slice(this.i).join(""));
        if (!match) return result; // a literal "{" (Annex B); the next atom() refuses it
        min = Number(match[1]);
        max = match[2] === undefined ? min : match[3] === "" ? undefined : Number(match[3]);
        this.i += match[0].length - 1;
      } else return result;
      this.i++;
      if (this.chars[this.i] === "?") this.i++; // lazy: same language
      if (result.kind === "repeat") this.refuse("a repeated quantifier");
      result = { kind: "repeat", node: result, min, max };
    }
  }

  /** The code point or class an escape stands for (after the backslash). */
  private escape(): { ranges: Ranges; negated: boolean } {
    const c = this.chars[this.i++];
    if (c === undefined) return this.refuse("a trailing backslash");
    const cls = CLASS_ESCAPES[c];
    if (cls) return cls;
    if (c in CONTROL_ESCAPES) return { ranges: [[CONTROL_ESCAPES[c]!, CONTROL_ESCAPES[c]!]], negated: false };
    if (c === "x" || c === "u") {
      const braced = c === "u" && this.chars[this.i] === "{";
      const text = this.chars.slice(this.i).join("");
      const match = braced ? /^\{([0-9a-fA-F]{1,6})\}/.exec(text) : c === "x" ? /^[0-9a-fA-F]{2}/.exec(text) : /^[0-9a-fA-F]{4}/.exec(text);
      if (!match) return this.refuse(`a malformed \\${c} escape`);
      this.i += match[0].length;
      const code = parseInt(braced ? match[1]! : match[0], 16);
      return { ranges: [[code, code]], negated: false };
    }
    // An escaped non-alphanumeric is itself (\. \/ \- …); an escaped letter or digit outside the above is a
    // feature (\b, \p, backreferences) the grammar cannot express.
    if (!/[A-Za-z0-9]/.test(c)) return { ranges: [[c.codePointAt(0)!, c.codePointAt(0)!]], negated: false };
    return this.refuse(`the escape \\${c}`);
  }

  private escapeAtom(): Node {
    const { ranges, negated } = this.escape();
    return { kind: "set", ranges, negated };
  }

  private characterClass(): Node {
    const negated = this.chars[this.i] === "^";
    if (negated) this.i++;
    const ranges: Ranges = [];
    let first = true;
    for (;;) {
      const c = this.chars[this.i];
      if (c === undefined) this.refuse("an unterminated character class");
      if (c === "]" && !first) break;
      first = false;
      const lo = this.classMember();
      if (Array.isArray(lo)) {
        ranges.push(...lo);
        continue;
      }
      if (this.chars[this.i] === "-" && this.chars[this.i + 1] !== "]" && this.chars[this.i + 1] !== undefined) {
        this.i++;
        const hi = this.classMember();
        if (Array.isArray(hi)) this.refuse("a range ending in a class escape");
        ranges.push([lo, hi]);
      } else ranges.push([lo, lo]);
    }
    this.i++;
    return { kind: "set", ranges, negated };
  }

  /** One class member: its code point, or the ranges of a class escape (`\d`, `\w`, `\s`). */
  private classMember(): number | Ranges {
    const c = this.chars[this.i++]!;
    if (c !== "\\") return c.codePointAt(0)!;
    if (this.chars[this.i] === "b") {
      this.i++;
      return 0x08;
    }
    const isClass = CLASS_ESCAPES[this.chars[this.i]!] !== undefined;
    const escaped = this.escape();
    if (escaped.negated) this.refuse("a negated class escape inside a character class");
    return isClass ? escaped.ranges : escaped.ranges[0]![0];
  }
}

function single(code: number): Node {
  return { kind: "set", ranges: [[code, code]], negated: false };
}

// ---- emission -----------------------------------------------------------------------------------------------------

/** A code point inside a GBNF character class. */
function classChar(code: number): string {
  if (code === 0x5d || code === 0x5c || code === 0x5e || code === 0x2d) return `\\${String.fromCodePoint(code)}`;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, "0")}`;
  if (code > 0xffff) return `\\U${code.toString(16).padStart(8, "0")}`;
  if (code >= 0x80 && code <= 0xa0) return `\\u${code.toString(16).padStart(4, "0")}`;
  return String.fromCodePoint(code);
}

/** JSON's escape of a character that cannot appear raw in a JSON string, as GBNF. */
function jsonEscape(code: number): string {
  const named: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x08: "\\b", 0x0c: "\\f", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t" };
  const text = named[code] ?? `\\u${code.toString(16).padStart(4, "0")}`;
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Code points that must be escaped inside a JSON string. */
const needsEscape = (code: number): boolean => code < 0x20 || code === 0x22 || code === 0x5c;

function normalise(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** Ranges minus the code points JSON escapes. */
function rawPart(ranges: Ranges): Ranges {
  const out: Ranges = [];
  for (const [lo, hi] of ranges) {
    let start = lo;
    for (const cut of [[0, 0x1f], [0x22, 0x22], [0x5c, 0x5c]] as const) {
      if (hi < cut[0] || start > cut[1]) continue;
      if (start < cut[0]) out.push([start, cut[0] - 1]);
      start = Math.max(start, cut[1] + 1);
    }
    if (start <= hi) out.push([start, hi]);
  }
  return out;
}

function setExpression(ranges: Ranges, negated: boolean): string {
  const merged = normalise(ranges);
  const options: string[] = [];
  const contains = (code: number) => merged.some(([lo, hi]) => code >= lo && code <= hi);
  if (negated) {
    const listed = merged.map(([lo, hi]) => (lo === hi ? classChar(lo) : `${classChar(lo)}-${classChar(hi)}`)).join("");
    options.push(`[^${listed}"\\\\\\x00-\\x1f]`);
    for (const code of [0x22, 0x5c]) if (!contains(code)) options.push(jsonEscape(code));
  } else {
    const raw = rawPart(merged);
    if (raw.length > 0) options.push(`[${raw.map(([lo, hi]) => (lo === hi ? classChar(lo) : `${classChar(lo)}-${classChar(hi)}`)).join("")}]`);
    for (const [lo, hi] of merged) for (let code = lo; code <= Math.min(hi, 0x5c); code++) if (needsEscape(code)) options.push(jsonEscape(code));
  }
  if (options.length === 0) throw new Error("empty character set");
  return options.length === 1 ? options[0]! : `( ${options.join(" | ")} )`;
}

/** Names a GBNF expression as a rule of its own (the grammar builder's rules). */
export type RuleNamer = (body: string) => string;

/**
 * The longest string the counted parts of `node` describe, taking each unbounded quantifier once: the counts of
 * nested quantifiers multiplied, a sequence added up, alternatives the largest.
 */
function expansion(node: Node): number {
  switch (node.kind) {
    case "set":
      return 1;
    case "alt":
      return Math.max(...node.options.map((items) => items.reduce((sum, item) => sum + expansion(item), 0)));
    case "repeat":
      return expansion(node.node) * Math.max(1, node.max ?? node.min);
  }
}

function emit(node: Node, rule: RuleNamer | undefined): string {
  switch (node.kind) {
    case "set":
      return setExpression(node.ranges, node.negated);
    case "alt": {
      const options = node.options.map((items) => (items.length === 0 ? '""' : items.map((item) => emit(item, rule)).join(" ")));
      return options.length === 1 && node.options[0]!.length === 1 ? options[0]! : `( ${options.join(" | ")} )`;
    }
    case "repeat": {
      const inner = emit(node.node, rule);
      // A set is one atom (a class, a literal, or a group of those). A group becomes a rule: llama.cpp refuses to
      // repeat a group often when it holds groups of its own (their rules times the count may not pass 2000).
      let body = inner;
      if (node.node.kind !== "set") body = rule ? rule(inner) : /^\(.*\)$|^\[.*\]$|^"[^"]*"$/.test(inner) && !inner.includes(" | ") ? inner : `( ${inner} )`;
      if (node.min === 0 && node.max === undefined) return `${body}*`;
      if (node.min === 1 && node.max === undefined) return `${body}+`;
      if (node.min === 0 && node.max === 1) return `${body}?`;
      return repeat(body, node.min, node.max);
    }
  }
}

/** Any JSON string character (the unanchored ends of a pattern). */
const ANY_CHAR = "json-char";

/**
 * GBNF expression for the body of a JSON string whose decoded value matches `pattern`. The expression may
 * reference the shared rule `json-char` (for unanchored patterns); `usesAnyChar` says whether it does. `rule` names
 * each repeated group as a rule of its own (without it, groups stay inline, which llama.cpp may refuse for large
 * counts).
 * @throws GptOssError ERR_SCHEMA_INVALID for regex features outside the supported subset, or a pattern over
 *   SCHEMA_LIMITS.maxPatternAlternatives or maxRepetition.
 */
export function patternGrammar(pattern: string, path: string, rule?: RuleNamer): { expression: string; usesAnyChar: boolean } {
  const parser = new RegexParser(pattern, path);
  const branches = parser.parseTop();
  const longest = Math.max(...branches.map(({ items }) => items.reduce((sum, item) => sum + expansion(item), 0)));
  if (longest > SCHEMA_LIMITS.maxRepetition) {
    throw limitError(path, "maxRepetition", `pattern ${JSON.stringify(pattern)} counts out strings of ${longest} characters`);
  }
  let usesAnyChar = false;
  const options = branches.map(({ items, start, end }) => {
    const parts = items.map((item) => emit(item, rule));
    if (!start) parts.unshift(`${ANY_CHAR}*`);
    if (!end) parts.push(`${ANY_CHAR}*`);
    if (!start || !end) usesAnyChar = true;
    return parts.length === 0 ? '""' : parts.join(" ");
  });
  return { expression: options.length === 1 ? options[0]! : `( ${options.join(" | ")} )`, usesAnyChar };
}
