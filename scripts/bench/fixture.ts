// The default benchmark model: a synthetic GGUF of gpt-oss-20b geometry (real width, heads, experts, vocab)
// cut to 4 layers, written once to .fixtures/ and reused. Speed does not depend on the weight values.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeSyntheticModel } from "../../src/fixture/index.js";
import { readGguf } from "../../src/gguf/index.js";
import { PACKAGE_ROOT } from "../../src/native/index.js";

export const BENCH_LAYERS = 4;
export const BENCH_MODEL_PATH = join(PACKAGE_ROOT, ".fixtures", `bench-20b-L${BENCH_LAYERS}.gguf`);

/** Path of the benchmark model, generated (~3 GB, a few minutes) when missing or unreadable. */
export async function ensureBenchModel(log: (line: string) => void): Promise<string> {
  if (existsSync(BENCH_MODEL_PATH)) {
    try {
      await readGguf(BENCH_MODEL_PATH);
      return BENCH_MODEL_PATH;
    } catch {
      log(`${BENCH_MODEL_PATH} does not parse: regenerating it`);
    }
  }
  await mkdir(join(PACKAGE_ROOT, ".fixtures"), { recursive: true });
  const temporary = `${BENCH_MODEL_PATH}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const started = Date.now();
  let reported = 0;
  log(`generating ${BENCH_MODEL_PATH} (gpt-oss-20b geometry, ${BENCH_LAYERS} layers)`);
  try {
    await writeSyntheticModel(temporary, {
      preset: "20b",
      layers: BENCH_LAYERS,
      onProgress: (written, total) => {
        const tenth = Math.floor((10 * written) / total);
        if (tenth > reported) {
          reported = tenth;
          log(`  ${tenth * 10}% of ${(total / 2 ** 30).toFixed(2)} GiB`);
        }
      },
    });
    await rename(temporary, BENCH_MODEL_PATH);
  } finally {
    await rm(temporary, { force: true });
  }
  log(`generated in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return BENCH_MODEL_PATH;
}
