// The keywords the JSON-schema grammar enforces while generating (bounds, multipleOf, pattern, format) and the
// ones it refuses: checked with an independent GBNF recogniser against values on both sides of every limit.
import { describe, expect, it } from "vitest";
import { hasCode } from "../../src/errors.js";
import { jsonSchemaToGrammar } from "../../src/grammar/json-schema-grammar.js";
import { validateJson } from "../../src/grammar/json-schema-validate.js";
import { accepts } from "../helpers/gbnf-matcher.js";

/** The grammar accepts every `valid` text (which the validator accepts too) and rejects every `invalid` one. */
function agree(schema: Record<string, unknown>, valid: string[], invalid: string[]): void {
  const grammar = jsonSchemaToGrammar(schema);
  for (const text of valid) {
    expect(accepts(grammar, text), `grammar accepts ${text}`).toBe(true);
    expect(validateJson(JSON.parse(text), schema), `validator accepts ${text}`).toEqual([]);
  }
  for (const text of invalid) expect(accepts(grammar, text), `grammar rejects ${text}`).toBe(false);
}

function refusal(schema: unknown): string {
  try {
    jsonSchemaToGrammar(schema as Record<string, unknown>);
  } catch (error) {
    expect(hasCode(error, "ERR_SCHEMA_INVALID"), String(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(schema)}`);
}

const SAFE = Number.MAX_SAFE_INTEGER;

describe("integers", () => {
  it("minimum/maximum are a digit range", () => {
    agree({ type: "integer", minimum: 1, maximum: 10 }, ["1", "5", "9", "10"], ["0", "11", "-1", "100", "01", "9435060655618248", "1.5"]);
    agree({ type: "integer", minimum: -15, maximum: 37 }, ["-15", "-9", "-1", "0", "19", "37"], ["-16", "-0", "38", "40", "99"]);
    agree({ type: "integer", minimum: 123, maximum: 4567 }, ["123", "130", "999", "1000", "4499", "4567"], ["122", "4568", "4600", "5000", "99"]);
    agree({ type: "integer", minimum: -500, maximum: -20 }, ["-500", "-20", "-99", "-100"], ["-19", "-501", "20", "0"]);
  });

  it("exclusive bounds, fractional bounds and draft-4 booleans", () => {
    agree({ type: "integer", exclusiveMinimum: 0, exclusiveMaximum: 5 }, ["1", "4"], ["0", "5"]);
    agree({ type: "integer", minimum: 0.5, maximum: 3.7 }, ["1", "3"], ["0", "4"]);
    agree({ type: "integer", minimum: 2, exclusiveMinimum: true, maximum: 4, exclusiveMaximum: true }, ["3"], ["2", "4"]);
  });

  it("stay within ±(2^53−1) bounded or not, so zod's .int() bounds work", () => {
    const zodInt = { type: "integer", minimum: -SAFE, maximum: SAFE };
    for (const schema of [{ type: "integer" }, zodInt, { type: "integer", minimum: 0 }]) {
      agree(schema, [String(SAFE), "7", "900719925474099"], [String(SAFE + 1), "9999999999999999", "10000000000000000"]);
    }
    agree(zodInt, [String(-SAFE), "-1"], [String(-SAFE - 1)]);
    agree({ type: "integer", minimum: 0 }, ["0"], ["-1"]);
  });

  it("multipleOf: listed within bounds, a no-op for 1/n, refused when unbounded", () => {
    agree({ type: "integer", minimum: -10, maximum: 20, multipleOf: 5 }, ["-10", "-5", "0", "5", "20"], ["3", "-3", "25", "-15"]);
    agree({ type: "integer", minimum: 0, maximum: 9, multipleOf: 0.5 }, ["0", "7"], ["10"]);
    expect(refusal({ type: "integer", multipleOf: 7 })).toMatch(/multipleOf/);
    expect(refusal({ type: "integer", minimum: 0, maximum: 10, multipleOf: 2.5 })).toMatch(/multipleOf/);
  });

  it("an empty range is refused naming the bounds", () => {
    expect(refusal({ type: "integer", minimum: 5, maximum: 4 })).toMatch(/minimum 5, maximum 4/);
    expect(refusal({ type: "integer", exclusiveMinimum: 1, exclusiveMaximum: 2 })).toMatch(/exclusiveMinimum/);
  });
});

describe("numbers", () => {
  it("bounds with decimals, inclusive and exclusive", () => {
    agree({ type: "number", minimum: 0, maximum: 1 }, ["0", "0.5", "1", "1.0", "0.999999"], ["1.5", "-0.1", "2", "1.000001"]);
    agree({ type: "number", minimum: -2.5, maximum: 3.25 }, ["-2.5", "-2.49", "-0.7", "3", "3.25", "3.2"], ["-2.51", "-3", "3.26", "3.3", "4"]);
    agree({ type: "number", exclusiveMinimum: 0, exclusiveMaximum: 10 }, ["0.000001", "9.5", "1"], ["0", "0.0", "10", "10.0", "-1"]);
    agree({ type: "number", minimum: 1.25, maximum: 1.75 }, ["1.25", "1.5", "1.75", "1.3"], ["1.2", "1.76", "1.8", "1", "2"]);
  });

  it("one-sided bounds stay below 2^53 and use plain decimals", () => {
    agree({ type: "number", minimum: 0 }, ["0", "12.5", String(SAFE)], ["-1", "1e3", String(SAFE + 1)]);
  });

  it("multipleOf: a power of ten limits the decimals, others are listed in range", () => {
    agree({ type: "number", minimum: 0, maximum: 100, multipleOf: 0.01 }, ["0", "99.99", "0.5", "100"], ["0.001", "100.01"]);
    agree({ type: "number", minimum: 0, maximum: 2, multipleOf: 0.5 }, ["0", "0.5", "1", "1.5", "2"], ["0.25", "2.5", "0.6"]);
    expect(refusal({ type: "number", multipleOf: 0.3 })).toMatch(/multipleOf/);
  });
});

describe("strings", () => {
  it("pattern: anchored and unanchored, classes, groups, quantifiers, escapes", () => {
    agree({ type: "string", pattern: "^[a-z]{2,4}-\\d+$" }, ['"ab-1"', '"abcd-2024"'], ['"a-1"', '"abcde-1"', '"ab-"', '"AB-1"', '"1ab-1"']);
    agree({ type: "string", pattern: "^(?:red|gr[e]en)?$" }, ['""', '"red"', '"green"'], ['"blue"', '"redred"']);
    agree({ type: "string", pattern: "x\\.y" }, ['"x.y"', '"--x.y--"'], ['"xzy"', '"x.z"']);
    agree({ type: "string", pattern: "^[^a-c]+$" }, ['"xyz"', '"\\""', '"\\\\"'], ['"a"', '"xbz"']);
    agree({ type: "string", pattern: '^"\\\\$' }, ['"\\"\\\\"'], ['"\\"\\\\x"']);
    agree({ type: "string", pattern: "^\\s\\w\\S$" }, ['" a!"', '"\\ta-"'], ['"aa!"', '" a "']);
  });

  it("pattern features it cannot enforce are refused", () => {
    for (const pattern of ["^(?=a)a$", "^(a)\\1$", "\\bword", "a^b", "^\\p{L}+$"]) {
      expect(refusal({ type: "string", pattern }), pattern).toMatch(/pattern/);
    }
  });

  it("formats", () => {
    agree({ type: "string", format: "date" }, ['"2024-02-29"', '"2023-12-31"', '"2000-02-29"'], ['"2023-02-29"', '"1900-02-29"', '"2024-13-01"', '"2024-04-31"', '"24-01-01"']);
    agree({ type: "string", format: "time" }, ['"23:59:59Z"', '"08:00:00.5+02:00"'], ['"24:00:00Z"', '"12:00:00"', '"12:60:00Z"']);
    agree({ type: "string", format: "date-time" }, ['"2024-05-06T07:08:09Z"'], ['"2024-05-06 07:08:09Z"', '"2024-05-06"']);
    agree({ type: "string", format: "uuid" }, ['"123e4567-e89b-12d3-a456-426614174000"'], ['"123e4567e89b12d3a456426614174000"', '"123e4567-e89b-12d3-a456-42661417400g"']);
    agree({ type: "string", format: "email" }, ['"a.b+c@example.com"', '"x@sub.example.org"'], ['"a@b"', '"@example.com"', '"a..b@example.com"', '"a b@x.com"']);
    agree({ type: "string", format: "uri" }, ['"https://example.com/a?b=c#d"', '"urn:isbn:0451450523"'], ['"example.com"', '"http://a b"']);
    expect(refusal({ type: "string", format: "hostname" })).toMatch(/format "hostname" is not supported/);
  });

  it("a pattern, a format and a length are not combined", () => {
    expect(refusal({ type: "string", pattern: "^a+$", maxLength: 3 })).toMatch(/pattern with maxLength/);
    expect(refusal({ type: "string", format: "email", pattern: "^a" })).toMatch(/pattern with format/);
  });
});

describe("other keywords", () => {
  it("const and enum of any JSON type, bounded values inside arrays, anyOf and $ref", () => {
    agree({ const: { a: [1, null] } }, ['{"a":[1,null]}'], ['{"a":[1]}']);
    agree({ enum: [1.5, true, [1, 2]] }, ["1.5", "true", "[1,2]"], ["1", "false"]);
    const schema = {
      $defs: { score: { type: "integer", minimum: 1, maximum: 5 } },
      type: "object",
      properties: { scores: { type: "array", items: { $ref: "#/$defs/score" }, minItems: 1, maxItems: 2 }, id: { anyOf: [{ type: "string", format: "uuid" }, { type: "null" }] } },
      required: ["scores", "id"],
      additionalProperties: false,
    };
    agree(schema, ['{"scores":[1,5],"id":null}'], ['{"scores":[0],"id":null}', '{"scores":[6],"id":null}', '{"scores":[],"id":null}', '{"scores":[1],"id":"x"}']);
  });

  it("keywords it cannot enforce are refused, naming them", () => {
    expect(refusal({ type: "array", uniqueItems: true })).toMatch(/"uniqueItems"/);
    expect(refusal({ type: "object", patternProperties: {} })).toMatch(/"patternProperties"/);
    expect(refusal({ type: "array", contains: {} })).toMatch(/"contains"/);
    expect(refusal({ type: "number", minimum: "1" })).toMatch(/minimum must be a finite number/);
    expect(() => jsonSchemaToGrammar({ type: "array", uniqueItems: false })).not.toThrow();
  });
});
