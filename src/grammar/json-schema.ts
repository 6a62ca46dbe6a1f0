/**
 * The JSON Schema subset this package turns into grammars (json-schema-grammar.ts) and validates
 * (json-schema-validate.ts): what is supported, how `$ref` resolves, the bounds every schema must keep
 * (SCHEMA_LIMITS), and the up-front check that rejects schemas the grammar could not enforce or that are too big.
 */
import type { JsonSchema } from "../types.js";
import { GptOssError } from "../errors.js";

/**
 * Bounds on a JSON schema and on the grammar built from it, so that building a grammar from any schema (a client's,
 * over HTTP) takes bounded time and memory and never overflows the stack. A schema over any of them is refused with
 * ERR_SCHEMA_INVALID (HTTP 400 `invalid_schema`) naming the limit; a hand-written GBNF `grammar` over the grammar
 * limits with ERR_GRAMMAR_INVALID. Each is far above what real schemas use: OpenAI's structured outputs allow 10
 * levels of nesting, 5000 properties and 1000 enum values in all; nested objects 20-30 deep, enums of a few thousand
 * values and OpenAPI-sized tool schemas fit. This object is the only place these numbers live.
 */
export const SCHEMA_LIMITS = Object.freeze({
  /**
   * Nesting of the schema as JSON: every object and array level counts (annotations and enum values included), so
   * an object property is two levels (`properties`, then its schema). Also the longest chain of `$ref`, `anyOf`,
   * `oneOf` and `allOf` leading from one value to another without nesting.
   */
  maxDepth: 256,
  /** Objects and arrays in the schema as JSON (a value a library caller shares between places counts at each). */
  maxNodes: 100_000,
  /** Properties of one object schema. */
  maxProperties: 5_000,
  /**
   * Alternatives one value may start with: the branches of `anyOf`/`oneOf` (and the types of a `type` list), nested
   * ones (also through `$ref`) added up.
   */
  maxAlternatives: 1_024,
  /** Values of one `enum`. */
  maxEnumValues: 10_000,
  /** Bytes of every `enum` and `const` value of the schema together, as JSON. */
  maxEnumBytes: 1024 * 1024,
  /** Characters of one `pattern`. */
  maxPatternLength: 2_048,
  /** Alternatives (`|`) in one `pattern`, all groups together. */
  maxPatternAlternatives: 512,
  /**
   * The largest count: `minLength`/`maxLength`, `minItems`/`maxItems`, a pattern's `{n,m}`, and in a pattern the
   * counts of nested quantifiers multiplied (`(a{1000}){1000}` counts 1,000,000).
   */
  maxRepetition: 1_048_576,
  /** Bytes of the GBNF grammar built from one schema (or of one hand-written grammar). */
  maxGrammarBytes: 1024 * 1024,
  /**
   * Rules of one grammar once llama.cpp has expanded it (each group, each `* + ?`, and `n − m` rules for each
   * `{m,n}`): its parse runs before any generation and takes about 3 µs per rule.
   */
  maxGrammarRules: 100_000,
  /** Bytes of all grammars of one request together (the response format's and every tool's). */
  maxRequestGrammarBytes: 4 * 1024 * 1024,
});

export type SchemaLimit = keyof typeof SCHEMA_LIMITS;

/** Keywords that only annotate (ignored by grammar and validator). */
const ANNOTATIONS = new Set([
  "$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly",
  "writeOnly", "name", "strict",
]);

/** Keywords the grammar enforces. */
const ENFORCED = new Set([
  "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const", "anyOf",
  "oneOf", "allOf", "$ref", "$defs", "definitions", "minLength", "maxLength", "nullable", "pattern", "format", "minimum",
  "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
]);

/** True when a schema object restricts the shape of a value (else any JSON value fits the grammar). */
export function constrainsStructure(schema: JsonSchema): boolean {
  return Object.keys(schema).some((key) => ENFORCED.has(key) && key !== "$defs" && key !== "definitions" && key !== "nullable");
}

export const SCHEMA_TYPES = ["object", "array", "string", "number", "integer", "boolean", "null"] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

/** Longest schema path shown in an error (a path that nests deep, or with long property names, is cut at its start). */
const SHOWN_PATH = 200;

