/**
 * The library entry (`loadModel`), imported lazily: `gpt-oss pull`, `info` and `--help` must work without
 * loading the tokenizer, the engine or the native addon.
 */
import type { LoadModelOptions, Model } from "../chat/types.js";

export type LoadModel = (path: string, options?: LoadModelOptions) => Promise<Model>;

export async function importLoadModel(): Promise<LoadModel> {
  // A variable specifier keeps this a runtime-only dependency on src/index.ts.
  const entry = "../index.js";
  const library = (await import(entry)) as { loadModel?: LoadModel };
  if (typeof library.loadModel !== "function") throw new Error("This build has no loadModel export (src/index.ts).");
  return library.loadModel;
}
