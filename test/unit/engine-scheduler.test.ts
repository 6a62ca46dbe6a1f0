import { describe, expect, it } from "vitest";
import type { FinishReason } from "../../src/chat/types.js";
import { hasCode } from "../../src/errors.js";
import type { Constraint, Directive, TokenPolicy } from "../../src/engine/policy.js";
import type { GenerationRequest } from "../../src/engine/request.js";
import type { SamplingParams } from "../../src/engine/sampling.js";
import { Engine } from "../../src/engine/engine.js";
import { replyScript, ScriptedContext, type TokenScript } from "../helpers/scripted-context.js";

const STOP = 9;
const FILLER = 7;
const greedy: SamplingParams = {
  temperature: 0,
  topP: 1,
  topK: 0,
  minP: 0,
  seed: 1,
  frequencyPenalty: 0,
  presencePenalty: 0,
  bannedTokens: [],
};

/** Collects sampled tokens; stops on STOP. */
class RecordingPolicy implements TokenPolicy {
  readonly tokens: number[] = [];
  ended: FinishReason | undefined;
  constructor(private readonly onToken: (token: number, policy: RecordingPolicy) => Directive = () => ({})) {}
  begin(): Directive {
    return {};
  }
  next(token: number): Directive {
    this.tokens.push(token);
    if (token === STOP) return { stop: "stop" };
    return this.onToken(token, this);
  }
  end(reason: FinishReason): void {
    this.ended = reason;
  }
}

function request(prompt: number[], policy: TokenPolicy, extra: Partial<GenerationRequest> = {}): GenerationRequest {
  return { prompt, maxTokens: 32, defaultMaxTokens: 32, sampling: greedy, policy, ...extra };
}

/** Reply of a prompt: three tokens derived from its first token, then STOP. */
const derivedReply = (prompt: readonly number[]) => [prompt[0]! * 10 + 1, prompt[0]! * 10 + 2, prompt[0]! * 10 + 3, STOP];

function setup(options: { sequences?: number; contextSize?: number; batchSize?: number; script?: TokenScript; maxQueue?: number; prefillChunk?: number; partialRemoveSupported?: boolean; decodeDelayMs?: number; failDecodeAt?: number } = {}) {
  const context = new ScriptedContext({ script: replyScript(derivedReply, FILLER), ...options });
  const engine = new Engine(context, { maxQueue: options.maxQueue ?? 8, prefillChunk: options.prefillChunk });
  return { context, engine };
}

describe("Engine scheduling", () => {
  it("decodes all concurrent requests in one native call per step, each getting its solo output", async () => {
    const { context, engine } = setup({ sequences: 3 });
    const policies = [1, 2, 3].map(() => new RecordingPolicy());
    const outcomes = await Promise.all(policies.map((policy, i) => engine.generate(request([i + 1, 100, 101], policy))));
    policies.forEach((policy, i) => expect(policy.tokens).toEqual(derivedReply([i + 1])));
    outcomes.forEach((outcome) => expect(outcome).toMatchObject({ finishReason: "stop", promptTokens: 3, completionTokens: 4 }));
    // Step 1 prefills all three prompts together; later steps carry one token per sequence.
    expect(context.batches[0]!.sequenceIds).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(context.batches[0]!.sampleIndices).toEqual([2, 5, 8]);
    expect(context.batches[1]!.sequenceIds).toEqual([0, 1, 2]);
    expect(context.batches).toHaveLength(4);
  });

  it("lets a request join between steps while others are generating", async () => {
    const { context, engine } = setup({ sequences: 2, decodeDelayMs: 2 });
    const first = engine.generate(request([1, 50], new RecordingPolicy()));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const late = new RecordingPolicy();
    await Promise.all([first, engine.generate(request([2, 50], late))]);
    expect(late.tokens).toEqual(derivedReply([2]));
    const mixed = context.batches.find((b) => new Set(b.sequenceIds).size === 2);
    expect(mixed).toBeDefined();
  });

  it("prefills a long prompt in chunks interleaved with another sequence's decoding", async () => {
    const { context, engine } = setup({ sequences: 2, batchSize: 64, prefillChunk: 16 });
    const short = engine.generate(request([1, 2], new RecordingPolicy(), { maxTokens: 20 }));
    const long = engine.generate(request([3, ...Array.from({ length: 99 }, (_, i) => 200 + i)], new RecordingPolicy()));
    await Promise.all([short, long]);
    // While sequence 0 generates, sequence 1's prompt enters 16 tokens per step, next to sequence 0's token.
    const interleaved = context.batches.filter((b) => b.sequenceIds.includes(0) && b.sequenceIds.includes(1));
    expect(interleaved.length).toBeGreaterThan(1);
    for (const batch of context.batches.slice(1)) {
      expect(batch.sequenceIds.filter((s) => s === 1).length).toBeLessThanOrEqual(16 + 1);
    }
  });

  it("stops at maxTokens with finish reason length", async () => {
    const { engine } = setup({ script: () => FILLER });
    const policy = new RecordingPolicy();
    const outcome = await engine.generate(request([1, 2], policy, { maxTokens: 5 }));
    expect(outcome.finishReason).toBe("length");
    expect(policy.tokens).toEqual([FILLER, FILLER, FILLER, FILLER, FILLER]);
    expect(policy.ended).toBe("length");
  });
});