export function schemaError(path: string, reason: string): GptOssError {
  const shown = path.length > SHOWN_PATH ? `…${path.slice(-SHOWN_PATH)}` : path;
  return new GptOssError("ERR_SCHEMA_INVALID", `JSON schema at ${shown}: ${reason}`);
}

/** The text naming a limit in an error: `SCHEMA_LIMITS.maxDepth = 256`. */
export function limitName(limit: SchemaLimit): string {
  return `SCHEMA_LIMITS.${limit} = ${SCHEMA_LIMITS[limit]}`;
}

/** ERR_SCHEMA_INVALID for a schema over a limit: `what` says what was found, the message names the limit. */
export function limitError(path: string, limit: SchemaLimit, what: string): GptOssError {
  return schemaError(path, `${what}, over the limit (${limitName(limit)})`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A schema node: an object, or the booleans `true` (anything) and `false` (nothing). */
export type SchemaNode = JsonSchema | boolean;

/** Resolves a local `$ref` (`#`, `#/$defs/Name`, any `#/a/b` JSON pointer) against the root schema. */
export function resolveRef(root: JsonSchema, ref: string, path: string): SchemaNode {
  if (!ref.startsWith("#")) throw schemaError(path, `only local $ref ("#/...") is supported, got ${JSON.stringify(ref)}`);
  let node: unknown = root;
  const pointer = ref.slice(1);
  if (pointer !== "") {
    for (const raw of pointer.split("/").slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
      node = isPlainObject(node) ? node[key] : undefined;
    }
  }
  if (!isPlainObject(node) && typeof node !== "boolean") throw schemaError(path, `$ref ${JSON.stringify(ref)} points to nothing`);
  return node as SchemaNode;
}

/** The types a schema node allows, from `type` (string or array) and `nullable`; undefined = any type. */
export function allowedTypes(schema: JsonSchema, path: string): SchemaType[] | undefined {
  const declared = schema.type;
  let types: SchemaType[] | undefined;
  if (declared === undefined) {
    types = undefined;
  } else {
    const list = Array.isArray(declared) ? declared : [declared];
    for (const type of list) {
      if (!SCHEMA_TYPES.includes(type as SchemaType)) throw schemaError(path, `unknown type ${JSON.stringify(type)}`);
    }
    types = [...new Set(list as SchemaType[])];
  }
  if (types !== undefined && schema.nullable === true && !types.includes("null")) types.push("null");
  return types;
}

function nonNegativeInteger(schema: JsonSchema, key: string, path: string): void {
  const value = schema[key];
  if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0)) {
    throw schemaError(path, `${key} must be a non-negative integer`);
  }
  if (typeof value === "number" && value > SCHEMA_LIMITS.maxRepetition) throw limitError(path, "maxRepetition", `${key} is ${value}`);
}

function checkNumericKeywords(node: JsonSchema, path: string): void {
  for (const key of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]) {
    const value = node[key];
    if (value === undefined) continue;
    const draft4 = (key === "exclusiveMinimum" || key === "exclusiveMaximum") && typeof value === "boolean";
    if (!draft4 && !(typeof value === "number" && Number.isFinite(value))) throw schemaError(path, `${key} must be a finite number`);
  }
  if (node.multipleOf !== undefined && !((node.multipleOf as number) > 0)) throw schemaError(path, "multipleOf must be greater than 0");
}

/** One string constraint at a time: the grammar cannot intersect a pattern, a format and a length. */
function checkStringKeywords(node: JsonSchema, path: string): void {
  if (node.format !== undefined && typeof node.format !== "string") throw schemaError(path, "format must be a string");
  if (node.pattern !== undefined && typeof node.pattern !== "string") throw schemaError(path, "pattern must be a string");
  const used = ["pattern", "format"].filter((key) => node[key] !== undefined);
  const lengths = ["minLength", "maxLength"].filter((key) => node[key] !== undefined);
  if (used.length + (lengths.length > 0 ? 1 : 0) > 1) {
    throw schemaError(path, `${[...used, ...lengths].join(" with ")} cannot be enforced together (use one of pattern, format, minLength/maxLength)`);
  }
}

/**
 * Checks the schema as a JSON document, without recursion (it may nest arbitrarily deep): at most
 * SCHEMA_LIMITS.maxDepth levels and maxNodes objects and arrays. Everything after it may recurse.
 */
