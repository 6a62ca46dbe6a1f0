import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSyntheticModel, type SyntheticWeights } from "../../src/fixture/index.js";
import { readGguf } from "../../src/gguf/index.js";

const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", ".fixtures");
const TINY_PATH = join(FIXTURES_DIR, "tiny.gguf");
const TINY_COPYING_PATH = join(FIXTURES_DIR, "tiny-copying.gguf");

let pending: Promise<string> | undefined;
let pendingCopying: Promise<string> | undefined;

/**
 * Path of the tiny synthetic gpt-oss model (`.fixtures/tiny.gguf` at the repo root), generated on first use and
 * reused across test files and runs. A file that does not parse is regenerated. Safe when several processes race:
 * each writes to its own temporary name and renames it into place atomically.
 */
export function tinyModelPath(): Promise<string> {
  pending ??= ensureTinyModel().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

/**
 * Path of the tiny model with copying weights (`.fixtures/tiny-copying.gguf`: greedy output loops over 32 words, see
 * src/fixture/copying.ts), generated on first use like {@link tinyModelPath}.
 */
export function tinyCopyingModelPath(): Promise<string> {
  pendingCopying ??= ensureTinyModel(TINY_COPYING_PATH, "copying").catch((error: unknown) => {
    pendingCopying = undefined;
    throw error;
  });
  return pendingCopying;
}

async function ensureTinyModel(path = TINY_PATH, weights: SyntheticWeights = "random"): Promise<string> {
  try {
    await readGguf(path);
    return path;
  } catch {
    // missing or stale: (re)generate below
  }
  await mkdir(FIXTURES_DIR, { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeSyntheticModel(temporary, { preset: "tiny", weights });
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
  return path;
}
