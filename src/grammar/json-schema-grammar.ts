/**
 * JSON Schema → GBNF (llama.cpp grammar) for structured output and tool-call arguments. Supports the subset of
 * json-schema.ts: objects (declared properties in order, required and optional, additionalProperties), arrays
 * (items, minItems/maxItems), strings (enum, const, minLength/maxLength, pattern — gbnf-regex.ts, format —
 * gbnf-formats.ts), numbers and integers with their bounds and multipleOf (gbnf-number.ts; integers always within
 * ±(2^53−1)), booleans, null, anyOf/oneOf, $ref into $defs (recursion included). Numbers are bounded (16 digits)
 * and whitespace is short, so even a model that rambles must close the value.
 */
import type { JsonSchema } from "../types.js";
import {
  allowedTypes,
  checkSchema,
  constrainsStructure,
  isPlainObject,
  resolveRef,
  schemaError,
  type SchemaNode,
  type SchemaType,
} from "./json-schema.js";
import { formatGrammar } from "./gbnf-formats.js";
import { hasNumericKeywords, integerRange, numberGrammar } from "./gbnf-number.js";
import { patternGrammar } from "./gbnf-regex.js";

/** A GBNF string literal matching exactly `text`. */
export function gbnfLiteral(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === "\\") out += `\\${char}`;
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += char;
  }
  return `${out}"`;
}

/** Rules every JSON grammar shares. */
const PRIMITIVE_RULES: Record<string, string> = {
  ws: '| " " | "\\n" [ \\t]{0,24}',
  "json-char": '[^"\\\\\\x00-\\x1f] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})',
  "json-string": '"\\"" json-char* "\\""',
  "json-integer": '"-"? ("0" | [1-9] [0-9]{0,15})',
  "json-number": 'json-integer ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?',
  "json-boolean": '"true" | "false"',
  "json-null": '"null"',
  "json-value": "json-object | json-array | json-string | json-number | json-boolean | json-null",
  "json-object": '"{" ws ( json-string ws ":" ws json-value ws ( "," ws json-string ws ":" ws json-value ws )* )? "}"',
  "json-array": '"[" ws ( json-value ws ( "," ws json-value ws )* )? "]"',
};

/** Which shared rules each shared rule needs. */
const PRIMITIVE_DEPENDENCIES: Record<string, string[]> = {
  "json-string": ["json-char"],
  "json-number": ["json-integer"],
  "json-value": ["json-object", "json-array", "json-string", "json-number", "json-boolean", "json-null"],
  "json-object": ["ws", "json-string", "json-value"],
  "json-array": ["ws", "json-value"],
};

class GrammarBuilder {
  private readonly rules = new Map<string, string>();
  private readonly bodies = new Map<string, string>();
  private readonly named = new Map<object, string>();
  private counter = 0;

  constructor(private readonly root: JsonSchema | boolean) {}

  /** The grammar text, with `rootName` matching `rootExpression` (default: the whole schema). */
  build(rootName: string, rootExpression?: string): string {
    const body = rootExpression ?? this.expression(this.root, "#");
    this.rules.set(rootName, body);
    const order = [rootName, ...[...this.rules.keys()].filter((name) => name !== rootName)];
    return order.map((name) => `${name} ::= ${this.rules.get(name)}`).join("\n") + "\n";
  }

  /** Name of a shared primitive rule, added with its dependencies on first use. */
  primitive(name: string): string {
    if (!this.rules.has(name)) {
      this.rules.set(name, PRIMITIVE_RULES[name]!);
      for (const dependency of PRIMITIVE_DEPENDENCIES[name] ?? []) this.primitive(dependency);
    }
    return name;
  }

  /** A named rule for `body` (identical bodies share one rule). */
  private rule(hint: string, body: string): string {
    const existing = this.bodies.get(body);
    if (existing) return existing;
    const name = `${hint}-${this.counter++}`;
    this.rules.set(name, body);
    this.bodies.set(body, name);
    return name;
  }

  /** GBNF expression for a schema node. */
  private expression(node: SchemaNode, path: string): string {
    if (node === false) throw schemaError(path, "the schema false matches no value");
    if (node === true || !constrainsStructure(node)) return this.primitive("json-value");
    const schema = node as JsonSchema;
    if (typeof schema.$ref === "string") return this.reference(schema.$ref, path);
    const alternatives = (schema.anyOf ?? schema.oneOf ?? schema.allOf) as SchemaNode[] | undefined;
    if (alternatives) {
      return this.group(alternatives.map((branch, i) => this.expression(branch, `${path}/anyOf/${i}`)));
    }
    if (schema.const !== undefined) return gbnfLiteral(JSON.stringify(schema.const));
    if (Array.isArray(schema.enum)) return this.group(schema.enum.map((value) => gbnfLiteral(JSON.stringify(value))));
    const types = allowedTypes(schema, path) ?? inferTypes(schema);
    return this.group(types.map((type) => this.typed(schema, type, path)));
  }

  private group(alternatives: string[]): string {
    const unique = [...new Set(alternatives)];
    return unique.length === 1 ? unique[0]! : `( ${unique.join(" | ")} )`;
  }

  private reference(ref: string, path: string): string {
    const target = resolveRef(this.root as JsonSchema, ref, path);
    if (typeof target === "boolean") return this.expression(target, ref);
    let name = this.named.get(target);
    if (!name) {
      name = `ref-${this.counter++}`;
      this.named.set(target, name);
      this.rules.set(name, "");
      this.rules.set(name, this.expression(target, ref));
    }
    return name;
  }

