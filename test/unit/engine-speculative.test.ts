// Speculative decoding in the engine, against a scripted context whose "model" is an exact function of the history
// (so any difference from plain decoding is the engine's): same tokens, forced tokens and grammar switches honoured,
// drafts verified in the same decode, rejected drafts removed from the cache.
import { describe, expect, it } from "vitest";
import type { FinishReason } from "../../src/chat/types.js";
import { PromptLookupDrafter } from "../../src/engine/draft.js";
import { Engine } from "../../src/engine/engine.js";
import type { Constraint, Directive, TokenPolicy } from "../../src/engine/policy.js";
import type { SamplingParams } from "../../src/engine/sampling.js";
import { ScriptedContext, type ScriptView } from "../helpers/scripted-context.js";

const greedy: SamplingParams = { temperature: 0, topP: 1, topK: 0, minP: 0, seed: 1, frequencyPenalty: 0, presencePenalty: 0, bannedTokens: [] };
const GRAMMAR: Constraint = { grammar: 'root ::= "x"' };

/**
 * A model that loops: the next token follows from the last two (a cycle of a few tokens soon), with an occasional
 * break every 17 positions, so drafts are often right and sometimes wrong.
 */
function loopingModel(view: ScriptView): number {
  const seen = [...view.prompt, ...view.reply];
  const [a, b] = [seen.at(-2) ?? 0, seen.at(-1) ?? 0];
  if (seen.length % 17 === 0) return 500 + (seen.length % 5);
  return 100 + ((a * 3 + b * 7) % 6);
}

/** Records every token; forces two tokens after the 5th and switches to a grammar after the 12th, then back. */
class ScriptedPolicy implements TokenPolicy {
  readonly tokens: number[] = [];
  ended: FinishReason | undefined;
  constructor(private readonly steering: boolean) {}
  begin(): Directive {
    return {};
  }
  next(token: number): Directive {
    this.tokens.push(token);
    if (!this.steering) return {};
    if (this.tokens.length === 5) return { force: [900, 901] };
    if (this.tokens.length === 12) return { constraint: GRAMMAR };
    if (this.tokens.length === 16) return { constraint: null };
    return {};
  }
  end(reason: FinishReason): void {
    this.ended = reason;
  }
}

async function run(draftTokens: number, prompts: number[][], steering: boolean, options: { partialRemoveSupported?: boolean } = {}) {
  const context = new ScriptedContext({ sequences: 3, contextSize: 2048, script: loopingModel, ...options });
  const engine = new Engine(context, {
    maxQueue: 8,
    ...(draftTokens > 0 && { draft: { drafter: new PromptLookupDrafter({ minNgram: 1 }), maxTokens: draftTokens } }),
  });
  const policies = prompts.map(() => new ScriptedPolicy(steering));
  const outcomes = await Promise.all(prompts.map((prompt, i) => engine.generate({
    prompt, maxTokens: 60, defaultMaxTokens: 60, sampling: greedy, policy: policies[i]!,
  })));
  return { context, engine, policies, outcomes };
}

const PROMPTS = [[1, 2, 3, 101, 102], [7, 7, 7], [4, 104, 5, 105, 4, 104]];

describe("speculative decoding in the engine", () => {
  it("gives every request exactly the tokens and outcome of plain decoding, several at once", async () => {
    for (const steering of [false, true]) {
      const plain = await run(0, PROMPTS, steering);
      const drafting = await run(8, PROMPTS, steering);
      expect(drafting.policies.map((p) => p.tokens)).toEqual(plain.policies.map((p) => p.tokens));
      expect(drafting.outcomes).toEqual(plain.outcomes);
      const stats = drafting.engine.stats();
      expect(stats.acceptedDraftTokensTotal).toBeGreaterThan(0);
      expect(stats.acceptedDraftTokensTotal).toBeLessThan(stats.draftedTokensTotal); // some guesses were wrong
      expect(drafting.context.batches.length).toBeLessThan(plain.context.batches.length);
    }
  });

  it("verifies a sequence's drafts in the decode that carries them: one sample per drafted position", async () => {
    const { context } = await run(8, [PROMPTS[0]!], false);
    const withDrafts = context.batches.find((batch) => batch.sampleIndices.length > 1)!;
    expect(withDrafts).toBeDefined();
    // Consecutive sample indices of one sequence, the same sampler for each.
    const first = withDrafts.sampleIndices[0]!;
    expect(withDrafts.sampleIndices).toEqual(withDrafts.sampleIndices.map((_, k) => first + k));
    expect(new Set(withDrafts.samplers).size).toBe(1);
    expect(withDrafts.sampleIndices.at(-1)).toBe(withDrafts.tokens.length - 1);
  });

  it("removes rejected drafts from the cache, and decodes again where the cache cannot cut", async () => {
    const cut = await run(8, PROMPTS, true);
    expect(cut.context.removals.some(([, p0]) => p0 > 0)).toBe(true);
    const plain = await run(0, PROMPTS, true);
    const noCut = await run(8, PROMPTS, true, { partialRemoveSupported: false });
    expect(noCut.policies.map((p) => p.tokens)).toEqual(plain.policies.map((p) => p.tokens));
  });

  it("drafts nothing for sampled requests or under a grammar", async () => {
    const context = new ScriptedContext({ sequences: 1, contextSize: 512, script: loopingModel });
    const engine = new Engine(context, { maxQueue: 1, draft: { drafter: new PromptLookupDrafter({ minNgram: 1 }), maxTokens: 8 } });
    await engine.generate({ prompt: PROMPTS[0]!, maxTokens: 40, defaultMaxTokens: 40, sampling: { ...greedy, temperature: 0.7 }, policy: new ScriptedPolicy(false) });
    await engine.generate({ prompt: PROMPTS[0]!, maxTokens: 40, defaultMaxTokens: 40, sampling: { ...greedy, frequencyPenalty: 0.5 }, policy: new ScriptedPolicy(false) });
    const grammarOnly: TokenPolicy = { begin: () => ({ constraint: GRAMMAR }), next: () => ({}), end: () => {} };
    await engine.generate({ prompt: PROMPTS[0]!, maxTokens: 40, defaultMaxTokens: 40, sampling: greedy, policy: grammarOnly });
    expect(engine.stats().draftedTokensTotal).toBe(0);
    expect(context.batches.every((batch) => batch.sampleIndices.length <= 1)).toBe(true);
  });
});
