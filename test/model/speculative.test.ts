// Speculative decoding by prompt lookup on the tiny model.
//
// What a draft check computes: the drafted positions' logits come from one decode of 1 + k rows instead of k + 1
// single-row decodes. llama.cpp's sums may round differently with the batch's shape and the cache's layout (flash
// attention's chunks follow how many KV cells the cache spans), so those logits must agree with the one-at-a-time
// ones to within rounding: checked here, with the greedy picks equal wherever the best two are further apart. On
// random weights near-ties are common, so a long greedy output with drafting can part from plain decoding at one
// (plain decoding's own output moves the same way with the cache's history, e.g. prefix reuse). The engine itself
// adds nothing to that: test/unit/engine-speculative.test.ts shows the same tokens, exactly, where arithmetic is exact.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../src/index.js";
import type { ChatResult, GenerationOptions } from "../../src/chat/types.js";
import type { NativeContext, NativeModel } from "../../src/native/types.js";
import { COPY_CYCLE_LENGTH, planCopying } from "../../src/fixture/index.js";
import { buildHarmonyVocab } from "../../src/tokenizer/vocab.js";
import { tinyCopyingModelPath, tinyModelPath } from "../helpers/fixture.js";
import { contextOptions, GREEDY, greedySolo, loadTiny } from "../helpers/native.js";

/** Log-probabilities of one position computed in a batch of drafts and alone differ by less than this. */
const ROUNDING = 2e-3;
const TOP = 4;
const DRAFTS = 8;

describe("a draft check on the model: one decode of the drafts, the logits of decoding them one by one", () => {
  let model: NativeModel;
  let context: NativeContext;
  beforeAll(async () => {
    model = await loadTiny(await tinyModelPath());
    context = await model.createContext(contextOptions({ sequences: 1, contextSize: 512 }));
  });
  afterAll(() => model?.dispose());

  /** Top log-probabilities after each of `tokens` (following `prompt`), decoded `batched` or one at a time. */
  async function scores(prompt: number[], tokens: number[], batched: boolean): Promise<Array<Map<number, number>>> {
    context.kvClear();
    const sampler = context.createSampler(GREEDY);
    try {
      await context.decode({
        tokens: Int32Array.from(prompt), positions: Int32Array.from(prompt, (_, i) => i), sequenceIds: new Int32Array(prompt.length),
        sampleIndices: Int32Array.of(prompt.length - 1), samplers: [sampler],
      });
      const rows = batched ? [tokens] : tokens.map((token) => [token]);
      const out: Array<Map<number, number>> = [];
      let position = prompt.length;
      for (const row of rows) {
        // One sampler at every position of the row, as the engine verifies a sequence's drafts.
        const result = await context.decode({
          tokens: Int32Array.from(row), positions: Int32Array.from(row, (_, i) => position + i), sequenceIds: new Int32Array(row.length),
          sampleIndices: Int32Array.from(row, (_, i) => i), samplers: row.map(() => sampler), topLogprobs: TOP,
        });
        for (let k = 0; k < row.length; k++) {
          out.push(new Map(Array.from(result.topTokens!.subarray(k * TOP, (k + 1) * TOP), (id, j) => [id, result.topLogprobs![k * TOP + j]!])));
        }
        position += row.length;
      }
      return out;
    } finally {
      sampler.dispose();
    }
  }

  it("agrees within rounding, and picks the same token wherever the best two are further apart", async () => {
    const prompt = Array.from(model.tokenize("the cat sat on the mat, the cat sat on the mat, the cat", false));
    context.kvClear();
    const continuation = await greedySolo(context, 0, prompt, DRAFTS + 1);
    const [alone, batched] = [await scores(prompt, continuation, false), await scores(prompt, continuation, true)];
    let worst = 0;
    alone.forEach((expected, position) => {
      const actual = batched[position]!;
      for (const [id, logprob] of expected) if (actual.has(id)) worst = Math.max(worst, Math.abs(logprob - actual.get(id)!));
      const [best, second] = [...expected.values()];
      if (best! - second! > 2 * ROUNDING) expect([...actual.keys()][0], `position ${position}`).toBe([...expected.keys()][0]);
    });
    expect(worst).toBeLessThan(ROUNDING);
    console.log(`drafts checked in one decode vs one by one: worst log-probability difference ${worst.toExponential(2)}`);
  });
});