  private typed(schema: JsonSchema, type: SchemaType, path: string): string {
    switch (type) {
      case "null":
        return this.primitive("json-null");
      case "boolean":
        return this.primitive("json-boolean");
      case "integer":
        return this.rule("integer", hasNumericKeywords(schema) ? numberGrammar(schema, "integer", path) : SAFE_INTEGER);
      case "number":
        return hasNumericKeywords(schema) ? this.rule("number", numberGrammar(schema, "number", path)) : this.primitive("json-number");
      case "string":
        return this.string(schema, path);
      case "array":
        return this.array(schema, path);
      case "object":
        return this.object(schema, path);
    }
  }

  private string(schema: JsonSchema, path: string): string {
    if (typeof schema.pattern === "string") {
      const { expression, usesAnyChar } = patternGrammar(schema.pattern, `${path}/pattern`);
      if (usesAnyChar) this.primitive("json-char");
      return this.rule("string", `"\\"" ${expression} "\\""`);
    }
    if (typeof schema.format === "string") return this.rule("string", `"\\"" ${formatGrammar(schema.format, path)} "\\""`);
    const min = (schema.minLength as number | undefined) ?? 0;
    const max = schema.maxLength as number | undefined;
    if (min === 0 && max === undefined) return this.primitive("json-string");
    this.primitive("json-char");
    return this.rule("string", `"\\"" json-char{${min},${max ?? ""}} "\\""`);
  }

  private array(schema: JsonSchema, path: string): string {
    const ws = this.primitive("ws");
    const item = schema.items === undefined ? this.primitive("json-value") : this.expression(schema.items as SchemaNode, `${path}/items`);
    const itemRule = /^[\w-]+$/.test(item) ? item : this.rule("item", item);
    const min = (schema.minItems as number | undefined) ?? 0;
    const max = schema.maxItems as number | undefined;
    if (max === 0) return this.rule("array", `"[" ${ws} "]"`);
    const more = `( "," ${ws} ${itemRule} ${ws} ){${Math.max(0, min - 1)},${max === undefined ? "" : max - 1}}`;
    const items = `${itemRule} ${ws} ${more}`;
    return this.rule("array", `"[" ${ws} ${min === 0 ? `( ${items} )?` : items} "]"`);
  }

  private object(schema: JsonSchema, path: string): string {
    const ws = this.primitive("ws");
    const properties = isPlainObject(schema.properties) ? Object.entries(schema.properties as Record<string, SchemaNode>) : [];
    const extra = schema.additionalProperties;
    if (properties.length === 0) {
      if (extra === false) return this.rule("object", `"{" ${ws} "}"`);
      const value = extra === undefined || extra === true ? this.primitive("json-value") : this.expression(extra as SchemaNode, `${path}/additionalProperties`);
      const pair = `${this.primitive("json-string")} ${ws} ":" ${ws} ${value} ${ws}`;
      return this.rule("object", `"{" ${ws} ( ${pair} ( "," ${ws} ${pair} )* )? "}"`);
    }
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const pairs = properties
      .filter(([, value]) => value !== false)
      .map(([key, value]) => ({
        required: required.has(key),
        pair: `${gbnfLiteral(JSON.stringify(key))} ${ws} ":" ${ws} ${this.expression(value, `${path}/properties/${key}`)} ${ws}`,
      }));
    // rest[i]: the properties from i on, each after a comma; first: the alternatives for the first one written.
    const rest: string[] = new Array<string>(pairs.length + 1).fill("");
    for (let i = pairs.length - 1; i >= 0; i--) {
      const item = `"," ${ws} ${pairs[i]!.pair}`;
      const head = pairs[i]!.required ? item : `( ${item} )?`;
      rest[i] = rest[i + 1] ? this.rule("props", `${head} ${rest[i + 1]}`) : this.rule("props", head);
    }
    const firsts: string[] = [];
    let allOptional = true;
    for (let i = 0; i < pairs.length; i++) {
      firsts.push(`${pairs[i]!.pair}${rest[i + 1] ? ` ${rest[i + 1]}` : ""}`);
      if (pairs[i]!.required) {
        allOptional = false;
        break;
      }
    }
    const members = firsts.length === 1 && !allOptional ? firsts[0]! : `( ${firsts.join(" | ")} )${allOptional ? "?" : ""}`;
    return this.rule("object", `"{" ${ws} ${members} "}"`);
  }
}

/** Integers within ±(2^53−1): every one survives JSON.parse exactly. */
const SAFE_INTEGER = integerRange(-BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER));

/** Types implied by type-specific keywords when `type` is absent. */
function inferTypes(schema: JsonSchema): SchemaType[] {
  if (hasNumericKeywords(schema)) return ["number"];
  if (schema.pattern !== undefined || schema.format !== undefined) return ["string"];
  if (schema.properties !== undefined || schema.additionalProperties !== undefined) return ["object"];
  if (schema.items !== undefined || schema.minItems !== undefined || schema.maxItems !== undefined) return ["array"];
  if (schema.minLength !== undefined || schema.maxLength !== undefined) return ["string"];
  return ["object", "array", "string", "number", "boolean", "null"];
}

/**
 * GBNF whose rule `rootName` matches only JSON texts valid under `schema` (every keyword of the supported subset
 * is enforced; one that cannot be is refused, never ignored).
 * @throws GptOssError `ERR_SCHEMA_INVALID` for unsupported keywords or malformed schemas.
 */
export function jsonSchemaToGrammar(schema: JsonSchema | boolean, rootName = "root"): string {
  checkSchema(schema);
  return new GrammarBuilder(schema).build(rootName);
}

/** GBNF for any JSON object (`response_format: json_object`). */
export function jsonObjectGrammar(rootName = "root"): string {
  const builder = new GrammarBuilder(true);
  return builder.build(rootName, builder.primitive("json-object"));
}
