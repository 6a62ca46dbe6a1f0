// Bounds on building a grammar from any JSON schema (SCHEMA_LIMITS, src/grammar/json-schema.ts): each limit just
// under builds and just over is refused naming it; real-world schemas keep working; a seeded fuzz of random and
// adversarial schemas either builds in bounded time within the grammar caps (and llama.cpp's own parser takes the
// grammar) or is refused with ERR_SCHEMA_INVALID — never a hang, a stack overflow or another error.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasCode } from "../../src/errors.js";
import { Prng } from "../../src/fixture/prng.js";
import { assertGrammarUsable, grammarRuleCount } from "../../src/grammar/gbnf-check.js";
import { repeat } from "../../src/grammar/gbnf-repeat.js";
import { jsonSchemaToGrammar } from "../../src/grammar/json-schema-grammar.js";
import { validateJson } from "../../src/grammar/json-schema-validate.js";
import { SCHEMA_LIMITS, type SchemaLimit } from "../../src/grammar/json-schema.js";
import { parseChatCompletionRequest } from "../../src/server/chat-completions/request.js";
import { ApiError } from "../../src/server/errors.js";
import type { NativeContext, NativeModel } from "../../src/native/types.js";
import { accepts } from "../helpers/gbnf-matcher.js";
import { tinyModelPath } from "../helpers/fixture.js";
import { contextOptions, GREEDY, loadTiny } from "../helpers/native.js";

type Schema = Record<string, unknown>;

/** A bound, not a benchmark: generous for a loaded two-core machine. */
const BOUND_MS = 2_000;

/** Builds the grammar, checking it stays within the grammar caps. */
function build(schema: unknown): string {
  const grammar = jsonSchemaToGrammar(schema as Schema);
  expect(Buffer.byteLength(grammar)).toBeLessThanOrEqual(SCHEMA_LIMITS.maxGrammarBytes);
  expect(grammarRuleCount(grammar)).toBeLessThanOrEqual(SCHEMA_LIMITS.maxGrammarRules);
  return grammar;
}

/** The refusal of `schema`: ERR_SCHEMA_INVALID naming `limit`. */
function refusedFor(schema: unknown, limit: SchemaLimit): string {
  let error: unknown;
  try {
    jsonSchemaToGrammar(schema as Schema);
  } catch (e) {
    error = e;
  }
  expect(hasCode(error, "ERR_SCHEMA_INVALID"), String(error)).toBe(true);
  const message = (error as Error).message;
  expect(message).toContain(`SCHEMA_LIMITS.${limit} = ${SCHEMA_LIMITS[limit]}`);
  expect(message.length).toBeLessThan(1000);
  return message;
}

/** `depth` levels of JSON nesting: array schemas in `items`, a string at the bottom (each level is one object). */
function nestedItems(depth: number): Schema {
  let schema: Schema = { type: "string" };
  for (let level = 1; level < depth; level++) schema = { type: "array", items: schema };
  return schema;
}

/** Object schemas nested through `properties` (two JSON levels each), as text: JSON.stringify would recurse. */
function nestedPropertiesText(levels: number): string {
  return `${'{"type":"object","properties":{"a":'.repeat(levels)}{"type":"string"}${"}}".repeat(levels)}`;
}

let model: NativeModel;
let context: NativeContext;
beforeAll(async () => {
  model = await loadTiny(await tinyModelPath());
  context = await model.createContext(contextOptions({ sequences: 1, contextSize: 256 }));
});
afterAll(async () => {
  context?.dispose();
  await model?.dispose();
});

/** llama.cpp's own grammar parser takes the grammar, within the bound. */
function parsesNatively(grammar: string): number {
  const started = performance.now();
  context.createSampler({ ...GREEDY, grammar }).dispose();
  const elapsed = performance.now() - started;
  expect(elapsed).toBeLessThan(BOUND_MS);
  return elapsed;
}

