// A native decode failure while serving (scripted context with `failDecodeAt`, the real library and a real server
// over a socket): the request answers 500 `generation_failed` saying what failed (or, once streaming, an error event
// and the end of the stream), the server stays healthy, and the next request succeeds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../src/chat/types.js";
import { createScriptedModel, harmonyScript } from "../helpers/scripted-context.js";
import { startServer, type Harness } from "./harness.js";

const REPLY = "<|channel|>analysis<|message|>Thinking about it step by step, slowly.<|end|><|start|>assistant<|channel|>final<|message|>ok<|return|>";
const models: Model[] = [];
let h: Harness;

/** A scripted model whose decode call number `failDecodeAt` (0-based) fails, once. */
async function failingModel(failDecodeAt: number): Promise<Model> {
  const { model } = await createScriptedModel({ contextSize: 4096, sequences: 2, failDecodeAt, script: (t) => harmonyScript(t, () => [REPLY]) });
  models.push(model);
  return model;
}

beforeAll(async () => {
  // "prefill" fails on its first decode (the prompt); "mid" after some tokens went out.
  h = await startServer({ prefill: await failingModel(0), mid: await failingModel(6) });
});
afterAll(async () => {
  await h?.close();
  for (const model of models) await model.dispose();
});

const post = (model: string, stream = false) =>
  fetch(`${h.baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 64, stream }),
  });

describe("a failed native decode", () => {
  it("answers 500 generation_failed naming the failure, and the next request succeeds", async () => {
    const failed = await post("prefill");
    expect(failed.status).toBe(500);
    const body = (await failed.json()) as { error: { message: string; type: string; param: null; code: string } };
    expect(body.error).toMatchObject({ type: "server_error", param: null, code: "generation_failed" });
    expect(body.error.message).toContain("scripted decode failure");
    expect(body.error.message).toContain(`Request id: ${failed.headers.get("x-request-id")}`);
    const next = await post("prefill");
    expect(next.status).toBe(200);
    expect(((await next.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe("ok");
  });

  it("ends a stream that already started with an error event, and the server keeps serving", async () => {
    const failed = await post("mid", true);
    expect(failed.status).toBe(200);
    const text = await failed.text();
    const events = text.split("\n\n").filter((e) => e.startsWith("data: ")).map((e) => e.slice("data: ".length));
    expect(events.length).toBeGreaterThan(1); // some deltas went out before the failure
    const error = JSON.parse(events.find((e) => e.includes('"error"'))!) as { error: { code: string; message: string } };
    expect(error.error).toMatchObject({ code: "generation_failed", message: expect.stringContaining("scripted decode failure") });
    const next = await post("mid", true);
    expect(await next.text()).toMatch(/data: \[DONE\]\n\n$/);
    const health = (await (await fetch(`${h.baseUrl}/v1/health`)).json()) as { status: string; active_requests: number };
    expect(health).toMatchObject({ status: "healthy", active_requests: 0 });
    for (const model of models) expect(model.stats()).toMatchObject({ activeRequests: 0, queuedRequests: 0 });
  });
});