function checkDocument(root: unknown): void {
  interface Entry {
    value: object;
    depth: number;
    key: string;
    parent?: Entry;
  }
  const pathOf = (entry: Entry): string => {
    const keys: string[] = [];
    for (let at: Entry | undefined = entry; at; at = at.parent) keys.push(at.key);
    return keys.reverse().join("/");
  };
  if (typeof root !== "object" || root === null) return;
  const stack: Entry[] = [{ value: root, depth: 1, key: "#" }];
  let nodes = 0;
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (++nodes > SCHEMA_LIMITS.maxNodes) throw limitError("#", "maxNodes", `the schema has more than ${SCHEMA_LIMITS.maxNodes} objects and arrays`);
    if (entry.depth > SCHEMA_LIMITS.maxDepth) throw limitError(pathOf(entry), "maxDepth", `the schema nests deeper than ${SCHEMA_LIMITS.maxDepth} levels`);
    const children: Iterable<[string | number, unknown]> = Array.isArray(entry.value) ? entry.value.entries() : Object.entries(entry.value);
    for (const [key, child] of children) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth: entry.depth + 1, key: String(key), parent: entry });
    }
  }
}

/**
 * Counts the alternatives each schema node may start with (SCHEMA_LIMITS.maxAlternatives), following `$ref`,
 * `anyOf`, `oneOf` and `allOf`, and refuses a cycle of those that matches nothing in between (`{"$ref": "#"}`): as
 * a grammar it is left recursion, as a validator an endless loop.
 */
function alternativesCounter(root: SchemaNode): (node: unknown, path: string) => number {
  const counts = new Map<object, number>();
  const open = new Set<object>();
  const count = (node: unknown, path: string, hops: number): number => {
    if (!isPlainObject(node)) return 1;
    const known = counts.get(node);
    if (known !== undefined) return known;
    if (open.has(node)) throw schemaError(path, "this $ref leads back to itself through $ref/anyOf/oneOf/allOf alone, before any value is matched");
    if (hops > SCHEMA_LIMITS.maxDepth) throw limitError(path, "maxDepth", `a chain of more than ${SCHEMA_LIMITS.maxDepth} $ref/anyOf/oneOf/allOf`);
    open.add(node);
    let total = 0;
    const key = ["anyOf", "oneOf", "allOf"].find((k) => Array.isArray(node[k]));
    if (typeof node.$ref === "string") total = count(resolveRef(root as JsonSchema, node.$ref, path), node.$ref, hops + 1);
    else if (key) (node[key] as unknown[]).forEach((branch, i) => (total += count(branch, `${path}/${key}/${i}`, hops + 1)));
    else total = Array.isArray(node.type) ? Math.max(1, node.type.length) : 1;
    open.delete(node);
    counts.set(node, total);
    if (total > SCHEMA_LIMITS.maxAlternatives) throw limitError(path, "maxAlternatives", `a value here may start ${total} alternative ways`);
    return total;
  };
  return (node, path) => count(node, path, 0);
}

/** Bytes of a value as JSON (its depth is already bounded by checkDocument). */
function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : Buffer.byteLength(text);
}

/**
 * Throws ERR_SCHEMA_INVALID when `schema` (and everything it reaches) uses a keyword outside the supported subset,
 * uses a supported one wrongly, or is over a limit of SCHEMA_LIMITS (the message names it). Run once before building
 * a grammar or validating against the schema. Bounded: the document is measured first without recursion, and every
 * `$ref` target is walked once (from a work list, so a long chain of them does not nest calls).
 */
