// The library as a user calls it (`loadModel` + `model.chat` / `model.stream`, one request at a time): the addon's
// speed plus everything TypeScript adds per token (harmony rendering and parsing, the scheduler, sampling policy).
// Prefill: a chat whose prompt is about `prompt` tokens of fresh text, answered with one token; tokens/s counts
// the prompt tokens not served from the cache over the time to that answer. Decode: a greedy stream of `gen`
// tokens of final answer; tokens/s over the time from its first event to its end (the first token's prefill
// excluded).
import { loadModel } from "../../src/chat/load.js";
import type { Model } from "../../src/chat/types.js";
import { Prng } from "../../src/fixture/prng.js";
import { nowNs, throughputFromSamples, type BenchSettings, type EngineResult } from "./types.js";

const WORDS = "river mountain train compiler garden market weather history music protocol kernel tensor budget harbor".split(" ");

/** A user message whose chat prompt (system message and harmony framing included) is about `tokens` tokens. */
function userText(model: Model, tokens: number, seed: number): string {
  const prng = new Prng(seed);
  const framing = model.tokenize("").length + 64; // harmony's system message and headers, roughly
  const words: string[] = [];
  while (model.tokenize(words.join(" ")).length < tokens - framing) words.push(WORDS[prng.nextInt(WORDS.length)]!);
  return words.join(" ");
}

async function prefillRate(model: Model, text: string): Promise<number> {
  const started = nowNs();
  const { usage } = await model.chat([{ role: "user", content: text }], { maxTokens: 1, temperature: 0, reasoningEffort: "low" });
  return ((usage.promptTokens - usage.cachedPromptTokens) * 1e9) / (nowNs() - started);
}

async function decodeRate(model: Model, gen: number, seed: number): Promise<number> {
  let first = 0;
  let completion = 0;
  for await (const event of model.stream([{ role: "user", content: `Write about ${WORDS[seed % WORDS.length]}.` }], {
    maxTokens: gen, maxReasoningTokens: 0, temperature: 0, // straight to the final channel: one event per token
  })) {
    if (first === 0) first = nowNs();
    if (event.type === "done") completion = event.result.usage.completionTokens;
  }
  return ((completion - 1) * 1e9) / (nowNs() - first);
}

/** Runs both tests through the library; the model is loaded and freed inside. */
export async function benchLibrary(settings: BenchSettings): Promise<EngineResult> {
  const model = await loadModel(settings.modelPath, {
    gpu: false,
    threads: settings.threads,
    parallel: 1,
    contextSize: settings.prompt + settings.gen + 512,
  });
  try {
    const prefill: number[] = [];
    const decode: number[] = [];
    await prefillRate(model, userText(model, settings.prompt, 0)); // warmup, as llama-bench
    for (let rep = 1; rep <= settings.reps; rep++) prefill.push(await prefillRate(model, userText(model, settings.prompt, rep)));
    await decodeRate(model, settings.gen, 0);
    for (let rep = 1; rep <= settings.reps; rep++) decode.push(await decodeRate(model, settings.gen, rep));
    return {
      engine: "gpt-oss-node (library)",
      version: "loadModel + chat/stream, one request at a time",
      prefill: throughputFromSamples(settings.prompt, prefill),
      decode: throughputFromSamples(settings.gen, decode),
    };
  } finally {
    await model.dispose();
  }
}
