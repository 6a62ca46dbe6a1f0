// HTTP fuzz at length: `npx tsx scripts/fuzz-http.ts [COUNT] [SEED]` (default 2000 cases) against a server on the
// real library over a scripted context; prints the answers by status and every failure (a 5xx for a client's
// mistake, a non-OpenAI error body, a malformed 200, a request over a limit without its exact 400). Exits 1 on any
// failure. The bounded version is in npm test.
import { cpus } from "node:os";
import { createServer } from "../src/server/index.js";
import { fuzzCases, sendFuzz } from "../test/helpers/http-fuzz.js";
import { createScriptedModel, harmonyScript } from "../test/helpers/scripted-context.js";

const count = Number(process.argv[2] ?? 2000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
const { model } = await createScriptedModel({ contextSize: 4096, sequences: 2, script: (t) => harmonyScript(t, () => ["<|channel|>final<|message|>ok<|return|>"]) });
const server = createServer({ models: [{ id: "scripted", model }], gpuProbe: false });
const baseUrl = await server.listen({ port: 0 });
const started = performance.now();
const { counts, failures } = await sendFuzz(baseUrl, fuzzCases(seed, count));
const seconds = (performance.now() - started) / 1000;
const healthy = (await fetch(`${baseUrl}/v1/health`)).status === 200;
console.log(`CPU: ${cpus()[0]?.model} · ${count} cases, seed ${seed}, ${seconds.toFixed(1)} s`);
console.log("| status | answers |\n|---|---|");
for (const [status, n] of [...counts].sort(([a], [b]) => a - b)) console.log(`| ${status} | ${n} |`);
console.log(`server healthy afterwards: ${healthy}; failures: ${failures.length}`);
for (const failure of failures) console.log(`  ${failure}`);
await server.shutdown({ timeoutMs: 1000 });
await model.dispose();
process.exit(failures.length === 0 && healthy ? 0 : 1);
