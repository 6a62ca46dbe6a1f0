// Sockets that matter: a client leaving cancels its generation and frees the slot; shutdown drains, then cancels.
import { APIUserAbortError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { FakeModel } from "../helpers/fake-model.js";
import { createScriptedModel, harmonyScript } from "../helpers/scripted-context.js";
import { startServer, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const until = async (condition: () => boolean, what: string, timeoutMs = 3000) => {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const hi = [{ role: "user" as const, content: "hi" }];

describe("client disconnect", () => {
  it("cancels a stream and frees the slot for the next request", async () => {
    const model = new FakeModel();
    h = await startServer({ fake: model });
    model.script({ reasoning: "thinking forever", content: "never", hang: true });
    const controller = new AbortController();
    const stream = await h.client.chat.completions.create({ model: "fake", messages: hi, stream: true }, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0].delta.role).toBe("assistant");
    controller.abort();
    await until(() => model.calls[0].aborted, "the model to see the abort");
    await until(() => model.activeCount === 0, "the generation to end");
    const next = await h.client.chat.completions.create({ model: "fake", messages: hi });
    expect(next.choices[0].message.content).toBe("Hello from the fake model.");
  });

  it("cancels a non-streaming request and one waiting in the engine's queue", async () => {
    // The real engine over a scripted context: one sequence slot, replies that never end.
    const { model } = await createScriptedModel({
      sequences: 1,
      maxQueue: 4,
      decodeDelayMs: 2,
      script: (t) => harmonyScript(t, () => [`<|channel|>final<|message|>${"la ".repeat(2000)}`]),
    });
    h = await startServer({ scripted: model });
    const running = new AbortController();
    const queued = new AbortController();
    const first = h.client.chat.completions.create({ model: "scripted", messages: hi, max_tokens: 3000 }, { signal: running.signal }).catch((e) => e);
    await until(() => model.stats().activeRequests === 1, "the first request to run");
    const second = h.client.chat.completions.create({ model: "scripted", messages: hi, max_tokens: 3000 }, { signal: queued.signal }).catch((e) => e);
    await until(() => model.stats().queuedRequests === 1, "the second request to queue");
    queued.abort();
    await until(() => model.stats().queuedRequests === 0, "the queued request to leave the queue");
    running.abort();
    await until(() => model.stats().activeRequests === 0, "the running request to be cancelled");
    expect(await first).toBeInstanceOf(APIUserAbortError);
    expect(await second).toBeInstanceOf(APIUserAbortError);
    const health = (await (await fetch(`${h.baseUrl}/v1/health`)).json()) as { active_requests: number };
    expect(health.active_requests).toBe(0);
    // The queued request never reached the model: only the first prompt was ever counted.
    const promptTokensSoFar = model.stats().promptTokensTotal;
    const after = await h.client.chat.completions.create({ model: "scripted", messages: hi, max_tokens: 2 });
    expect(after.choices[0].finish_reason).toBe("length");
    expect(promptTokensSoFar).toBe(after.usage!.prompt_tokens);
    await model.dispose();
  });
});

describe("shutdown", () => {
  it("lets in-flight work finish, refuses new connections, then resolves", async () => {
    const model = new FakeModel();
    h = await startServer({ fake: model });
    model.script({ content: "finished in time", delayMs: 60 });
    const inFlight = h.client.chat.completions.create({ model: "fake", messages: hi });
    await until(() => model.calls.length === 1, "the request to start");
    const shutdown = h.server.shutdown({ timeoutMs: 5000 });
    expect((await inFlight).choices[0].message.content).toBe("finished in time");
    await shutdown;
    await expect(fetch(`${h.baseUrl}/v1/health`)).rejects.toThrow();
    expect(model.calls[0].aborted).toBe(false);
  });

  it("cancels work still running after the timeout", async () => {
    const model = new FakeModel();
    h = await startServer({ fake: model });
    model.script({ hang: true, reasoning: "a", content: "b" });
    const stream = await h.client.chat.completions.create({ model: "fake", messages: hi, stream: true });
    const chunks: unknown[] = [];
    const reading = (async () => {
      for await (const chunk of stream) chunks.push(chunk);
    })().catch((e) => e);
    await until(() => model.calls.length === 1, "the stream to start");
    const started = Date.now();
    await h.server.shutdown({ timeoutMs: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(model.calls[0].aborted).toBe(true);
    await reading;
    expect(chunks.length).toBeGreaterThanOrEqual(1);
  });

  it("answers requests it cuts short with 503 shutting_down, in-band for a stream", async () => {
    const model = new FakeModel();
    h = await startServer({ fake: model });
    model.script({ hang: true, reasoning: "a", content: "b" });
    const whole = h.client.chat.completions.create({ model: "fake", messages: hi }).catch((e: unknown) => e);
    await until(() => model.calls.length === 1, "the request to start");
    model.script({ hang: true, reasoning: "a", content: "b" });
    const stream = await h.client.chat.completions.create({ model: "fake", messages: hi, stream: true });
    const reading = (async () => {
      for await (const _chunk of stream) { /* until the error */ }
    })().catch((e: unknown) => e);
    await until(() => model.calls.length === 2, "the stream to start");
    await h.server.shutdown({ timeoutMs: 100 });
    expect(await whole).toMatchObject({ status: 503, code: "shutting_down", type: "server_error" });
    expect(await reading).toMatchObject({ code: "shutting_down", type: "server_error" });
  });
});