describe("drafting through the library", () => {
  const user = (content: string) => [{ role: "user" as const, content }];

  async function withModels<T>(run: (plain: Awaited<ReturnType<typeof loadModel>>, drafting: Awaited<ReturnType<typeof loadModel>>) => Promise<T>, path?: string): Promise<T> {
    path ??= await tinyModelPath();
    const load = (draftTokens: number) => loadModel(path, { gpu: false, contextSize: 1024, parallel: 1, threads: 2, draftTokens });
    const [plain, drafting] = [await load(0), await load(8)];
    try {
      return await run(plain, drafting);
    } finally {
      await plain.dispose();
      await drafting.dispose();
    }
  }
  const visible = (r: ChatResult) => ({ reasoning: r.reasoning, content: r.content, usage: r.usage, finishReason: r.finishReason });

  it("drafts and has the model confirm drafts on output that loops, counting both in stats()", async () => {
    const options: GenerationOptions = { temperature: 0, maxTokens: 160, maxReasoningTokens: 80 };
    await withModels(async (plain, drafting) => {
      const [a, b] = [await plain.chat(user("the cat sat on the mat, the cat sat on the mat"), options), await drafting.chat(user("the cat sat on the mat, the cat sat on the mat"), options)];
      expect(b.usage.completionTokens).toBe(a.usage.completionTokens);
      expect(plain.stats().draftedTokensTotal).toBe(0);
      const stats = drafting.stats();
      expect(stats.acceptedDraftTokensTotal).toBeGreaterThan(0);
      expect(stats.acceptedDraftTokensTotal).toBeLessThanOrEqual(stats.draftedTokensTotal);
    });
  });

  it("never drafts for a sampled request (temperature > 0), whose output stays the seed's", async () => {
    const options: GenerationOptions = { temperature: 0.8, seed: 7, maxTokens: 64, maxReasoningTokens: 32 };
    await withModels(async (plain, drafting) => {
      const [a, b] = [await plain.chat(user("a b c a b c a b c"), options), await drafting.chat(user("a b c a b c a b c"), options)];
      expect(drafting.stats().draftedTokensTotal).toBe(0);
      expect(visible(b)).toEqual(visible(a));
    });
  });

  it("on the copying fixture: the answer loops, nearly every draft is confirmed, and the output is plain decoding's", async () => {
    // The tiny model with copying weights (src/fixture/copying.ts): greedy decoding writes `<|channel|>final<|message|>`
    // and then the plan's 32 words over and over. If its weights stop making it loop, acceptance falls here.
    const plan = planCopying(buildHarmonyVocab(), 64, 1);
    const options: GenerationOptions = { temperature: 0, maxTokens: 200 };
    await withModels(async (plain, drafting) => {
      const prompt = user("Copy the list exactly: alpha, beta, gamma, delta, alpha, beta, gamma, delta.");
      const [a, b] = [await plain.chat(prompt, options), await drafting.chat(prompt, options)];
      const header = 3; // <|channel|> final <|message|>, written by the model itself
      const loop = Array.from({ length: options.maxTokens! - header }, (_, i) => plan.cycle[i % COPY_CYCLE_LENGTH]!);
      expect(visible(a)).toMatchObject({ reasoning: "", content: plain.detokenize(loop), finishReason: "length" });
      expect(visible(b)).toEqual(visible(a));
      // A forced header (no reasoning budget) ends at the same `<|message|>`: the same answer.
      const forced = await drafting.chat(prompt, { ...options, maxReasoningTokens: 0 });
      expect(forced.content.startsWith(plain.detokenize(loop.slice(0, 2 * COPY_CYCLE_LENGTH)))).toBe(true);

      const { draftedTokensTotal: drafted, acceptedDraftTokensTotal: accepted } = drafting.stats();
      // Lookup has nothing to find during the loop's first pass (~35 tokens), then guesses every token after it (at
      // most 8 of every 9 tokens are accepted drafts, the 9th is the check's own pick): 144 of each 200-token answer.
      expect(accepted).toBeGreaterThan(0.6 * 2 * options.maxTokens!);
      expect(accepted / drafted).toBeGreaterThan(0.9);
      console.log(`copying fixture: ${accepted} of ${drafted} drafts accepted`);
    }, await tinyCopyingModelPath());
  });
});