export function checkSchema(root: SchemaNode): void {
  checkDocument(root);
  const alternatives = alternativesCounter(root);
  const walked = new Set<unknown>([root]);
  const pending: Array<{ node: unknown; path: string }> = [{ node: root, path: "#" }];
  let enumBytes = 0;
  const countEnumBytes = (value: unknown, path: string): void => {
    enumBytes += jsonBytes(value);
    if (enumBytes > SCHEMA_LIMITS.maxEnumBytes) throw limitError(path, "maxEnumBytes", `enum and const values take more than ${SCHEMA_LIMITS.maxEnumBytes} bytes`);
  };
  const visit = (node: unknown, path: string): void => {
    if (typeof node === "boolean") return;
    if (!isPlainObject(node)) throw schemaError(path, "a schema must be an object or a boolean");
    for (const key of Object.keys(node)) {
      if (key === "uniqueItems" && node.uniqueItems === false) continue;
      if (!ANNOTATIONS.has(key) && !ENFORCED.has(key)) {
        throw schemaError(path, `keyword ${JSON.stringify(key)} is not supported (the grammar cannot enforce it)`);
      }
    }
    checkNumericKeywords(node, path);
    checkStringKeywords(node, path);
    allowedTypes(node, path);
    for (const key of ["minItems", "maxItems", "minLength", "maxLength"]) nonNegativeInteger(node, key, path);
    // An inverted range would become a `{min,max}` repetition that llama.cpp's grammar parser never finishes.
    for (const [min, max] of [["minItems", "maxItems"], ["minLength", "maxLength"]] as const) {
      if (typeof node[min] === "number" && typeof node[max] === "number" && node[min] > node[max]) {
        throw schemaError(path, `${min} (${node[min]}) is greater than ${max} (${node[max]})`);
      }
    }
    if (node.enum !== undefined) {
      if (!(Array.isArray(node.enum) && node.enum.length > 0)) throw schemaError(path, "enum must be a non-empty array");
      if (node.enum.length > SCHEMA_LIMITS.maxEnumValues) throw limitError(path, "maxEnumValues", `enum has ${node.enum.length} values`);
      countEnumBytes(node.enum, path);
    }
    if (node.const !== undefined) countEnumBytes(node.const, path);
    if (node.required !== undefined && !(Array.isArray(node.required) && node.required.every((r) => typeof r === "string"))) {
      throw schemaError(path, "required must be an array of strings");
    }
    if (node.pattern !== undefined) {
      const length = (node.pattern as string).length;
      if (length > SCHEMA_LIMITS.maxPatternLength) throw limitError(path, "maxPatternLength", `pattern has ${length} characters`);
      try {
        new RegExp(String(node.pattern), "u");
      } catch {
        throw schemaError(path, `pattern ${JSON.stringify(node.pattern)} is not a valid regular expression`);
      }
    }
    if (node.properties !== undefined) {
      if (!isPlainObject(node.properties)) throw schemaError(path, "properties must be an object");
      const count = Object.keys(node.properties).length;
      if (count > SCHEMA_LIMITS.maxProperties) throw limitError(path, "maxProperties", `the object has ${count} properties`);
      for (const [key, value] of Object.entries(node.properties)) visit(value, `${path}/properties/${key}`);
    }
    for (const key of ["$defs", "definitions"]) {
      const defs = node[key];
      if (defs === undefined) continue;
      if (!isPlainObject(defs)) throw schemaError(path, `${key} must be an object`);
      for (const [name, value] of Object.entries(defs)) visit(value, `${path}/${key}/${name}`);
    }
    const combinators = ["$ref", "anyOf", "oneOf", "allOf"].filter((key) => node[key] !== undefined);
    const structural = Object.keys(node).filter((key) => ENFORCED.has(key) && !["$defs", "definitions"].includes(key));
    if (combinators.length > 0 && structural.length > 1) {
      throw schemaError(path, `${combinators[0]} cannot be combined with ${structural.filter((k) => k !== combinators[0]).join(", ")}`);
    }
    if (Array.isArray(node.allOf) && node.allOf.length > 1) throw schemaError(path, "allOf with more than one schema is not supported");
    for (const key of ["anyOf", "oneOf", "allOf"]) {
      const list = node[key];
      if (list === undefined) continue;
      if (!Array.isArray(list) || list.length === 0) throw schemaError(path, `${key} must be a non-empty array`);
      list.forEach((value, i) => visit(value, `${path}/${key}/${i}`));
    }
    if (node.items !== undefined) visit(node.items, `${path}/items`);
    if (node.additionalProperties !== undefined) visit(node.additionalProperties, `${path}/additionalProperties`);
    if (typeof node.$ref === "string") {
      const target = resolveRef(root as JsonSchema, node.$ref, path);
      if (!walked.has(target)) {
        walked.add(target);
        pending.push({ node: target, path: node.$ref });
      }
    } else if (node.$ref !== undefined) throw schemaError(path, "$ref must be a string");
    if (combinators.length > 0) alternatives(node, path);
  };
  while (pending.length > 0) {
    const { node, path } = pending.pop()!;
    visit(node, path);
  }
}
