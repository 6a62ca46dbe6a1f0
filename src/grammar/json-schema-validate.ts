/**
 * Validates a parsed JSON value against the schema subset of json-schema.ts, including the keywords the grammar
 * leaves out (minimum/maximum, multipleOf, pattern, uniqueItems). Used on structured output before it is returned.
 */
import type { JsonSchema } from "../types.js";
import { allowedTypes, isPlainObject, resolveRef, type SchemaNode, type SchemaType } from "./json-schema.js";

function typeOf(value: unknown): SchemaType | undefined {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "number":
      return Number.isInteger(value) ? "integer" : "number";
    case "object":
      return "object";
    default:
      return undefined;
  }
}

function typeMatches(actual: SchemaType | undefined, expected: SchemaType): boolean {
  return actual === expected || (expected === "number" && actual === "integer");
}

/** Deep equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Code points of a string (JSON Schema lengths count characters, not UTF-16 units). */
const lengthOf = (text: string): number => [...text].length;

/**
 * Problems of `value` under `schema`, each as `"path: reason"`; empty when the value is valid.
 * The schema must have passed `checkSchema` (json-schema.ts).
 *
 * Polynomial: whether an array or object matches an `anyOf`/`oneOf` branch is worked out once per (branch, value)
 * pair, so branches that all descend into the same value (a recursive schema) cannot make the work exponential in
 * the value's depth; a value nested too deep for the stack is reported as a problem, not thrown.
 */
export function validateJson(value: unknown, schema: SchemaNode): string[] {
  const root = schema;
  const errors: string[] = [];
  /** Whether a branch matched an array or object, by branch and value (pure: the path only names problems). */
  const matched = new Map<SchemaNode, WeakMap<object, boolean>>();
  const check = (node: SchemaNode, v: unknown, path: string): boolean => {
    const composite = typeof v === "object" && v !== null;
    const known = composite ? matched.get(node)?.get(v) : undefined;
    if (known !== undefined) {
      if (!known) errors.push(`${path}: does not match`);
      return known;
    }
    const before = errors.length;
    visit(node, v, path);
    const ok = errors.length === before;
    if (composite) {
      let byValue = matched.get(node);
      if (!byValue) matched.set(node, (byValue = new WeakMap()));
      byValue.set(v, ok);
    }
    return ok;
  };
  const visit = (node: SchemaNode, v: unknown, path: string): void => {
    if (node === true) return;
    if (node === false) {
      errors.push(`${path}: no value is allowed here`);
      return;
    }
    if (typeof node.$ref === "string") return visit(resolveRef(root as JsonSchema, node.$ref, path), v, path);
    if (Array.isArray(node.allOf)) for (const branch of node.allOf as SchemaNode[]) visit(branch, v, path);
    const branches = (node.anyOf ?? node.oneOf) as SchemaNode[] | undefined;
    if (branches) {
      const sub = errors.length;
      const matching = branches.filter((branch) => {
        const ok = check(branch, v, path);
        errors.length = sub;
        return ok;
      }).length;
      if (matching === 0) errors.push(`${path}: matches none of the ${node.anyOf ? "anyOf" : "oneOf"} schemas`);
      else if (node.oneOf && matching > 1) errors.push(`${path}: matches ${matching} oneOf schemas, expected exactly one`);
    }
    if (node.const !== undefined && !jsonEqual(v, node.const)) errors.push(`${path}: expected ${JSON.stringify(node.const)}`);
    if (Array.isArray(node.enum) && !node.enum.some((option) => jsonEqual(v, option))) {
      errors.push(`${path}: expected one of ${JSON.stringify(node.enum)}`);
    }
    const types = allowedTypes(node, path);
    const actual = typeOf(v);
    if (types && !types.some((t) => typeMatches(actual, t))) {
      errors.push(`${path}: expected ${types.join(" or ")}, got ${actual ?? typeof v}`);
      return;
    }
    if (typeof v === "string") checkString(node, v, path);
    else if (typeof v === "number") checkNumber(node, v, path);
    else if (Array.isArray(v)) checkArray(node, v, path);
    else if (isPlainObject(v)) checkObject(node, v, path);
  };
  const checkString = (node: JsonSchema, v: string, path: string): void => {
    const length = lengthOf(v);
    if (typeof node.minLength === "number" && length < node.minLength) errors.push(`${path}: shorter than ${node.minLength}`);
    if (typeof node.maxLength === "number" && length > node.maxLength) errors.push(`${path}: longer than ${node.maxLength}`);
    if (typeof node.pattern === "string" && !new RegExp(node.pattern, "u").test(v)) errors.push(`${path}: does not match ${node.pattern}`);
  };
  const checkNumber = (node: JsonSchema, v: number, path: string): void => {
    const bound = (key: string, ok: (limit: number) => boolean, words: string) => {
      const limit = node[key];
      if (typeof limit === "number" && !ok(limit)) errors.push(`${path}: must be ${words} ${limit}`);
    };
    bound("minimum", (l) => v >= l, ">=");
    bound("maximum", (l) => v <= l, "<=");
    bound("exclusiveMinimum", (l) => v > l, ">");
    bound("exclusiveMaximum", (l) => v < l, "<");
    if (typeof node.multipleOf === "number" && node.multipleOf > 0) {
      const ratio = v / node.multipleOf;
      if (Math.abs(ratio - Math.round(ratio)) > 1e-9) errors.push(`${path}: must be a multiple of ${node.multipleOf}`);
    }
  };
  const checkArray = (node: JsonSchema, v: unknown[], path: string): void => {
    if (typeof node.minItems === "number" && v.length < node.minItems) errors.push(`${path}: fewer than ${node.minItems} items`);
    if (typeof node.maxItems === "number" && v.length > node.maxItems) errors.push(`${path}: more than ${node.maxItems} items`);
    if (node.items !== undefined) v.forEach((item, i) => visit(node.items as SchemaNode, item, `${path}/${i}`));
    if (node.uniqueItems === true && v.some((item, i) => v.findIndex((other) => jsonEqual(item, other)) !== i)) {
      errors.push(`${path}: items are not unique`);
    }
  };
  const checkObject = (node: JsonSchema, v: Record<string, unknown>, path: string): void => {
    const properties = isPlainObject(node.properties) ? (node.properties as Record<string, SchemaNode>) : {};
    for (const key of (node.required as string[] | undefined) ?? []) {
      if (!(key in v)) errors.push(`${path}: missing required property ${JSON.stringify(key)}`);
    }
    for (const [key, item] of Object.entries(v)) {
      const childPath = `${path}/${key}`;
      if (key in properties) visit(properties[key]!, item, childPath);
      else if (node.additionalProperties === false) errors.push(`${path}: unexpected property ${JSON.stringify(key)}`);
      else if (node.additionalProperties !== undefined) visit(node.additionalProperties as SchemaNode, item, childPath);
    }
  };
  try {
    visit(schema, value, "#");
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return ["#: the value nests too deeply to be validated"];
  }
  return errors;
}
