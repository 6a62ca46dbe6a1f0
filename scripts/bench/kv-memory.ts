// KV cache memory of the unified pool against the split one (one stream per sequence, as before), and how much of
// the context one request may use. `npx tsx scripts/bench/kv-memory.ts [MODEL.gguf]` (default: the tiny fixture).
// Prints a table; the numbers are llama.cpp's own allocation (memoryUsage().kvCacheBytes).
import { cpus } from "node:os";
import { readGguf } from "../../src/gguf/index.js";
import { loadNative } from "../../src/native/index.js";
import { tinyModelPath } from "../../test/helpers/fixture.js";

const path = process.argv[2] ?? (await tinyModelPath());
const file = await readGguf(path);
const addon = loadNative();
addon.setLogLevel(3);
addon.loadBackends();
const model = await addon.loadModel(path, { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: true, useMlock: false }).promise;
console.log(`CPU: ${cpus()[0]?.model} · model ${path} (${String(file.metadata["gpt-oss.block_count"])} layers)`);
console.log("| context | parallel | KV layout | KV bytes | MiB | tokens one request may hold |");
console.log("|---|---|---|---|---|---|");
for (const [contextSize, sequences] of [[8192, 4], [8192, 1], [32768, 8]] as const) {
  for (const kvUnified of [false, true]) {
    const context = await model.createContext({
      contextSize, batchSize: 512, ubatchSize: 512, sequences, threads: 2, threadsBatch: 2,
      flashAttention: "auto", cacheTypeK: "f16", cacheTypeV: "f16", swaFull: true, kvUnified,
    });
    const bytes = context.memoryUsage().kvCacheBytes;
    console.log(`| ${contextSize} | ${sequences} | ${kvUnified ? "unified (now)" : "split (before)"} | ${bytes} | ${(bytes / 2 ** 20).toFixed(1)} | ${context.sequenceContextSize} |`);
    context.dispose();
  }
}
model.dispose();