describe("each limit: just under builds, just over is refused naming it", () => {
  it("maxDepth: JSON nesting, also 10,000 levels deep (no stack overflow)", () => {
    parsesNatively(build(nestedItems(SCHEMA_LIMITS.maxDepth)));
    refusedFor(nestedItems(SCHEMA_LIMITS.maxDepth + 1), "maxDepth");
    // Two JSON levels per object property: 127 nested objects and their leaf take 255 levels, 128 take 257.
    build(JSON.parse(nestedPropertiesText(SCHEMA_LIMITS.maxDepth / 2 - 1)));
    refusedFor(JSON.parse(nestedPropertiesText(SCHEMA_LIMITS.maxDepth / 2)), "maxDepth");
    const message = refusedFor(JSON.parse(nestedPropertiesText(10_000)), "maxDepth");
    expect(message).toContain("…"); // the path is cut, not 20,000 segments long
    refusedFor({ type: "object", properties: { deep: nestedItems(10_000) } }, "maxDepth");
    refusedFor({ enum: [JSON.parse(`${"[".repeat(10_000)}${"]".repeat(10_000)}`)] }, "maxDepth");
  });

  it("maxDepth: chains of $ref", () => {
    const chain = (length: number): Schema => {
      const defs: Schema = {};
      for (let i = 0; i < length; i++) defs[`d${i}`] = i + 1 < length ? { $ref: `#/$defs/d${i + 1}` } : { type: "integer" };
      return { $defs: defs, $ref: "#/$defs/d0" };
    };
    expect(accepts(build(chain(SCHEMA_LIMITS.maxDepth)), "42")).toBe(true);
    refusedFor(chain(SCHEMA_LIMITS.maxDepth + 2), "maxDepth");
  });

  it("maxNodes: objects and arrays of the schema", () => {
    const withDefs = (count: number): Schema => {
      const defs: Schema = {};
      for (let i = 0; i < count; i++) defs[`d${i}`] = { type: "string" };
      return { type: "integer", $defs: defs }; // the root, $defs and each definition
    };
    build(withDefs(SCHEMA_LIMITS.maxNodes - 2));
    refusedFor(withDefs(SCHEMA_LIMITS.maxNodes - 1), "maxNodes");
    // A library caller's schema sharing one object everywhere: 2^60 places, refused at once instead of expanded.
    let shared: Schema = { type: "integer" };
    for (let i = 0; i < 60; i++) shared = { type: "object", properties: { left: shared, right: shared } };
    const started = performance.now();
    refusedFor(shared, "maxNodes");
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    // A cycle of objects (no $ref) is too deep, not an endless loop.
    const cyclic: Schema = { type: "object", properties: {} };
    (cyclic.properties as Schema).self = cyclic;
    refusedFor(cyclic, "maxDepth");
  });

  it("maxProperties", () => {
    const object = (count: number): Schema => {
      const properties: Schema = {};
      for (let i = 0; i < count; i++) properties[`p${i}`] = { type: "integer" };
      return { type: "object", properties, required: Object.keys(properties) };
    };
    parsesNatively(build(object(SCHEMA_LIMITS.maxProperties)));
    refusedFor(object(SCHEMA_LIMITS.maxProperties + 1), "maxProperties");
  });

  it("maxAlternatives: anyOf/oneOf branches, nested ones and type lists added up, through $ref", () => {
    const branches = (count: number) => Array.from({ length: count }, (_, i) => ({ const: i }));
    parsesNatively(build({ anyOf: branches(SCHEMA_LIMITS.maxAlternatives) }));
    refusedFor({ oneOf: branches(SCHEMA_LIMITS.maxAlternatives + 1) }, "maxAlternatives");
    const half = SCHEMA_LIMITS.maxAlternatives / 2;
    build({ anyOf: [{ anyOf: branches(half - 1) }, { $ref: "#/$defs/more" }], $defs: { more: { anyOf: [...branches(half - 1), { type: ["string", "null"] }] } } });
    refusedFor({ anyOf: [{ anyOf: branches(half) }, { $ref: "#/$defs/more" }], $defs: { more: { anyOf: [...branches(half), { type: "null" }] } } }, "maxAlternatives");
  });

  it("maxEnumValues", () => {
    const values = (count: number) => Array.from({ length: count }, (_, i) => `v${i}`);
    parsesNatively(build({ enum: values(SCHEMA_LIMITS.maxEnumValues) }));
    refusedFor({ enum: values(SCHEMA_LIMITS.maxEnumValues + 1) }, "maxEnumValues");
  });

  it("maxEnumBytes: every enum and const of the schema together", () => {
    // In unused definitions they cost bytes but no grammar: a const of n characters is n + 2 bytes of JSON.
    const schema = (total: number): Schema => ({
      type: "string",
      $defs: { a: { enum: ["x".repeat(998), "y"] }, b: { const: "z".repeat(total - 1006 - 2) } }, // ["x…","y"]: 1006 bytes
    });
    build(schema(SCHEMA_LIMITS.maxEnumBytes));
    refusedFor(schema(SCHEMA_LIMITS.maxEnumBytes + 1), "maxEnumBytes");
    refusedFor({ const: "x".repeat(SCHEMA_LIMITS.maxEnumBytes) }, "maxEnumBytes");
    // Each value extending the last nests the trie as deep as the byte limit lets it: still built and parsed.
    const values = Array.from({ length: 1400 }, (_, i) => "a".repeat(i + 1)); // ~985 KB of JSON
    const grammar = build({ enum: values });
    parsesNatively(grammar);
    const shallow = build({ enum: values.slice(0, 100) }); // (the test's recogniser recurses per trie level)
    expect(accepts(shallow, `"${"a".repeat(70)}"`)).toBe(true);
    expect(accepts(shallow, `"${"a".repeat(101)}"`)).toBe(false);
  });

  it("maxPatternLength", () => {
    parsesNatively(build({ type: "string", pattern: `^${"a".repeat(SCHEMA_LIMITS.maxPatternLength - 2)}$` }));
    refusedFor({ type: "string", pattern: `^${"a".repeat(SCHEMA_LIMITS.maxPatternLength - 1)}$` }, "maxPatternLength");
  });

  it("maxPatternAlternatives", () => {
    const pattern = (bars: number) => `^(${Array.from({ length: bars + 1 }, (_, i) => String.fromCharCode(0x100 + i)).join("|")})$`;
    const grammar = build({ type: "string", pattern: pattern(SCHEMA_LIMITS.maxPatternAlternatives) });
    parsesNatively(grammar);
    expect(accepts(grammar, `"${String.fromCharCode(0x100 + SCHEMA_LIMITS.maxPatternAlternatives)}"`)).toBe(true);
    refusedFor({ type: "string", pattern: pattern(SCHEMA_LIMITS.maxPatternAlternatives + 1) }, "maxPatternAlternatives");
  });

  it("maxRepetition: lengths, item counts and pattern counts, nested counts multiplied", () => {
    const max = SCHEMA_LIMITS.maxRepetition;
    parsesNatively(build({ type: "string", maxLength: max }));
    refusedFor({ type: "string", maxLength: max + 1 }, "maxRepetition");
    refusedFor({ type: "string", minLength: 1e300 }, "maxRepetition");
    parsesNatively(build({ type: "array", items: { type: "boolean" }, minItems: max, maxItems: max }));
    refusedFor({ type: "array", maxItems: max + 1 }, "maxRepetition");
    parsesNatively(build({ type: "string", pattern: "^(?:a{1024}){1024}$" }));
    refusedFor({ type: "string", pattern: "^(?:a{1024}){1025}$" }, "maxRepetition");
    refusedFor({ type: "string", pattern: "^((?:ab{1000}){1000}c){1000}$" }, "maxRepetition");
    refusedFor({ type: "string", pattern: `^x{${max + 1},}$` }, "maxRepetition");
  });

  it("maxGrammarBytes: one schema's grammar", () => {
    // A quote is 2 bytes of JSON and 4 of GBNF (\\\"): the grammar outgrows the enum-bytes limit.
    parsesNatively(build({ const: '"'.repeat(250_000) }));
    refusedFor({ const: '"'.repeat(270_000) }, "maxGrammarBytes");
  });

  it("maxGrammarRules: the rules llama.cpp expands the grammar to", () => {
    // Each property a distinct string length (64 optional characters: 64 rules).
    const schema = (count: number): Schema => {
      const properties: Schema = {};
      for (let i = 0; i < count; i++) properties[`p${i}`] = { type: "string", minLength: i, maxLength: i + 64 };
      return { type: "object", properties, required: Object.keys(properties) };
    };
    const fits = (count: number) => {
      try {
        jsonSchemaToGrammar(schema(count));
        return true;
      } catch (error) {
        expect((error as Error).message).toContain("SCHEMA_LIMITS.maxGrammarRules");
        return false;
      }
    };
    let low = 1;
    let high = 2_000;
    expect(fits(low)).toBe(true);
    expect(fits(high)).toBe(false);
    while (high - low > 1) {
      const mid = (low + high) >> 1;
      if (fits(mid)) low = mid;
      else high = mid;
    }
    const elapsed = parsesNatively(build(schema(low)));
    expect(elapsed).toBeLessThan(BOUND_MS);
    refusedFor(schema(low + 1), "maxGrammarRules");
  });

  it("maxRequestGrammarBytes: a request's schemas together (a 400 naming the tool that crossed it)", () => {
    const tool = (i: number) => ({ type: "function", function: { name: `t${i}`, parameters: { const: '"'.repeat(225_000) } } });
    const request = (tools: number) => ({ messages: [{ role: "user", content: "hi" }], tools: Array.from({ length: tools }, (_, i) => tool(i)) });
    expect(parseChatCompletionRequest(request(4)).options.tools).toHaveLength(4);
    let error: unknown;
    try {
      parseChatCompletionRequest(request(5));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).toBody().error).toMatchObject({ code: "invalid_schema", type: "invalid_request_error", param: "tools[4].function.parameters" });
    expect((error as ApiError).message).toContain(`SCHEMA_LIMITS.maxRequestGrammarBytes = ${SCHEMA_LIMITS.maxRequestGrammarBytes}`);
  });

  it("hand-written grammars: the same byte and rule caps (ERR_GRAMMAR_INVALID)", () => {
    const grammar = (count: number) => `root ::= ${Array.from({ length: count }, () => "[a-z]{0,1000}").join(" ")}\n`;
    assertGrammarUsable(grammar(99)); // 99,000 rules + the rule itself
    let error: unknown;
    try {
      assertGrammarUsable(grammar(101));
    } catch (e) {
      error = e;
    }
    expect(hasCode(error, "ERR_GRAMMAR_INVALID")).toBe(true);
    expect((error as Error).message).toContain("SCHEMA_LIMITS.maxGrammarRules");
    expect(() => assertGrammarUsable(`root ::= "${"a".repeat(SCHEMA_LIMITS.maxGrammarBytes)}"\n`)).toThrow(/maxGrammarBytes/);
  });
});

