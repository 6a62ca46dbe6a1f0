/** Argument parsing helpers for every command (node:util parseArgs, strict): unknown flags are usage errors (exit 2). */
import type { LoadModelOptions } from "../chat/types.js";

/** A mistake in how the command was called: printed with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The `--help` flag every command takes. */
export const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;

/**
 * Runs a strict `parseArgs` call (built by the caller, so its types are inferred there) and turns its
 * errors (unknown flag, missing value, stray positional) into a UsageError.
 */
export function withUsageErrors<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, ".");
    throw new UsageError(`${message}\nRun 'gpt-oss ${command} --help' for the options.`);
  }
}

/** An integer option value in [min, max] (or undefined). */
export function intOption(value: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`Expected an integer between ${min} and ${max} for ${flag} but received "${value}"`);
  }
  return n;
}

export function numberOption(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`Expected a number between ${min} and ${max} for ${flag} but received "${value}"`);
  }
  return n;
}

export function enumOption<T extends string>(value: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`Expected one of ${allowed.join(", ")} for ${flag} but received "${value}"`);
  }
  return value as T;
}

/** Values of `--gpu`: the library's choices, with `cpu` for `gpu: false`. */
const GPU_FLAG_VALUES = ["auto", "cpu", "cuda", "vulkan", "metal"] as const;

/** `--gpu` as the library's `gpu` option (or undefined). */
export function gpuOption(value: string | undefined): LoadModelOptions["gpu"] {
  const choice = enumOption(value, "--gpu", GPU_FLAG_VALUES);
  return choice === "cpu" ? false : choice;
}
