// The default benchmark models: synthetic GGUFs of gpt-oss-20b geometry (real width, heads, experts, vocab) cut to
// 4 layers (24 for the full model), written once to .fixtures/ and reused. Speed does not depend on the weight values: `bench` uses random
// weights, `bench:speculative` copying ones (greedy output that loops, see src/fixture/copying.ts), same size.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeSyntheticModel, type PresetName, type SyntheticWeights } from "../../src/fixture/index.js";
import { readGguf } from "../../src/gguf/index.js";
import { PACKAGE_ROOT } from "../../src/native/index.js";

export const BENCH_LAYERS = 4;
export const BENCH_MODEL_PATH = benchModelPath("random");

/**
 * `.fixtures/bench-20b-L4.gguf` (random weights), `.fixtures/bench-20b-L4-copying.gguf`; the tiny preset (full depth):
 * `.fixtures/tiny.gguf`, `.fixtures/tiny-copying.gguf` (the test fixtures' names and contents).
 */
export function benchModelPath(weights: SyntheticWeights, preset: PresetName = "20b", layers = BENCH_LAYERS): string {
  const suffix = weights === "random" ? "" : `-${weights}`;
  return join(PACKAGE_ROOT, ".fixtures", preset === "tiny" ? `tiny${suffix}.gguf` : `bench-20b-L${layers}${suffix}.gguf`);
}

/**
 * Path of a benchmark model, generated when missing or unreadable (20b with 4 layers: ~3 GB, a few minutes; with 24,
 * the full gpt-oss-20b geometry: ~12 GB).
 */
export async function ensureBenchModel(
  log: (line: string) => void,
  weights: SyntheticWeights = "random",
  preset: PresetName = "20b",
  benchLayers = BENCH_LAYERS,
): Promise<string> {
  const path = benchModelPath(weights, preset, benchLayers);
  const layers = preset === "tiny" ? undefined : benchLayers;
  if (existsSync(path)) {
    try {
      await readGguf(path);
      return path;
    } catch {
      log(`${path} does not parse: regenerating it`);
    }
  }
  await mkdir(join(PACKAGE_ROOT, ".fixtures"), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const started = Date.now();
  let reported = 0;
  log(`generating ${path} (${preset} preset, ${layers ?? "all its"} layers, ${weights} weights)`);
  try {
    await writeSyntheticModel(temporary, {
      preset,
      layers,
      weights,
      onProgress: (written, total) => {
        const tenth = Math.floor((10 * written) / total);
        if (tenth > reported) {
          reported = tenth;
          log(`  ${tenth * 10}% of ${(total / 2 ** 30).toFixed(2)} GiB`);
        }
      },
    });
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
  log(`generated in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return path;
}
