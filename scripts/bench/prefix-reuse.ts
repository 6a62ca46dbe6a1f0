// Prefix reuse through the library API (issue #4): a follow-up turn on a long history must reach its first token
// in at most 10% of the time the cold history took. Each repetition: a fresh history (new text, so nothing is
// cached) answered with one token ("cold"), then the follow-up turn on that history plus the answer ("warm").
import { loadModel } from "../../src/chat/load.js";
import type { ChatMessage, Model } from "../../src/chat/types.js";
import { Prng } from "../../src/fixture/prng.js";
import { nowNs, type BenchSettings } from "./types.js";

/** The bar: warm time to first token over cold time to first token. */
export const PREFIX_REUSE_TARGET = 0.1;

export interface PrefixReuseResult {
  /** Prompt tokens of the cold turn (history rendered in harmony). */
  coldPromptTokens: number;
  /** Prompt tokens of the follow-up turn, and how many of them came from the cache. */
  warmPromptTokens: number;
  warmCachedTokens: number;
  /** Time to the first token, per repetition. */
  coldMs: number[];
  warmMs: number[];
  /** Mean warm time over mean cold time. */
  ratio: number;
}

const WORDS = (
  "the model reads a long document about rivers mountains trains compilers gardens markets weather history " +
  "music protocols kernels tensors budgets harbors bridges libraries sensors storms islands ledgers engines"
).split(" ");

/** Plain English-like text of about `tokens` tokens (checked with the model's own tokenizer). */
function historyText(model: Model, tokens: number, seed: number): string {
  const prng = new Prng(seed);
  const words: string[] = [];
  let text = "";
  while (model.tokenize(text).length < tokens) {
    for (let i = 0; i < 64; i++) words.push(WORDS[prng.nextInt(WORDS.length)]! + (prng.nextInt(12) === 0 ? "." : ""));
    text = words.join(" ");
  }
  while (words.length > 1 && model.tokenize(text).length > tokens) {
    words.pop();
    text = words.join(" ");
  }
  return text;
}

async function firstToken(model: Model, messages: ChatMessage[]): Promise<{ ms: number; prompt: number; cached: number }> {
  const started = nowNs();
  const { usage } = await model.chat(messages, { maxTokens: 1, temperature: 0, reasoningEffort: "low" });
  return { ms: (nowNs() - started) / 1e6, prompt: usage.promptTokens, cached: usage.cachedPromptTokens };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Loads the model through `loadModel` (one slot, room for the history) and times cold vs follow-up turns. */
export async function benchPrefixReuse(settings: BenchSettings, historyTokens: number): Promise<PrefixReuseResult> {
  const model = await loadModel(settings.modelPath, {
    contextSize: historyTokens + 1024,
    parallel: 1,
    threads: settings.threads,
    gpu: false,
  });
  try {
    const coldMs: number[] = [];
    const warmMs: number[] = [];
    let cold = { ms: 0, prompt: 0, cached: 0 };
    let warm = { ms: 0, prompt: 0, cached: 0 };
    for (let rep = 0; rep < settings.reps; rep++) {
      const history: ChatMessage[] = [{ role: "user", content: historyText(model, historyTokens, 1000 + rep) }];
      cold = await firstToken(model, history);
      warm = await firstToken(model, [
        ...history,
        { role: "assistant", content: "Noted." },
        { role: "user", content: "Summarize that in one line." },
      ]);
      coldMs.push(cold.ms);
      warmMs.push(warm.ms);
    }
    return {
      coldPromptTokens: cold.prompt,
      warmPromptTokens: warm.prompt,
      warmCachedTokens: warm.cached,
      coldMs,
      warmMs,
      ratio: mean(warmMs) / mean(coldMs),
    };
  } finally {
    await model.dispose();
  }
}
