import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSyntheticModel } from "../../src/fixture/index.js";
import { readGguf } from "../../src/gguf/index.js";

const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", ".fixtures");
const TINY_PATH = join(FIXTURES_DIR, "tiny.gguf");

let pending: Promise<string> | undefined;

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

async function ensureTinyModel(): Promise<string> {
  try {
    await readGguf(TINY_PATH);
    return TINY_PATH;
  } catch {
    // missing or stale: (re)generate below
  }
  await mkdir(FIXTURES_DIR, { recursive: true });
  const temporary = `${TINY_PATH}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeSyntheticModel(temporary, { preset: "tiny" });
    await rename(temporary, TINY_PATH);
  } finally {
    await rm(temporary, { force: true });
  }
  return TINY_PATH;
}
