// Speculative decoding by prompt lookup on the tiny model: a request's greedy output is the same with and without
// drafting (reasoning, final answer, a tool call under its grammar), drafts are confirmed by the model, and sampled
// requests never draft. The random weights fall into loops under greedy decoding, which the drafter predicts.
//
// Each comparison loads a fresh pair of models and runs one request at a time: with flash attention (on for the
// CPU), llama.cpp's attention sums a sequence's row in chunks that depend on how many KV cells the whole unified
// cache holds, so other sequences' cells (idle prefix caches, drafts of a neighbour) move its log-probabilities by
// ~1e-2 and flip near-ties of random weights. The engine's own exactness with several requests at once is
// tested where arithmetic is exact: test/unit/engine-speculative.test.ts.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../src/index.js";
import type { ChatResult, GenerationOptions } from "../../src/chat/types.js";
import { tinyModelPath } from "../helpers/fixture.js";

const user = (content: string) => [{ role: "user" as const, content }];
const GREEDY = { temperature: 0, maxTokens: 160, maxReasoningTokens: 80 };

/** One request on a fresh model without drafting and on one with 8 drafts per step. */
async function compare(prompt: string, options: GenerationOptions): Promise<{ plain: ChatResult; drafted: ChatResult; drafts: number; accepted: number }> {
  const path = await tinyModelPath();
  const load = (draftTokens: number) => loadModel(path, { gpu: false, contextSize: 1024, parallel: 1, threads: 2, draftTokens });
  const [plainModel, draftingModel] = [await load(0), await load(8)];
  try {
    const plain = await plainModel.chat(user(prompt), options);
    const drafted = await draftingModel.chat(user(prompt), options);
    expect(plainModel.stats().draftedTokensTotal).toBe(0);
    const stats = draftingModel.stats();
    return { plain, drafted, drafts: stats.draftedTokensTotal, accepted: stats.acceptedDraftTokensTotal };
  } finally {
    await plainModel.dispose();
    await draftingModel.dispose();
  }
}

const visible = (r: ChatResult) => ({ reasoning: r.reasoning, content: r.content, toolCalls: r.toolCalls.map((c) => [c.name, c.arguments]), usage: r.usage, finishReason: r.finishReason });

describe("speculative decoding (prompt lookup) on the tiny model", () => {
  it("gives the greedy output of plain decoding, token for token, with drafts the model confirmed", async () => {
    let drafts = 0;
    let accepted = 0;
    for (const prompt of ["Repeat after me: the cat sat on the mat, the cat sat on the mat.", "Name three colours.", "1 2 3 1 2 3 1 2 3"]) {
      const result = await compare(prompt, GREEDY);
      expect(visible(result.drafted)).toEqual(visible(result.plain));
      drafts += result.drafts;
      accepted += result.accepted;
    }
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(drafts);
  });

  it("gives the same tool call under its grammar (drafting pauses there)", async () => {
    const tools = [{ name: "lookup", parameters: { type: "object", properties: { word: { enum: ["cat", "mat"] } }, required: ["word"] } }];
    const result = await compare("Look up cat, cat, cat.", { ...GREEDY, tools, toolChoice: "required" });
    expect(visible(result.drafted)).toEqual(visible(result.plain));
    expect(result.plain.toolCalls).toHaveLength(1);
  });

  it("never drafts for a sampled request (temperature > 0), whose output stays the seed's", async () => {
    const result = await compare("a b c a b c a b c", { temperature: 0.8, seed: 7, maxTokens: 64, maxReasoningTokens: 32 });
    expect(result.drafts).toBe(0);
    expect(visible(result.drafted)).toEqual(visible(result.plain));
  });
});
