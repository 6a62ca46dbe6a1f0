#!/usr/bin/env node
// CUDA check on a machine with an NVIDIA GPU, without the dev toolchain (plain Node on the compiled dist/ and an
// addon built with `--gpu cuda`): the checks of test/gpu/gpu-backend.test.ts that matter for CUDA, as one script.
//   GPT_OSS_NODE_ADDON=build-cuda/Release/gpt_oss_node.node node scripts/cuda-smoke.mjs [--speed]
// 1. the CUDA device is listed; 2. on the tiny model, teacher-forced top-8 log-probabilities on the GPU agree with
// the CPU's within 3e-2 and greedy picks differ only at near-ties; 3. weights and KV cache sit on the device;
// 4. loadModel({ gpu: "auto" }) picks CUDA and chats; 5. (--speed) decode and prefill tok/s of the 4-layer
// 20b-geometry fixture through the library, GPU and CPU. Prints one line per check; exits 1 on a failed check.
// Needs only Node, dist/ (npm run build), node_modules/js-tiktoken and the addon: small enough to take to a GPU
// machine without the dev dependencies. GPT_OSS_SMOKE_BACKEND=Vulkan runs it against another backend (lavapipe).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel } from "../dist/index.js";
import { loadNative } from "../dist/native/index.js";
import { writeSyntheticModel } from "../dist/fixture/index.js";
import { GREEDY_SAMPLER_OPTIONS } from "../dist/engine/sampling.js";