describe("Engine prefix reuse", () => {
  it("reuses the longest cached prefix and decodes only the rest", async () => {
    const { context, engine } = setup({ sequences: 2 });
    const history = [1, 11, 12, 13, 14, 15];
    const first = await engine.generate(request(history, new RecordingPolicy()));
    expect(first.cachedPromptTokens).toBe(0);
    // The cache holds the prompt and the decoded reply tokens (not the final STOP).
    const followUp = [...history, 11, 12, 13, 40, 41];
    const batchesBefore = context.batches.length;
    const second = await engine.generate(request(followUp, new RecordingPolicy()));
    expect(second.cachedPromptTokens).toBe(history.length + 3);
    expect(context.batches[batchesBefore]!.tokens).toEqual([40, 41]);
    expect(context.batches[batchesBefore]!.positions).toEqual([9, 10]);
  });

  it("re-decodes the last token when the whole prompt is cached", async () => {
    const { context, engine } = setup({ sequences: 1 });
    const prompt = [2, 20, 21, 22];
    await engine.generate(request(prompt, new RecordingPolicy()));
    const again = new RecordingPolicy();
    const outcome = await engine.generate(request(prompt, again));
    expect(outcome.cachedPromptTokens).toBe(3);
    expect(again.tokens).toEqual(derivedReply(prompt));
    expect(context.removals.at(-1)).toEqual([0, 3, -1]);
  });

  it("picks the free slot with the longest shared prefix", async () => {
    const { engine } = setup({ sequences: 2 });
    await Promise.all([
      engine.generate(request([1, 30, 31, 32], new RecordingPolicy())),
      engine.generate(request([2, 60, 61, 62], new RecordingPolicy())),
    ]);
    const outcome = await engine.generate(request([2, 60, 61, 99], new RecordingPolicy()));
    expect(outcome.cachedPromptTokens).toBe(3);
  });

  it("falls back to a full prefill when the cache cannot cut a sequence", async () => {
    const { context, engine } = setup({ sequences: 1, partialRemoveSupported: false });
    await engine.generate(request([1, 2, 3], new RecordingPolicy()));
    const outcome = await engine.generate(request([1, 2, 3, 4], new RecordingPolicy()));
    expect(outcome.cachedPromptTokens).toBe(0);
    expect(context.tokensOf(0).slice(0, 4)).toEqual([1, 2, 3, 4]);
  });
});

