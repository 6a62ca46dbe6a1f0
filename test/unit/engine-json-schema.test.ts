import { describe, expect, it } from "vitest";
import { hasCode } from "../../src/errors.js";
import { gbnfLiteral, jsonObjectGrammar, jsonSchemaToGrammar } from "../../src/grammar/json-schema-grammar.js";
import { validateJson } from "../../src/grammar/json-schema-validate.js";
import { headerGrammar } from "../../src/chat/turn/harmony-grammar.js";

// A small, independent GBNF recogniser (the subset the builders emit) to check what a grammar accepts.
type Node =
  | { t: "lit"; s: string }
  | { t: "cls"; neg: boolean; ranges: Array<[number, number]> }
  | { t: "ref"; name: string }
  | { t: "alt"; options: Node[][] }
  | { t: "rep"; node: Node; min: number; max: number };

function parseGbnf(text: string): Map<string, Node> {
  const rules = new Map<string, Node>();
  let i = 0;
  const ws = () => {
    while (i < text.length && /[ \t]/.test(text[i]!)) i++;
  };
  const escape = (): number => {
    const c = text[i++]!;
    if (c !== "\\") return c.codePointAt(0)!;
    const e = text[i++]!;
    if (e === "x") {
      const code = parseInt(text.slice(i, i + 2), 16);
      i += 2;
      return code;
    }
    return ({ n: 10, r: 13, t: 9 } as Record<string, number>)[e] ?? e.codePointAt(0)!;
  };
  const alternatives = (nested: boolean): Node => {
    const options: Node[][] = [[]];
    for (;;) {
      ws();
      if (text[i] === "\n" && nested) i++, ws();
      const c = text[i];
      if (c === undefined || (c === "\n" && !nested)) break;
      if (c === ")") break;
      if (c === "|") {
        i++;
        options.push([]);
        continue;
      }
      let node: Node;
      if (c === '"') {
        i++;
        let s = "";
        while (text[i] !== '"') s += String.fromCodePoint(escape());
        i++;
        node = { t: "lit", s };
      } else if (c === "[") {
        i++;
        const neg = text[i] === "^";
        if (neg) i++;
        const ranges: Array<[number, number]> = [];
        while (text[i] !== "]") {
          const lo = escape();
          let hi = lo;
          if (text[i] === "-" && text[i + 1] !== "]") {
            i++;
            hi = escape();
          }
          ranges.push([lo, hi]);
        }
        i++;
        node = { t: "cls", neg, ranges };
      } else if (c === "(") {
        i++;
        node = alternatives(true);
        i++;
      } else {
        const name = /^[\w-]+/.exec(text.slice(i))![0];
        i += name.length;
        node = { t: "ref", name };
      }
      const post = text[i];
      if (post === "*" || post === "+" || post === "?") {
        i++;
        node = { t: "rep", node, min: post === "+" ? 1 : 0, max: post === "?" ? 1 : Infinity };
      } else if (post === "{") {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(text.slice(i))!;
        i += m[0].length;
        node = { t: "rep", node, min: Number(m[1]), max: m[2] === undefined ? Number(m[1]) : m[3] === "" ? Infinity : Number(m[3]) };
      }
      options[options.length - 1]!.push(node);
    }
    return { t: "alt", options };
  };
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const at = line.indexOf("::=");
    const saved = text;
    text = line.slice(at + 3);
    i = 0;
    rules.set(line.slice(0, at).trim(), alternatives(false));
    text = saved;
  }
  return rules;
}

