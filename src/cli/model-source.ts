/**
 * Which model files a command uses and under which ids.
 * Order: `--model` flags (repeatable; `demo` is the synthetic model), else `GPT_OSS_MODEL` (a path, or several
 * separated by the platform's path delimiter), else `"model"` in the config file (string or array), else demo.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, delimiter, join } from "node:path";
import { UsageError } from "./args.js";
import { cacheDir, configPath } from "./paths.js";

export const DEMO_MODEL = "demo";
export const DEMO_MODEL_ID = "gpt-oss-demo";

export interface ModelSpec {
  id: string;
  /** A file path, or DEMO_MODEL. */
  path: string;
}

/** `gpt-oss-20b-mxfp4.gguf` → `gpt-oss-20b-mxfp4`; split files lose their `-00001-of-00003` too. */
export function modelIdFromPath(path: string): string {
  if (path === DEMO_MODEL) return DEMO_MODEL_ID;
  return basename(path).replace(/\.gguf$/i, "").replace(/-\d{5}-of-\d{5}$/, "");
}

function configuredModels(env: NodeJS.ProcessEnv): { paths: string[]; from: string } {
  if (env.GPT_OSS_MODEL) return { paths: env.GPT_OSS_MODEL.split(delimiter).filter(Boolean), from: "GPT_OSS_MODEL" };
  const file = configPath(env);
  if (existsSync(file)) {
    let config: { model?: unknown };
    try {
      config = JSON.parse(readFileSync(file, "utf8")) as { model?: unknown };
    } catch (error) {
      throw new UsageError(`Could not read the config file ${file}: ${(error as Error).message}`);
    }
    const model = config.model;
    const paths = typeof model === "string" ? [model] : Array.isArray(model) ? model.filter((m): m is string => typeof m === "string") : [];
    if (paths.length) return { paths, from: file };
  }
  return { paths: [DEMO_MODEL], from: "default" };
}

/** Pairs `--model` and `--alias` flags by position; falls back to env/config/demo when no `--model` was given. */
export function resolveModelSpecs(models: string[] | undefined, aliases: string[] | undefined, env: NodeJS.ProcessEnv = process.env): { specs: ModelSpec[]; from: string } {
  const { paths, from } = models?.length ? { paths: models, from: "--model" } : configuredModels(env);
  if ((aliases?.length ?? 0) > paths.length) throw new UsageError(`Got ${aliases!.length} --alias flags for ${paths.length} model(s); give at most one alias per --model.`);
  const specs = paths.map((path, i) => ({ path, id: aliases?.[i] ?? modelIdFromPath(path) }));
  const ids = specs.map((s) => s.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new UsageError(`Two models would both be called "${duplicate}"; give one an --alias.`);
  for (const spec of specs) {
    if (spec.path !== DEMO_MODEL && !existsSync(spec.path)) throw new UsageError(`Model file not found: ${spec.path} (from ${from}). Download one with 'gpt-oss pull 20b'.`);
  }
  return { specs, from };
}

/** Message printed whenever the demo model is used. */
export const DEMO_NOTICE =
  "Using the demo model: a tiny synthetic gpt-oss with RANDOM weights (its answers are gibberish; it exists to try the API).\n" +
  "For real answers: 'gpt-oss pull 20b', then '--model <path to gpt-oss-20b-mxfp4.gguf>'.";

/** The path of the demo model, generated on first use into the cache folder. */
export async function ensureDemoModel(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = join(cacheDir(env), "demo");
  const path = join(dir, "gpt-oss-tiny-random.gguf");
  const { readGguf } = await import("../gguf/index.js");
  try {
    await readGguf(path);
    return path;
  } catch {
    // missing or damaged: write it below
  }
  await mkdir(dir, { recursive: true });
  const temporary = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const { writeSyntheticModel } = await import("../fixture/index.js");
    await writeSyntheticModel(temporary, { preset: "tiny" });
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
  return path;
}

/** The file to load for a spec (generating the demo model when needed). */
export async function modelFile(spec: ModelSpec, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return spec.path === DEMO_MODEL ? ensureDemoModel(env) : spec.path;
}