describe("Engine limits and cancellation", () => {
  it("gives one request the whole context, and refuses prompt + maxTokens over it before any work", async () => {
    const { context, engine } = setup({ sequences: 4, contextSize: 64, script: () => FILLER });
    const error = await engine.generate(request([1, 2, 3], new RecordingPolicy(), { maxTokens: 62 })).catch((e) => e);
    expect(hasCode(error, "ERR_CONTEXT_OVERFLOW")).toBe(true);
    expect(error.message).toContain("maximum context length is 64 tokens");
    expect(error.message).toContain("you requested 65 tokens (3 in the messages, 62 in the completion)");
    expect(context.batches).toHaveLength(0);
    // With four slots, one request still gets all 64 cells, not a quarter of them.
    await expect(engine.generate(request([1, 2, 3], new RecordingPolicy(), { maxTokens: 61 }))).resolves.toMatchObject({
      finishReason: "length",
      completionTokens: 61,
    });
  });

  it("caps a default completion limit to the room the prompt leaves instead of refusing", async () => {
    const { engine } = setup({ sequences: 2, contextSize: 32, script: () => FILLER });
    const outcome = await engine.generate({ ...request([1, 2, 3, 4], new RecordingPolicy()), maxTokens: undefined, defaultMaxTokens: 4096 });
    expect(outcome).toMatchObject({ finishReason: "length", completionTokens: 28 });
  });

  it("when the shared pool runs out, preempts the youngest and resumes it later with the same output as alone", async () => {
    // Each next token depends on everything the sequence holds, so a resumed request that lost or repeated a
    // token would diverge from its solo run; the scripted cache refuses a batch beyond its 48 cells.
    const historyScript: TokenScript = ({ prompt, reply }) => 100 + ([...prompt, ...reply].reduce((a, b) => a * 31 + b, 7) % 89);
    const prompts = [[1, 2, 3, 4], [5, 6, 7, 8], [11, 12, 13, 14]];
    const solo: number[][] = [];
    for (const prompt of prompts) {
      const policy = new RecordingPolicy();
      await new Engine(new ScriptedContext({ sequences: 1, contextSize: 48, script: historyScript }), { maxQueue: 8 })
        .generate(request(prompt, policy, { maxTokens: 30 }));
      solo.push(policy.tokens);
    }
    const context = new ScriptedContext({ sequences: 3, contextSize: 48, script: historyScript });
    const engine = new Engine(context, { maxQueue: 8 });
    const policies = prompts.map(() => new RecordingPolicy());
    const outcomes = await Promise.all(prompts.map((prompt, i) => engine.generate(request(prompt, policies[i]!, { maxTokens: 30 }))));
    expect(outcomes.map((o) => o.finishReason)).toEqual(["length", "length", "length"]);
    expect(policies.map((p) => p.tokens)).toEqual(solo);
    expect(engine.stats().preemptionsTotal).toBeGreaterThan(0);
    expect(context.maxCellsUsed).toBeLessThanOrEqual(48);
  });

  it("refuses with ERR_BUSY when every slot is taken and the queue is full", async () => {
    const { engine } = setup({ sequences: 1, maxQueue: 1, script: () => FILLER });
    const abort = new AbortController();
    const running = engine.generate(request([1], new RecordingPolicy(), { signal: abort.signal, maxTokens: 10 }));
    const queued = engine.generate(request([2], new RecordingPolicy(), { maxTokens: 2 }));
    const error = await engine.generate(request([3], new RecordingPolicy())).catch((e) => e);
    expect(hasCode(error, "ERR_BUSY")).toBe(true);
    abort.abort();
    await expect(running).resolves.toMatchObject({ finishReason: "cancelled" });
    await expect(queued).resolves.toMatchObject({ finishReason: "length" });
    expect(engine.stats()).toMatchObject({ activeRequests: 0, queuedRequests: 0 });
  });

  it("an aborted request frees its slot at the next step for a waiting one", async () => {
    const { context, engine } = setup({ sequences: 1, script: () => FILLER, decodeDelayMs: 1 });
    const abort = new AbortController();
    const policy = new RecordingPolicy((_, p) => {
      if (p.tokens.length === 3) abort.abort();
      return {};
    });
    const endless = engine.generate(request([1], policy, { signal: abort.signal, maxTokens: 1000 }));
    const waiting = engine.generate(request([2, 3], new RecordingPolicy(), { maxTokens: 2 }));
    await expect(endless).resolves.toMatchObject({ finishReason: "cancelled", completionTokens: 3 });
    await expect(waiting).resolves.toMatchObject({ finishReason: "length" });
    // Three steps for the endless request (prompt, then two sampled tokens), then the waiting prompt.
    expect(context.batches[3]!.tokens).toEqual([2, 3]);
    expect(context.samplers.every((s) => s.disposed)).toBe(true);
  });

  it("a request aborted while queued ends at once", async () => {
    const { engine } = setup({ sequences: 1, script: () => FILLER });
    const running = engine.generate(request([1], new RecordingPolicy(), { maxTokens: 5 }));
    const abort = new AbortController();
    const queued = engine.generate(request([2], new RecordingPolicy(), { signal: abort.signal }));
    abort.abort();
    await expect(queued).resolves.toMatchObject({ finishReason: "cancelled", completionTokens: 0 });
    await running;
  });

  it("a failed decode fails the requests in that batch, and the engine keeps serving", async () => {
    const { engine } = setup({ sequences: 1, failDecodeAt: 0 });
    const error = await engine.generate(request([1, 2], new RecordingPolicy())).catch((e) => e);
    expect(hasCode(error, "ERR_DECODE_FAILED")).toBe(true);
    const policy = new RecordingPolicy();
    await engine.generate(request([3, 4], policy));
    expect(policy.tokens).toEqual(derivedReply([3]));
  });

  it("a native KV call that throws fails the waiting requests instead of leaving them hanging", async () => {
    class BrokenCache extends ScriptedContext {
      override kvRemove(): boolean {
        throw Object.assign(new Error("scripted KV failure"), { code: "ERR_DECODE_FAILED" });
      }
    }
    const engine = new Engine(new BrokenCache({ sequences: 1, script: () => FILLER }), { maxQueue: 8 });
    const outcomes = await Promise.allSettled([1, 2].map((token) => engine.generate(request([token], new RecordingPolicy()))));
    for (const outcome of outcomes) expect(outcome).toMatchObject({ status: "rejected", reason: { message: "scripted KV failure" } });
    expect(engine.stats()).toMatchObject({ activeRequests: 0, queuedRequests: 0 });
  });

  it("dispose ends running and queued requests as cancelled", async () => {
    const { engine } = setup({ sequences: 1, script: () => FILLER, decodeDelayMs: 1 });
    const running = engine.generate(request([1], new RecordingPolicy(), { maxTokens: 1000 }));
    const queued = engine.generate(request([2], new RecordingPolicy()));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await engine.dispose();
    await expect(running).resolves.toMatchObject({ finishReason: "cancelled" });
    await expect(queued).resolves.toMatchObject({ finishReason: "cancelled" });
    await expect(engine.generate(request([3], new RecordingPolicy()))).rejects.toMatchObject({ code: "ERR_DISPOSED" });
  });
});