function accepts(grammar: string, input: string): boolean {
  const rules = parseGbnf(grammar);
  const chars = [...input].map((c) => c.codePointAt(0)!);
  const memo = new Map<string, Set<number>>();
  const ends = (node: Node, pos: number): Set<number> => {
    switch (node.t) {
      case "lit": {
        const s = [...node.s].map((c) => c.codePointAt(0)!);
        return s.every((c, k) => chars[pos + k] === c) ? new Set([pos + s.length]) : new Set();
      }
      case "cls": {
        const c = chars[pos];
        if (c === undefined) return new Set();
        const inside = node.ranges.some(([lo, hi]) => c >= lo && c <= hi);
        return inside !== node.neg ? new Set([pos + 1]) : new Set();
      }
      case "ref": {
        const key = `${node.name}@${pos}`;
        let result = memo.get(key);
        if (!result) {
          memo.set(key, new Set());
          result = ends(rules.get(node.name)!, pos);
          memo.set(key, result);
        }
        return result;
      }
      case "alt": {
        const out = new Set<number>();
        for (const seq of node.options) {
          let positions = new Set([pos]);
          for (const item of seq) positions = new Set([...positions].flatMap((p) => [...ends(item, p)]));
          positions.forEach((p) => out.add(p));
        }
        return out;
      }
      case "rep": {
        const out = new Set<number>();
        let frontier = new Set([pos]);
        for (let n = 0; frontier.size > 0 && n <= Math.min(node.max, chars.length + 1); n++) {
          if (n >= node.min) frontier.forEach((p) => out.add(p));
          if (n === node.max) break;
          frontier = new Set([...frontier].flatMap((p) => [...ends(node.node, p)].filter((q) => q > p || node.min > n)));
        }
        return out;
      }
    }
  };
  return ends({ t: "ref", name: "root" }, 0).has(chars.length);
}

/** The grammar must accept every valid sample and reject every invalid one; the validator must agree. */
function agree(schema: Record<string, unknown>, valid: string[], invalid: string[]): void {
  const grammar = jsonSchemaToGrammar(schema);
  for (const text of valid) {
    expect(accepts(grammar, text), `grammar accepts ${text}`).toBe(true);
    expect(validateJson(JSON.parse(text), schema), `validator accepts ${text}`).toEqual([]);
  }
  for (const text of invalid) {
    expect(accepts(grammar, text), `grammar rejects ${text}`).toBe(false);
  }
}

