// One KV pool for every request, on the real tiny model through the openai SDK on a real socket: the library's
// defaults never fail a request, one request may use the whole context, and the pool running out under
// concurrency preempts instead of failing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/chat/defaults.js";
import type { Model } from "../../src/chat/types.js";
import { loadModel } from "../../src/index.js";
import { tinyModelPath } from "../helpers/fixture.js";
import { startServer, type Harness } from "./harness.js";

/** The API spec's own example request (reasoning asked for twice, as it does). */
const specExample = {
  model: "tiny",
  messages: [
    { role: "system" as const, content: "You are a helpful assistant.\nReasoning: medium" },
    { role: "user" as const, content: "Explain what MXFP4 quantization is." },
  ],
  max_tokens: 1024,
  reasoning_level: "medium",
};

/** Thousands of tokens per test: generous bounds for a slow or busy CI machine (a few seconds each here). */
const LONG_MS = 240_000;

describe("a server with the default load options", { timeout: LONG_MS }, () => {
  let model: Model;
  let h: Harness;
  beforeAll(async () => {
    model = await loadModel(await tinyModelPath());
    h = await startServer({ tiny: model }, {}, "unused", LONG_MS);
  });
  afterAll(async () => {
    await h?.close();
    await model?.dispose();
  });

  it("serves the spec's example and a request without max_tokens", async () => {
    // The default context (8192) capped by what the tiny model was trained for.
    expect(model.info).toMatchObject({ contextSize: Math.min(DEFAULTS.contextSize, model.info.trainContextSize), parallel: DEFAULTS.parallel });
    // Greedy: on random weights no 256 tokens hold top_p's 0.9 of the mass, so default sampling sorts the whole
    // 201k vocabulary every token (~20 ms here); real weights rarely leave the fast path.
    const example = await h.client.chat.completions.create({ ...specExample, temperature: 0 } as never);
    expect(example.choices[0]!.finish_reason).toMatch(/^(stop|length)$/);
    expect(example.usage!.completion_tokens).toBeLessThanOrEqual(1024);
    const { max_tokens: _, ...noLimit } = specExample;
    const unbounded = await h.client.chat.completions.create({ ...noLimit, temperature: 0 } as never);
    expect(unbounded.choices[0]!.finish_reason).toMatch(/^(stop|length)$/);
    expect(unbounded.usage!.completion_tokens).toBeLessThanOrEqual(DEFAULTS.maxTokens);
  });

  it("gives one request more than context/parallel tokens while others run", async () => {
    const share = model.info.contextSize / model.info.parallel;
    const others = [1, 2].map((i) =>
      h.client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: `Count to ${i}.` }], max_tokens: 300, temperature: 0 }),
    );
    const long = await h.client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Write a very long story." }],
      max_tokens: share + 200,
      temperature: 0,
      // Random weights may wander in the analysis channel forever: skip it, so every token is answer text.
      ...({ reasoning: { max_tokens: 0 } } as object),
    });
    for (const other of await Promise.all(others)) expect(other.choices[0]!.finish_reason).toMatch(/^(stop|length)$/);
    expect(long.choices[0]!.finish_reason).toBe("length");
    expect(long.usage!.prompt_tokens + long.usage!.completion_tokens).toBeGreaterThan(share);
  });

  it("answers an explicit max_tokens that cannot fit with a 400 naming both numbers", async () => {
    const error = (await h.client.chat.completions
      .create({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: model.info.contextSize })
      .catch((e: unknown) => e)) as { status: number; code: string; param: string; message: string };
    expect(error).toMatchObject({ status: 400, code: "context_length_exceeded", param: "messages" });
    expect(error.message).toMatch(new RegExp(`maximum context length is ${model.info.contextSize} tokens\\. However, you requested \\d+ tokens \\(\\d+ in the messages, ${model.info.contextSize} in the completion\\)`));
  });
});

describe("a pool too small for every running request", { timeout: LONG_MS }, () => {
  let model: Model;
  let h: Harness;
  beforeAll(async () => {
    model = await loadModel(await tinyModelPath(), { contextSize: 512, parallel: 3 });
    h = await startServer({ tiny: model }, {}, "unused", LONG_MS);
  });
  afterAll(async () => {
    await h?.close();
    await model?.dispose();
  });

  // Exact outputs across preemption are checked on the scripted engine (test/unit/engine-scheduler.test.ts): on
  // real weights a batch's composition changes the float sums, so greedy text drifts even without preemption.
  it("preempts the youngest and finishes every request instead of failing one", async () => {
    const request = (i: number) =>
      h.client.chat.completions.create({
        model: "tiny",
        messages: [{ role: "user", content: `Story number ${i}, please.` }],
        max_tokens: 300,
        temperature: 0,
        ...({ reasoning: { max_tokens: 0 } } as object),
      });
    // Three requests of ~340 tokens each want ~1020 cells of a 512-cell pool.
    const together = await Promise.all([1, 2, 3].map(request));
    expect(model.stats().preemptionsTotal).toBeGreaterThan(0);
    for (const completion of together) {
      expect(completion.choices[0]!.finish_reason).toBe("length");
      expect(completion.usage!.completion_tokens).toBe(300);
    }
    expect(model.stats()).toMatchObject({ activeRequests: 0, queuedRequests: 0 });
  });
});
