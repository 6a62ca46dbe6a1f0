// Soak test: `npx tsx scripts/soak.ts [--model PATH] [--streams 64] [--minutes 5] [--disconnect 0.3] [--seed N]`.
// Starts `gpt-oss serve` on the model (default: the tiny fixture; issue 14's target is the 20b-geometry bench fixture,
// .fixtures/bench-20b-L4.gguf), keeps N streaming clients busy (some hang up, some read slowly, some require a tool
// call), samples the server's RSS each minute, then checks the streams, active requests and KV cells (scripts/soak/run.ts).
// Prints a table; exits 1 when a check fails. A bounded version runs in npm test (test/server/soak.test.ts).
import { parseArgs } from "node:util";
import { tinyModelPath } from "../test/helpers/fixture.js";
import { formatSoakTable, runSoak, soakFailures } from "./soak/run.js";

const { values } = parseArgs({
  options: { model: { type: "string" }, streams: { type: "string" }, minutes: { type: "string" }, disconnect: { type: "string" }, seed: { type: "string" } },
});
const model = values.model ?? (await tinyModelPath());
const streams = Number(values.streams ?? 64);
const minutes = Number(values.minutes ?? 5);
const seed = Number(values.seed ?? Date.now() % 2 ** 31);
console.log(`Soak: ${model}, ${streams} streams, ${minutes} min, seed ${seed}`);
const report = await runSoak({ model, streams, durationMs: minutes * 60_000, disconnect: Number(values.disconnect ?? 0.3), seed, log: (line) => console.log(line) });
console.log(formatSoakTable(report));
const failures = soakFailures(report);
for (const failure of failures) console.log(`FAILED: ${failure}`);
process.exit(failures.length === 0 ? 0 : 1);
