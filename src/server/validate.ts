/**
 * Small checks for request fields. Each throws an ApiError naming the field (`param`) with one uniform message,
 * e.g. "Invalid type for 'temperature': expected a number, but got a string instead."
 */
import { ApiError } from "./errors.js";

export type JsonObject = Record<string, unknown>;

/** JSON type name of a value as a client would say it. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "a boolean";
  return typeof value;
}

function typeError(param: string, expected: string, value: unknown): ApiError {
  return new ApiError("invalid_type", `Invalid type for '${param}': expected ${expected}, but got ${jsonTypeName(value)} instead.`, param);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The request body as an object, or a 400. */
export function requireBodyObject(body: unknown): JsonObject {
  if (!isObject(body)) {
    throw new ApiError("invalid_json", `The request body must be a JSON object, but got ${jsonTypeName(body)}.`);
  }
  return body;
}

export function optionalObject(value: unknown, param: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw typeError(param, "an object", value);
  return value;
}

export function optionalString(value: unknown, param: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw typeError(param, "a string", value);
  return value;
}

export function optionalBoolean(value: unknown, param: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw typeError(param, "a boolean", value);
  return value;
}

/** At most `max` items (OpenAI's `array_above_max_length`), checked before any item is looked at. */
export function checkArrayLength(value: readonly unknown[], param: string, max: number, option: string): void {
  if (value.length > max) {
    throw new ApiError(
      "array_above_max_length",
      `Invalid '${param}': array too long. Expected an array with maximum length ${max}, but got an array with length ${value.length} instead (this server's ${option}).`,
      param,
    );
  }
}

export function requireArray(value: unknown, param: string): unknown[] {
  if (value === undefined || value === null) {
    throw new ApiError("missing_required_parameter", `Missing required parameter: '${param}'.`, param);
  }
  if (!Array.isArray(value)) throw typeError(param, "an array", value);
  return value;
}

/** A finite number in [min, max], or undefined when absent. */
export function optionalNumber(value: unknown, param: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw typeError(param, "a number", value);
  if (value < min || value > max) {
    throw new ApiError("invalid_value", `Invalid value for '${param}': expected a number between ${min} and ${max}, but got ${value}.`, param);
  }
  return value;
}

/** An integer in [min, max], or undefined when absent. */
export function optionalInteger(value: unknown, param: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw typeError(param, "an integer", value);
  if (value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
    throw new ApiError("invalid_value", `Invalid value for '${param}': expected an integer ${range}, but got ${value}.`, param);
  }
  return value;
}

/** `stop`: a string or an array of up to 4 strings (OpenAI's limit). */
export function optionalStop(value: unknown, param: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value === "" ? undefined : [value];
  if (!Array.isArray(value)) throw typeError(param, "a string or an array of strings", value);
  if (value.length > 4) throw new ApiError("invalid_value", `Invalid value for '${param}': at most 4 stop sequences are allowed.`, param);
  return value.map((item, i) => {
    if (typeof item !== "string" || item === "") throw typeError(`${param}[${i}]`, "a non-empty string", item);
    return item;
  });
}