/** CUDA; another backend (`Vulkan` on lavapipe) checks this script itself on a machine without an NVIDIA GPU. */
const BACKEND = process.env.GPT_OSS_SMOKE_BACKEND ?? "CUDA";
const TOP = 8;
const TOLERANCE = 3e-2;
const STEPS = 24;
let failed = 0;
const check = (ok, line) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${line}`);
  if (!ok) failed++;
};

const dir = mkdtempSync(join(tmpdir(), "gpt-oss-cuda-"));
const tiny = join(dir, "tiny.gguf");
await writeSyntheticModel(tiny, { preset: "tiny" });
const addon = loadNative();
const cuda = addon.listDevices().filter((d) => d.backend === BACKEND);
check(cuda.length > 0, `${BACKEND} devices: ${cuda.map((d) => `${d.name} = ${d.description} (${(d.memoryTotalBytes / 2 ** 30).toFixed(0)} GiB)`).join(", ") || "none"}`);
const device = cuda[0]?.name;

const contextOptions = (extra) => ({
  contextSize: 1024, batchSize: 256, ubatchSize: 256, sequences: 1, threads: 4, threadsBatch: 4,
  flashAttention: "auto", cacheTypeK: "f16", cacheTypeV: "f16", swaFull: true, kvUnified: false, ...extra,
});

async function score(context, forced, promptLength) {
  context.kvClear();
  const indices = forced.map((_, i) => i).slice(promptLength - 1, -1);
  const samplers = indices.map(() => context.createSampler(GREEDY_SAMPLER_OPTIONS));
  const result = await context.decode({
    tokens: Int32Array.from(forced), positions: Int32Array.from(forced.map((_, i) => i)), sequenceIds: new Int32Array(forced.length),
    sampleIndices: Int32Array.from(indices), samplers, topLogprobs: TOP,
  });
  for (const sampler of samplers) sampler.dispose();
  return { sampled: Array.from(result.sampled), top: Array.from(result.topLogprobs), ids: Array.from(result.topTokens) };
}

if (device) {
  const cpu = await addon.loadModel(tiny, { devices: [], gpuLayers: 0, cpuMoeLayers: 0, useMmap: true, useMlock: false }).promise;
  const gpu = await addon.loadModel(tiny, { devices: [device], gpuLayers: -1, cpuMoeLayers: 0, useMmap: true, useMlock: false }).promise;
  const cpuContext = await cpu.createContext(contextOptions({}));
  const gpuContext = await gpu.createContext(contextOptions({}));
  const prompt = [200006, 1428, 200008, 13225, 2375, 200007];
  // The CPU's greedy continuation, then both score that same token sequence in one batch.
  let forced = [...prompt];
  const sampler = cpuContext.createSampler(GREEDY_SAMPLER_OPTIONS);
  let result = await cpuContext.decode({ tokens: Int32Array.from(forced), positions: Int32Array.from(forced.map((_, i) => i)), sequenceIds: new Int32Array(forced.length), sampleIndices: Int32Array.of(forced.length - 1), samplers: [sampler] });
  while (forced.length < prompt.length + STEPS) {
    forced.push(result.sampled[0]);
    result = await cpuContext.decode({ tokens: Int32Array.of(forced.at(-1)), positions: Int32Array.of(forced.length - 1), sequenceIds: Int32Array.of(0), sampleIndices: Int32Array.of(0), samplers: [sampler] });
  }
  sampler.dispose();
  const reference = await score(cpuContext, forced, prompt.length);
  const candidate = await score(gpuContext, forced, prompt.length);
  let worst = 0;
  const nearTies = [];
  let badTie = false;
  for (let step = 0; step < reference.sampled.length; step++) {
    const row = (s) => new Map(s.ids.slice(step * TOP, (step + 1) * TOP).map((id, k) => [id, s.top[step * TOP + k]]));
    const expected = row(reference), actual = row(candidate);
    for (const [id, logprob] of expected) if (actual.has(id)) worst = Math.max(worst, Math.abs(logprob - actual.get(id)));
    if (reference.sampled[step] !== candidate.sampled[step]) {
      const [best, second] = [...expected.values()];
      if (best - second >= 2 * TOLERANCE) badTie = true;
      nearTies.push(step);
    }
  }
  check(worst < TOLERANCE && !badTie, `top-${TOP} log-probabilities, ${STEPS} steps: worst difference ${worst.toExponential(2)} (< ${TOLERANCE}); greedy picks differ at ${nearTies.length} near-ties`);
  const onDevice = gpuContext.memoryBreakdown().filter((m) => m.device === device && !m.host);
  const modelBytes = onDevice.reduce((sum, m) => sum + m.modelBytes, 0), contextBytes = onDevice.reduce((sum, m) => sum + m.contextBytes, 0);
  check(modelBytes > 0 && contextBytes > 0, `on ${device}: ${(modelBytes / 2 ** 20).toFixed(1)} MiB of weights, ${(contextBytes / 2 ** 20).toFixed(1)} MiB of KV cache`);
  cpu.dispose();
  gpu.dispose();

  const model = await loadModel(tiny, { gpu: "auto", contextSize: 1024, parallel: 2 });
  const chat = await model.chat([{ role: "user", content: "Say hi" }], { temperature: 0, maxTokens: 16, maxReasoningTokens: 0 });
  const { backend, devices, placement } = model.info;
  check(backend === BACKEND && chat.usage.completionTokens > 0, `gpu "auto": backend ${backend}, devices ${devices.join(", ")}, ${placement.reason}; chat gave ${chat.usage.completionTokens} tokens`);
  await model.dispose();
}

if (process.argv.includes("--speed")) {
  const path = join(dir, "bench-20b-L4.gguf");
  await writeSyntheticModel(path, { preset: "20b", layers: 4 });
  for (const gpu of [BACKEND.toLowerCase(), false]) {
    const model = await loadModel(path, { gpu, contextSize: 2048, parallel: 1 });
    const messages = [{ role: "user", content: "Write a long story about a river. ".repeat(40) }];
    await model.chat(messages, { temperature: 0, maxTokens: 8, maxReasoningTokens: 0 }); // warm-up
    const started = performance.now();
    const first = { at: 0 };
    let tokens = 0;
    for await (const event of model.stream([{ role: "user", content: `Another one. ${"Write a long story about a river. ".repeat(40)}` }], { temperature: 0, maxTokens: 128, maxReasoningTokens: 0 })) {
      if (event.type === "content" && first.at === 0) first.at = performance.now();
      if (event.type === "done") tokens = event.result.usage.completionTokens;
    }
    const ended = performance.now();
    console.log(`speed ${gpu === false ? "cpu" : gpu}: first token after ${(first.at - started).toFixed(0)} ms, ${tokens} tokens, ${((1000 * (tokens - 1)) / (ended - first.at)).toFixed(1)} tok/s decode`);
    await model.dispose();
  }
}
process.exit(failed === 0 ? 0 : 1);