describe("Engine grammar check", () => {
  it("parses a grammar with the native sampler and frees it again; a bad one throws", () => {
    const { context, engine } = setup();
    engine.checkGrammar('root ::= "{5,2}" [{5,2}] "a"{2,5} # {5,2}\n', greedy);
    expect(context.samplers.map((s) => s.disposed)).toEqual([true]);
    expect(() => engine.checkGrammar("no root here", greedy)).toThrow(expect.objectContaining({ code: "ERR_GRAMMAR_INVALID" }));
  });
});

describe("Engine policy directives", () => {
  it("writes forced tokens into the sequence and switches samplers on constraint changes", async () => {
    const json: Constraint = { grammar: 'root ::= "x"' };
    const script = replyScript(() => [50, 51, 52, 53, STOP], FILLER);
    const { context, engine } = setup({ sequences: 1, script });
    const policy = new RecordingPolicy((token) => {
      if (token === 50) return { force: [60, 61], constraint: json };
      if (token === 53) return { constraint: null };
      return {};
    });
    const outcome = await engine.generate(request([1, 2], policy));
    // Reply as the sequence holds it: 50, forced 60 61, then the script continues at index 3.
    expect(context.tokensOf(0).slice(2)).toEqual([50, 60, 61, 53]);
    expect(policy.tokens).toEqual([50, 53, STOP]);
    expect(outcome.completionTokens).toBe(5);
    const samplerGrammars = context.batches.slice(1).map((b) => b.samplers[0]!.options.grammar);
    expect(samplerGrammars).toEqual(['root ::= "x"', undefined]);
  });

  it("a fixed seed gives each sampler of a request a reproducible seed", async () => {
    const seedsOf = async () => {
      const { context, engine } = setup({ sequences: 1, script: replyScript(() => [50, 51, STOP], FILLER) });
      const c: Constraint = { grammar: "root ::= [a-z]" };
      await engine.generate(request([1], new RecordingPolicy((t) => (t === 50 ? { constraint: c } : {})), { sampling: { ...greedy, seed: 42 } }));
      return context.samplers.map((s) => s.options.seed);
    };
    const first = await seedsOf();
    expect(first).toHaveLength(2);
    expect(first[0]).toBe(42);
    expect(first[1]).not.toBe(42);
    expect(await seedsOf()).toEqual(first);
  });
});
