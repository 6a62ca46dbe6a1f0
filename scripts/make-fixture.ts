/**
 * Writes a synthetic gpt-oss GGUF (synthetic weights, real vocabulary and metadata).
 *
 *   npx tsx scripts/make-fixture.ts --preset tiny|20b [--layers N] [--seed S] [--weights random|copying] --out PATH
 *
 * The 20b preset at full depth is ~12 GB; `--layers 4` gives a ~2.9 GB benchmark model. `--weights copying` makes
 * greedy decoding write a final answer that loops over 32 words (for speculative decoding; src/fixture/copying.ts).
 */
import { parseArgs } from "node:util";
import { writeSyntheticModel, type PresetName, type SyntheticWeights } from "../src/fixture/index.js";

const USAGE = "usage: npx tsx scripts/make-fixture.ts --preset tiny|20b [--layers N] [--seed S] [--weights random|copying] --out PATH";

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) fail(`--${name} must be an integer, got ${JSON.stringify(text)}`);
  return value;
}

const { values } = parseArgs({
  options: {
    preset: { type: "string" },
    layers: { type: "string" },
    seed: { type: "string" },
    weights: { type: "string" },
    out: { type: "string" },
  },
});
if (values.preset !== "tiny" && values.preset !== "20b") fail("--preset must be tiny or 20b");
if (values.out === undefined) fail("--out is required");
if (values.weights !== undefined && values.weights !== "random" && values.weights !== "copying") fail("--weights must be random or copying");

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
const barWidth = 30;
let lastDrawn = 0;
const started = Date.now();
function drawProgress(written: number, total: number): void {
  const now = Date.now();
  if (written < total && now - lastDrawn < 200) return;
  lastDrawn = now;
  const fraction = total === 0 ? 1 : written / total;
  const filled = Math.round(fraction * barWidth);
  const rate = written / Math.max((now - started) / 1000, 0.001);
  process.stderr.write(
    `\r[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}% ` +
      `${gib(written)} / ${gib(total)}  ${(rate / 2 ** 20).toFixed(0)} MiB/s`,
  );
}

try {
  await writeSyntheticModel(values.out, {
    preset: values.preset as PresetName,
    layers: parseInteger("layers", values.layers),
    seed: parseInteger("seed", values.seed),
    weights: values.weights as SyntheticWeights | undefined,
    onProgress: drawProgress,
  });
  process.stderr.write(`\nwrote ${values.out} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
} catch (error) {
  process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