describe("JSON schema → GBNF", () => {
  it("objects with required and optional properties, in declared order", () => {
    const schema = {
      type: "object",
      properties: { a: { type: "integer" }, b: { type: "string" }, c: { type: "boolean" } },
      required: ["b"],
      additionalProperties: false,
    };
    agree(schema, ['{"b":"x"}', '{"a":1,"b":"x"}', '{"a":-20, "b":"", "c":true}', '{ "b":"y","c":false }'], [
      "{}",
      '{"a":1}',
      '{"b":"x",}',
      '{"b":"x","a":1}',
      '{"b":"x","d":1}',
      '{"a":1.5,"b":"x"}',
    ]);
  });

  it("all-optional objects accept the empty object", () => {
    agree({ type: "object", properties: { x: { type: "null" }, y: { type: "number" } } }, ["{}", '{"y":1.5e3}', '{"x":null,"y":-0.25}'], ['{"y":01}', '{,"y":1}']);
  });

  it("arrays with min and max items", () => {
    agree({ type: "array", items: { type: "integer" }, minItems: 1, maxItems: 3 }, ["[1]", "[1, 2,3]"], ["[]", "[1,2,3,4]", "[1,]"]);
    agree({ type: "array", items: { const: "a" }, maxItems: 1 }, ["[]", '["a"]'], ['["b"]', '["a","a"]']);
  });

  it("enums, const, and string lengths (escapes count as one character)", () => {
    agree({ enum: ["red", 2, null, { k: [1] }] }, ['"red"', "2", "null", '{"k":[1]}'], ['"blue"', "3"]);
    agree({ const: "x\"y" }, ['"x\\"y"'], ['"xy"']);
    agree({ type: "string", minLength: 1, maxLength: 3 }, ['"a"', '"abc"', '"\\n\\u00e9b"'], ['""', '"abcd"', '"a\nb"']);
  });

  it("anyOf / oneOf, type arrays, nullable", () => {
    agree({ anyOf: [{ type: "string" }, { type: "integer" }] }, ['"s"', "12"], ["true", "1.5"]);
    agree({ type: ["boolean", "null"] }, ["true", "null"], ['"x"']);
    agree({ type: "integer", nullable: true }, ["3", "null"], ["true"]);
  });

  it("$ref into $defs, including recursion", () => {
    const schema = {
      $defs: { node: { type: "object", properties: { v: { type: "integer" }, next: { anyOf: [{ $ref: "#/$defs/node" }, { type: "null" }] } }, required: ["v", "next"] } },
      $ref: "#/$defs/node",
    };
    agree(schema, ['{"v":1,"next":null}', '{"v":1,"next":{"v":2,"next":null}}'], ['{"v":1}', '{"v":1,"next":{"v":2}}']);
  });

  it("maps (no properties) and any JSON", () => {
    agree({ type: "object", additionalProperties: { type: "integer" } }, ["{}", '{"a":1,"b":2}'], ['{"a":"x"}']);
    agree({}, ['{"a":[1,{"b":null}]}', '"s"', "-1e5"], ["{a:1}"]);
    const objectOnly = jsonObjectGrammar();
    expect(accepts(objectOnly, '{"a":[true]}')).toBe(true);
    expect(accepts(objectOnly, "[1]")).toBe(false);
  });

  it("rejects schemas it cannot enforce with ERR_SCHEMA_INVALID", () => {
    const inverted = [{ type: "string", minLength: 5, maxLength: 2 }, { type: "array", minItems: 3, maxItems: 1 }];
    for (const schema of [{ not: {} }, { type: "object", if: {} }, { allOf: [{}, {}] }, { $ref: "http://x/y" }, { type: "text" }, { type: "string", $ref: "#" }, ...inverted]) {
      let error: unknown;
      try {
        jsonSchemaToGrammar(schema);
      } catch (e) {
        error = e;
      }
      expect(hasCode(error, "ERR_SCHEMA_INVALID"), JSON.stringify(schema)).toBe(true);
    }
  });

  it("literals escape quotes, backslashes and control characters", () => {
    expect(gbnfLiteral('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(accepts(`root ::= ${gbnfLiteral('a"b\\c\nd')}`, 'a"b\\c\nd')).toBe(true);
  });

  it("header grammars reference harmony tokens by id", () => {
    const grammar = headerGrammar([{ kind: "final" }, { kind: "call", name: "get_time" }]);
    expect(grammar).toBe('root ::= <[200005]> ( "final" <[200008]> | "commentary to=functions.get_time" " " <[200003]> "json" <[200008]> )\n');
  });
});

describe("JSON validation (keywords the grammar leaves to the validator)", () => {
  it("checks ranges, patterns, multiples and uniqueness", () => {
    const schema = {
      type: "object",
      properties: {
        n: { type: "number", minimum: 0, exclusiveMaximum: 10, multipleOf: 0.5 },
        s: { type: "string", pattern: "^[a-z]+$" },
        u: { type: "array", uniqueItems: true },
      },
    };
    expect(validateJson({ n: 9.5, s: "abc", u: [1, 2] }, schema)).toEqual([]);
    expect(validateJson({ n: 10, s: "aB", u: [1, 1] }, schema)).toHaveLength(3);
    expect(validateJson({ n: 0.3 }, schema)).toEqual(["#/n: must be a multiple of 0.5"]);
  });

  it("oneOf needs exactly one match; required and additionalProperties are enforced", () => {
    expect(validateJson(1, { oneOf: [{ type: "integer" }, { type: "number" }] })).toHaveLength(1);
    expect(validateJson({ a: 1, b: 2 }, { type: "object", properties: { a: {} }, required: ["a", "c"], additionalProperties: false })).toEqual([
      '#: missing required property "c"',
      '#: unexpected property "b"',
    ]);
  });
});
