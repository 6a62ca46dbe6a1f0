import { describe, expect, it } from "vitest";
import { hasCode } from "../../src/errors.js";
import { gbnfLiteral, jsonObjectGrammar, jsonSchemaToGrammar } from "../../src/grammar/json-schema-grammar.js";
import { validateJson } from "../../src/grammar/json-schema-validate.js";
import { headerGrammar } from "../../src/chat/turn/harmony-grammar.js";
import { accepts } from "../helpers/gbnf-matcher.js";

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

describe("JSON validation (the check on structured output after generation)", () => {
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
