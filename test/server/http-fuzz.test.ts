// HTTP fuzz, bounded: generated bad requests (test/helpers/http-fuzz.ts) against a real server over a socket, with
// the real library (over a scripted context) behind it. Every answer is a 200 or an OpenAI-shaped 4xx — never a 5xx
// for a client's mistake — and the server is still healthy afterwards. Requests over a limit (giant, deep or cyclic
// schemas in response formats and tool parameters, too many messages or tools) get exactly their 400, naming the
// field. `scripts/fuzz-http.ts` runs more cases.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../src/chat/types.js";
import { fuzzCases, sendFuzz } from "../helpers/http-fuzz.js";
import { createScriptedModel, harmonyScript } from "../helpers/scripted-context.js";
import { startServer, type Harness } from "./harness.js";

let model: Model;
let h: Harness;

beforeAll(async () => {
  ({ model } = await createScriptedModel({
    contextSize: 4096,
    sequences: 2,
    script: (t) => harmonyScript(t, () => ["<|channel|>final<|message|>ok<|return|>"]),
  }));
  h = await startServer({ scripted: model });
});
afterAll(async () => {
  await h?.close();
  await model?.dispose();
});

describe("HTTP fuzz", () => {
  it("answers 200 or an OpenAI-shaped 4xx to every generated request, and stays up", { timeout: 240_000 }, async () => {
    const { counts, failures } = await sendFuzz(h.baseUrl, fuzzCases(20261202, 160));
    console.log(`HTTP fuzz, answers by status: ${[...counts].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(", ")}`);
    expect(failures).toEqual([]);
    expect(counts.get(200) ?? 0).toBeGreaterThan(0); // the mutations are not all refused: some odd values are fine
    const health = await fetch(`${h.baseUrl}/v1/health`);
    expect(health.status).toBe(200);
    expect(model.stats()).toMatchObject({ activeRequests: 0, queuedRequests: 0 });
  });
});
