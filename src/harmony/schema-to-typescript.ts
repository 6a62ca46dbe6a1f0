/**
 * JSON Schema → the TypeScript-like type text gpt-oss was trained on, following openai/harmony's
 * `json_schema_to_typescript` (FORMAT.md §1.6) byte for byte, reference quirks included: a nested
 * object's description printed twice, multi-line property descriptions not split, raw (unescaped) string
 * defaults and enum values, `anyOf`/`allOf`/`$ref`/`const` rendered as `any`.
 *
 * One unavoidable difference: serde_json writes a float written `1.0` as `1.0`; JavaScript has already
 * turned it into `1` when the schema was parsed.
 */
type Schema = Record<string, unknown>;

function isObject(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asSchema(value: unknown): Schema {
  return isObject(value) ? value : {};
}

function isEnum(schema: Schema): boolean {
  return Array.isArray(schema.enum) && schema.enum.length > 0;
}

function compactJson(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

/** `default` of a oneOf variant (rule A, and the variant loop of property-level oneOf in the root rule). */
function variantDefault(variant: Schema): string {
  const value = variant.default;
  return typeof value === "string" && !isEnum(variant) ? `default: "${value}"` : `default: ${compactJson(value)}`;
}

/** `default` of a property: quoted string, raw enum string, or compact JSON. */
function propertyDefault(schema: Schema): string {
  const value = schema.default;
  if (typeof value === "string") return isEnum(schema) ? value : `"${value}"`;
  return compactJson(value);
}

function withNullable(schema: Schema, rendered: string): string {
  return schema.nullable === true && !rendered.includes("null") ? `${rendered} | null` : rendered;
}

/**
 * The type text of `schema`; `indent` is the indentation of the enclosing object's members (starts at "").
 * Never throws: anything it cannot express becomes `any`.
 */
export function jsonSchemaToTypeScript(schema: unknown, indent = ""): string {
  const s = asSchema(schema);
  if (Array.isArray(s.oneOf)) return renderRootOneOf(s.oneOf, indent);
  if (Array.isArray(s.type)) {
    const names = s.type.filter((t): t is string => typeof t === "string").map((t) => (t === "integer" ? "number" : t));
    if (names.length > 0) return names.join(" | ");
  }
  switch (typeof s.type === "string" ? s.type : undefined) {
    case "object":
      return renderObject(s, indent);
    case "string": {
      const values = Array.isArray(s.enum) ? s.enum.filter((v): v is string => typeof v === "string") : [];
      return values.length > 0 ? values.map((v) => `"${v}"`).join(" | ") : "string";
    }
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "array":
      return "items" in s ? `${jsonSchemaToTypeScript(s.items, indent)}[]` : "Array<any>";
    default:
      return "any";
  }
}

function renderRootOneOf(variants: unknown[], indent: string): string {
  let out = "";
  for (const raw of variants) {
    const variant = asSchema(raw);
    out += `\n${indent} | ${withNullable(variant, jsonSchemaToTypeScript(variant, `${indent}   `))}`;
    const comments: string[] = [];
    if (typeof variant.description === "string") comments.push(variant.description);
    if ("default" in variant) comments.push(variantDefault(variant));
    if (comments.length > 0) out += ` // ${comments.join(" ")}`;
  }
  return out;
}

function renderObject(s: Schema, indent: string): string {
  let out = "";
  if (typeof s.description === "string") out += `${indent}// ${s.description}\n`;
  out += "{\n";
  if (isObject(s.properties)) {
    const required = new Set(Array.isArray(s.required) ? s.required.filter((r) => typeof r === "string") : []);
    for (const [key, raw] of Object.entries(s.properties)) {
      const property = asSchema(raw);
      const optional = required.has(key) ? "" : "?";
      if (typeof property.title === "string") out += `${indent}// ${property.title}\n${indent}//\n`;
      const oneOf = Array.isArray(property.oneOf) ? property.oneOf : undefined;
      if (!oneOf && typeof property.description === "string") out += `${indent}// ${property.description}\n`;
      if (Array.isArray(property.examples) && property.examples.length > 0) {
        out += `${indent}// Examples:\n`;
        for (const example of property.examples) if (typeof example === "string") out += `${indent}// - "${example}"\n`;
      }
      if (oneOf) {
        out += renderPropertyOneOf(key + optional, property, oneOf, indent);
        continue;
      }
      out += `${indent}${key}${optional}: ${withNullable(property, jsonSchemaToTypeScript(property, `${indent}    `))},`;
      if ("default" in property) out += ` // default: ${propertyDefault(property)}`;
      out += "\n";
    }
  }
  return `${out}${indent}}`;
}

function renderPropertyOneOf(label: string, property: Schema, variants: unknown[], indent: string): string {
  const description = typeof property.description === "string" ? property.description : undefined;
  const firstVariant = asSchema(variants[0]);
  const skipDescription = description !== undefined && firstVariant.description === description;
  let out = "";
  let describedAbove = false;
  if (description !== undefined && !skipDescription) {
    out += `${indent}// ${description}\n`;
    describedAbove = true;
  }
  if ("default" in property) out += `${indent}// default: ${propertyDefault(property)}\n`;
  out += `${indent}${label}:\n`;
  variants.forEach((raw, i) => {
    const variant = asSchema(raw);
    out += `${indent} | ${withNullable(variant, jsonSchemaToTypeScript(variant, `${indent}   `))}`;
    const comments: string[] = [];
    const variantDescription = variant.description;
    if (!(i === 0 && describedAbove) && typeof variantDescription === "string" && variantDescription !== description) {
      comments.push(variantDescription);
    }
    if ("default" in variant) comments.push(`default: ${propertyDefault(variant)}`);
    if (comments.length > 0) out += ` // ${comments.join(" ")}`;
    out += "\n";
  });
  return `${out}${indent},\n`;
}
