/**
 * Up-front option validation with one message style:
 * "Expected integer between 1 and 64 for parallel but received 0 of type number".
 */
import { GptOssError } from "../errors.js";

function describe(value: unknown): string {
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  let shown: string;
  try {
    shown = typeof value === "string" ? JSON.stringify(value) : typeof value === "function" ? "a function" : String(JSON.stringify(value) ?? value);
  } catch {
    shown = String(value);
  }
  return `${shown} of type ${type}`;
}

export function invalid(expected: string, name: string, value: unknown): GptOssError {
  return new GptOssError("ERR_INVALID_ARGUMENT", `Expected ${expected} for ${name} but received ${describe(value)}`);
}

/** An integer in [min, max], or undefined when absent. */
export function optionalInteger(value: unknown, name: string, range: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < range.min || value > range.max) {
    throw invalid(`integer between ${range.min} and ${range.max}`, name, value);
  }
  return value;
}

/** A finite number in [min, max], or undefined when absent. */
export function optionalNumber(value: unknown, name: string, range: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < range.min || value > range.max) {
    throw invalid(`number between ${range.min} and ${range.max}`, name, value);
  }
  return value;
}

export function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw invalid("string", name, value);
  return value;
}

export function optionalFunction<T extends (...args: never[]) => unknown>(value: unknown, name: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "function") throw invalid("function", name, value);
  return value as T;
}

export function optionalSignal(value: unknown, name: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw invalid("AbortSignal", name, value);
  return value;
}

/** One of `choices` (compared with ===), or undefined when absent. */
export function optionalChoice<T>(value: unknown, name: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) {
    throw invalid(`one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`, name, value);
  }
  return value as T;
}

export function requireObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid("object", name, value);
  return value as Record<string, unknown>;
}

/** Throws for keys of `options` not in `known` (catches typos such as `max_tokens`). */
export function rejectUnknownKeys(options: Record<string, unknown>, known: readonly string[], name: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new GptOssError("ERR_INVALID_ARGUMENT", `Unknown option ${JSON.stringify(key)} in ${name}; known options: ${known.join(", ")}`);
    }
  }
}
