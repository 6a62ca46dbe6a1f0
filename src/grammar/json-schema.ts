/**
 * The JSON Schema subset this package turns into grammars (json-schema-grammar.ts) and validates
 * (json-schema-validate.ts): what is supported, how `$ref` resolves, and the up-front check that rejects
 * schemas the grammar could not enforce.
 */
import type { JsonSchema } from "../types.js";
import { GptOssError } from "../errors.js";

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

export function schemaError(path: string, reason: string): GptOssError {
  return new GptOssError("ERR_SCHEMA_INVALID", `JSON schema at ${path}: ${reason}`);
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
 * Throws ERR_SCHEMA_INVALID when `schema` (and everything it reaches) uses a keyword outside the supported subset,
 * or uses a supported one wrongly. Run once before building a grammar.
 */
export function checkSchema(root: SchemaNode): void {
  const seen = new Set<unknown>();
  const visit = (node: unknown, path: string): void => {
    if (typeof node === "boolean") return;
    if (!isPlainObject(node)) throw schemaError(path, "a schema must be an object or a boolean");
    if (seen.has(node)) return;
    seen.add(node);
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
    if (node.enum !== undefined && !(Array.isArray(node.enum) && node.enum.length > 0)) {
      throw schemaError(path, "enum must be a non-empty array");
    }
    if (node.required !== undefined && !(Array.isArray(node.required) && node.required.every((r) => typeof r === "string"))) {
      throw schemaError(path, "required must be an array of strings");
    }
    if (node.pattern !== undefined) {
      try {
        new RegExp(String(node.pattern), "u");
      } catch {
        throw schemaError(path, `pattern ${JSON.stringify(node.pattern)} is not a valid regular expression`);
      }
    }
    if (node.properties !== undefined) {
      if (!isPlainObject(node.properties)) throw schemaError(path, "properties must be an object");
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
    if (typeof node.$ref === "string") visit(resolveRef(root as JsonSchema, node.$ref, path), node.$ref);
    else if (node.$ref !== undefined) throw schemaError(path, "$ref must be a string");
  };
  visit(root, "#");
}
