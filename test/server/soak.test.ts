// The soak test, bounded (scripts/soak.ts runs it for minutes): `gpt-oss serve` on the tiny model, 8 streaming
// clients for 6 s, some hanging up at random points, some reading slowly, some requiring a tool call. Every
// finished stream is well formed, and afterwards the server has no active request and only idle prefixes in its KV pool.
import { describe, expect, it } from "vitest";
import { formatSoakTable, runSoak, soakFailures } from "../../scripts/soak/run.js";
import { tinyModelPath } from "../helpers/fixture.js";

describe("soak", () => {
  it("streams stay well formed under disconnects and slow readers, and nothing leaks", { timeout: 60_000 }, async () => {
    const report = await runSoak({ model: await tinyModelPath(), streams: 8, durationMs: 6_000, disconnect: 0.3, sampleEveryMs: 2_000, seed: 14 });
    console.log(formatSoakTable(report));
    expect(soakFailures(report)).toEqual([]);
    expect(report.disconnected).toBeGreaterThan(0);
    expect(report.requests).toBeGreaterThan(report.disconnected);
  });
});