describe("cycles and blow-ups", () => {
  it("refuses $ref cycles that match nothing in between, keeps recursion through values", () => {
    for (const schema of [
      { $ref: "#" },
      { anyOf: [{ $ref: "#" }, { type: "null" }] },
      { $defs: { a: { $ref: "#/$defs/b" }, b: { allOf: [{ $ref: "#/$defs/a" }] } }, $ref: "#/$defs/a" },
    ]) {
      let error: unknown;
      try {
        jsonSchemaToGrammar(schema);
      } catch (e) {
        error = e;
      }
      expect(hasCode(error, "ERR_SCHEMA_INVALID"), JSON.stringify(schema)).toBe(true);
      expect((error as Error).message).toContain("leads back to itself");
    }
    const tree = { $defs: { node: { type: "object", properties: { kids: { type: "array", items: { $ref: "#/$defs/node" } } } } }, $ref: "#/$defs/node" };
    expect(accepts(build(tree), '{"kids":[{"kids":[]},{}]}')).toBe(true);
  });

  it("validates a value against branches that all descend into it in polynomial time", () => {
    // Both branches hold every nested array: checked naively, 2^depth branch visits.
    const schema = { $defs: { t: { anyOf: [{ type: "array", items: { $ref: "#/$defs/t" }, minItems: 2 }, { type: "array", items: { $ref: "#/$defs/t" } }] } }, $ref: "#/$defs/t" };
    build(schema);
    let value: unknown[] = [];
    for (let i = 0; i < 200; i++) value = [value];
    const started = performance.now();
    expect(validateJson(value, schema)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    const deep = JSON.parse(`${"[".repeat(200_000)}${"]".repeat(200_000)}`);
    expect(validateJson(deep, schema)).toEqual(["#: the value nests too deeply to be validated"]);
  });

  it("long repetitions stay exact and cheap for llama.cpp (written in chunks)", () => {
    for (const [min, max] of [[0, 999], [3, 5000], [2500, 2600], [2001, undefined], [0, SCHEMA_LIMITS.maxRepetition]] as Array<[number, number | undefined]>) {
      const grammar = `root ::= ${repeat("x", min, max)}\nx ::= "a"\n`;
      expect(grammarRuleCount(grammar)).toBeLessThan(2_000);
      parsesNatively(grammar);
      if ((max ?? min) <= 5000) {
        for (const n of [min - 1, min, min + 1, (max ?? min + 5) - 1, max ?? min + 5, (max ?? Infinity) + 1]) {
          if (n >= 0 && Number.isFinite(n)) expect(accepts(grammar, "a".repeat(n)), `${min},${max}: ${n}`).toBe(n >= min && (max === undefined || n <= max));
        }
      }
    }
    const uri = build({ type: "string", format: "uri" });
    expect(accepts(uri, `"https://x.example/${"a".repeat(2020)}"`)).toBe(true);
    expect(accepts(uri, `"https://x.example/${"a".repeat(2040)}"`)).toBe(false); // 2048 characters after the scheme at most
  });
});

describe("real-world schemas keep working", () => {
  it("function schemas, deep objects, large enums, recursive definitions, OpenAPI-sized objects", () => {
    const weather = {
      type: "object",
      properties: {
        location: { type: "string", description: "City and country, e.g. Bogotá, Colombia" },
        unit: { type: ["string", "null"], enum: ["celsius", "fahrenheit", null] },
        days: { type: "integer", minimum: 1, maximum: 14 },
      },
      required: ["location", "unit", "days"],
      additionalProperties: false,
    };
    // 30 nested objects, each level nullable through anyOf (four JSON levels per object).
    let deep: Schema = { type: "string", maxLength: 200 };
    for (let i = 0; i < 30; i++) deep = { anyOf: [{ type: "object", properties: { child: deep, n: { type: "number" } }, required: ["child"] }, { type: "null" }] };
    const countries = { type: "string", enum: Array.from({ length: 4000 }, (_, i) => `Country ${i.toString(36)}`) };
    const tree = {
      $defs: {
        node: {
          type: "object",
          properties: { name: { type: "string", pattern: "^[a-z][a-z0-9_-]{0,62}$" }, children: { type: "array", items: { $ref: "#/$defs/node" }, maxItems: 50 } },
          required: ["name"],
        },
      },
      $ref: "#/$defs/node",
    };
    const properties: Schema = {};
    for (let i = 0; i < 400; i++) {
      properties[`field_${i}`] = [
        { type: "string", maxLength: 255 },
        { type: "integer", minimum: 0, maximum: 10 ** (i % 9) },
        { type: "number", minimum: -1000, maximum: 1000 },
        { type: "boolean" },
        { type: "string", format: ["date-time", "uuid", "email", "uri"][i % 4] },
        { type: "array", items: { type: "string", enum: ["a", "b", "c"] }, maxItems: 20 },
      ][i % 6];
    }
    const openapi = { type: "object", properties, required: Object.keys(properties).filter((_, i) => i % 3 === 0) };
    for (const schema of [weather, deep, countries, tree, openapi]) {
      const started = performance.now();
      const grammar = build(schema);
      expect(performance.now() - started).toBeLessThan(BOUND_MS);
      parsesNatively(grammar);
    }
    expect(accepts(build(weather), '{"location":"Oslo","unit":null,"days":3}')).toBe(true);
    expect(accepts(build(countries), '"Country 2bb"')).toBe(true);
    expect(accepts(build(countries), '"Country 2bbb"')).toBe(false);
  });
});

// ---- seeded fuzz ------------------------------------------------------------------------------------------------

/** Random and adversarial schemas from one seed (a failure names the case, which the seed replays). */
class SchemaFuzzer {
  private readonly rng: Prng;

  constructor(seed: number) {
    this.rng = new Prng(seed);
  }

  private int(bound: number): number {
    return this.rng.nextInt(bound);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  private chance(p: number): boolean {
    return this.rng.nextFloat() < p;
  }

  /** A count that is usually small, sometimes around a limit, sometimes absurd. */
  private count(limit: number): number {
    return this.pick([this.int(5), this.int(40), limit - 1 - this.int(3), limit + this.int(3), limit * 2, 1e300, -1, 0.5]);
  }

  private number(): number {
    return this.pick([0, 1, -1, 0.5, 1e-7, 5e-324, 1e300, -1e300, 2 ** 53 + 1, 123.456, -0.001, this.rng.nextSymmetric(1e6)]);
  }

  regex(depth = 0): string {
    const pieces: string[] = [];
    const length = 1 + this.int(depth > 2 ? 2 : 5);
    for (let i = 0; i < length; i++) {
      let atom = this.pick(["a", "\\d", "[a-z0-9]", "[^\"\\\\]", ".", "\\w", "\\u00e9", "\\.", "[\\s-]", "x"]);
      if (depth < 4 && this.chance(0.35)) {
        // Many alternatives (around maxPatternAlternatives) only as single characters, else a few nested patterns.
        const wide = depth === 0 && this.chance(0.1);
        const options = wide
          ? Array.from({ length: this.pick([SCHEMA_LIMITS.maxPatternAlternatives, SCHEMA_LIMITS.maxPatternAlternatives + 1]) }, (_, k) => String.fromCharCode(0x100 + k))
          : Array.from({ length: 1 + this.int(4) }, () => this.regex(depth + 1));
        atom = `(${this.chance(0.5) ? "?:" : ""}${options.join("|")})`;
      }
      if (this.chance(0.5)) {
        const n = this.pick([0, 1, 3, 64, 65, 999, 2001, 100_000, SCHEMA_LIMITS.maxRepetition, SCHEMA_LIMITS.maxRepetition + 1]);
        atom += this.pick(["*", "+", "?", `{${n}}`, `{${n},}`, `{0,${n}}`, `{${this.int(5)},${n}}`]);
      }
      pieces.push(atom);
    }
    if (this.chance(0.05)) pieces.push(this.pick(["(?=a)", "\\1", "\\b", "\\p{L}", "a{2}{3}"]));
    return pieces.join("");
  }

  schema(depth: number, defs: string[]): unknown {
    if (depth <= 0 || this.chance(0.15)) return this.leaf();
    switch (this.int(8)) {
      case 0: {
        // A few nested properties, or (rarely) as many simple ones as the limit allows, or one more.
        const wide = this.chance(0.05);
        const count = wide ? this.pick([SCHEMA_LIMITS.maxProperties, SCHEMA_LIMITS.maxProperties + 1]) : this.int(8);
        const properties: Schema = {};
        for (let i = 0; i < count; i++) properties[`p${i}`] = wide ? { type: this.pick(["integer", "string", "boolean"]) } : this.schema(depth - 1, defs);
        const object: Schema = { type: "object", properties, required: Object.keys(properties).filter(() => this.chance(0.5)) };
        if (this.chance(0.3)) object.additionalProperties = this.chance(0.5) ? false : this.schema(depth - 1, defs);
        return object;
      }
      case 1:
        return { type: "array", items: this.schema(depth - 1, defs), ...(this.chance(0.5) && { minItems: this.count(3) }), ...(this.chance(0.5) && { maxItems: this.count(SCHEMA_LIMITS.maxRepetition) }) };
      case 2: {
        const wide = this.chance(0.08);
        const branches = wide
          ? Array.from({ length: this.pick([SCHEMA_LIMITS.maxAlternatives, SCHEMA_LIMITS.maxAlternatives + 1, 3000]) }, (_, k) => ({ const: k }))
          : Array.from({ length: 1 + this.int(4) }, () => this.schema(depth - 1, defs));
        return { [this.pick(["anyOf", "oneOf"])]: branches };
      }
      case 3:
        return defs.length > 0 ? { $ref: `#/$defs/${this.pick(defs)}` } : this.leaf();
      case 4:
        return { allOf: [this.schema(depth - 1, defs)] };
      case 5:
        return { type: this.pick([["string", "null"], ["integer", "number"], "object", ["array", "boolean", "null"]]) };
      case 6:
        return this.chance(0.5) ? true : { [this.pick(["uniqueItems", "patternProperties", "if", "$ref", "enum", "anyOf"])]: this.pick([true, "#/nowhere", [], {}, 3]) };
      default:
        return this.leaf();
    }
  }

  /** Nesting around and beyond SCHEMA_LIMITS.maxDepth, through items, allOf or anyOf. */
  deep(): unknown {
    let chain: unknown = this.leaf();
    const levels = this.pick([50, SCHEMA_LIMITS.maxDepth / 2 - 2, SCHEMA_LIMITS.maxDepth + 5, 10_000]);
    for (let i = 0; i < levels; i++) chain = this.pick([{ type: "array", items: chain }, { allOf: [chain] }, { anyOf: [chain, { type: "null" }] }]);
    return chain;
  }

  /** Many distinct bounded numbers and lengths: grammars near SCHEMA_LIMITS.maxGrammarBytes and maxGrammarRules. */
  large(): unknown {
    const properties: Schema = {};
    const count = 500 + this.int(2500);
    for (let i = 0; i < count; i++) {
      properties[`p${i}`] = this.chance(0.5)
        ? { type: "number", minimum: -i * 1.25, maximum: i * 97.5 + 0.001 }
        : { type: "string", minLength: i % 1000, maxLength: (i % 1000) + 60 + this.int(1000) };
    }
    return { type: "object", properties, required: Object.keys(properties).filter(() => this.chance(0.7)) };
  }

  leaf(): unknown {
    switch (this.int(8)) {
      case 0:
        return { type: "string", pattern: this.chance(0.05) ? "a".repeat(SCHEMA_LIMITS.maxPatternLength + this.int(3) - 1) : this.regex() };
      case 1:
        return { type: "string", format: this.pick(["date", "time", "date-time", "uuid", "email", "uri", "hostname"]) };
      case 2:
        return { type: "string", ...(this.chance(0.7) && { minLength: this.count(10) }), ...(this.chance(0.7) && { maxLength: this.count(SCHEMA_LIMITS.maxRepetition) }) };
      case 3: {
        const schema: Schema = { type: this.pick(["integer", "number"]) };
        for (const key of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]) if (this.chance(0.35)) schema[key] = this.number();
        return schema;
      }
      case 4: {
        const count = this.chance(0.1) ? this.pick([SCHEMA_LIMITS.maxEnumValues, SCHEMA_LIMITS.maxEnumValues + 1]) : 1 + this.int(20);
        return { enum: Array.from({ length: count }, (_, i) => this.pick([`v${i}`, i, null, { k: [i] }, `${"ab".repeat(this.int(50))}${i}`])) };
      }
      case 5:
        return { const: this.pick(["x", 1, null, { a: [1, 2] }, '"'.repeat(this.pick([10, 300_000]))]) };
      case 6:
        return { type: this.pick(["boolean", "null"]) };
      default:
        return {};
    }
  }

  /** A whole schema: random definitions (which may refer to each other, in cycles or not) and a root. */
  document(): unknown {
    if (this.chance(0.1)) return this.deep();
    if (this.chance(0.05)) return this.large();
    const names = Array.from({ length: this.int(4) }, (_, i) => `d${i}`);
    const defs: Schema = {};
    for (const name of names) defs[name] = this.schema(3, names);
    const root = this.schema(4, names);
    if (names.length === 0 || typeof root !== "object" || root === null || Array.isArray(root)) return root;
    return { ...(root as Schema), $defs: defs };
  }
}

describe("seeded fuzz of random and adversarial schemas", () => {
  it("each builds within the bound and the caps (and llama.cpp parses it), or is refused with ERR_SCHEMA_INVALID", { timeout: 300_000 }, () => {
    const fuzzer = new SchemaFuzzer(20261214);
    const outcomes = { built: 0, refused: 0 };
    const failures: string[] = [];
    for (let i = 0; i < 400; i++) {
      const schema = fuzzer.document();
      const started = performance.now();
      let grammar: string | undefined;
      try {
        grammar = jsonSchemaToGrammar(schema as Schema);
      } catch (error) {
        if (!hasCode(error, "ERR_SCHEMA_INVALID")) failures.push(`#${i}: ${String(error)}`);
        outcomes.refused++;
      }
      const elapsed = performance.now() - started;
      if (elapsed > BOUND_MS) failures.push(`#${i}: took ${elapsed.toFixed(0)} ms`);
      if (grammar === undefined) continue;
      outcomes.built++;
      if (Buffer.byteLength(grammar) > SCHEMA_LIMITS.maxGrammarBytes) failures.push(`#${i}: grammar of ${grammar.length} bytes`);
      if (grammarRuleCount(grammar) > SCHEMA_LIMITS.maxGrammarRules) failures.push(`#${i}: ${grammarRuleCount(grammar)} rules`);
      try {
        parsesNatively(grammar);
      } catch (error) {
        failures.push(`#${i}: llama.cpp: ${String(error)}`);
      }
      // The validator (run on structured output) takes any value against the schema without throwing.
      const validated = performance.now();
      for (const value of [null, {}, [], "x", 1.5, { p0: [[{}]], p1: "y" }]) {
        try {
          validateJson(value, schema as Schema);
        } catch (error) {
          failures.push(`#${i}: validateJson: ${String(error)}`);
        }
      }
      if (performance.now() - validated > BOUND_MS) failures.push(`#${i}: validation took too long`);
    }
    console.log(`schema fuzz: ${outcomes.built} built, ${outcomes.refused} refused`);
    expect(failures).toEqual([]);
    expect(outcomes.built).toBeGreaterThan(30);
    expect(outcomes.refused).toBeGreaterThan(30);
  });
});
