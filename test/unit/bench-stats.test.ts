import { describe, expect, it } from "vitest";
import { pairedRatio, studentT95 } from "../../scripts/bench/stats.js";

describe("benchmark statistics: paired ratio over rounds", () => {
  it("is the plain ratio for one round, with no interval", () => {
    expect(pairedRatio([30], [40])).toEqual({ ratio: 0.75, rounds: 1 });
  });

  it("cancels drift that moves both engines together", () => {
    // The machine slows down round by round; the engine is always 2% slower than the reference.
    const reference = [40, 35, 30, 25];
    const values = reference.map((x) => x * 0.98);
    const result = pairedRatio(values, reference);
    expect(result.ratio).toBeCloseTo(0.98, 12);
    expect(result.low).toBeCloseTo(0.98, 12);
    expect(result.high).toBeCloseTo(0.98, 12);
  });

  it("is the geometric mean of the round ratios with a Student-t interval on their logs", () => {
    const result = pairedRatio([1.1, 0.9, 1.0], [1, 1, 1]);
    const logs = [Math.log(1.1), Math.log(0.9), 0];
    const mean = logs.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(logs.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
    expect(result.ratio).toBeCloseTo(Math.exp(mean), 12);
    expect(result.low).toBeCloseTo(Math.exp(mean - 4.303 * sd / Math.sqrt(3)), 12);
    expect(result.high).toBeCloseTo(Math.exp(mean + 4.303 * sd / Math.sqrt(3)), 12);
    expect(result.low!).toBeLessThan(result.ratio);
    expect(result.high!).toBeGreaterThan(result.ratio);
  });

  it("narrows as rounds are added", () => {
    const noisy = (n: number) => Array.from({ length: n }, (_, k) => (k % 2 === 0 ? 1.05 : 0.95));
    const few = pairedRatio(noisy(4), Array(4).fill(1));
    const many = pairedRatio(noisy(20), Array(20).fill(1));
    expect(many.high! - many.low!).toBeLessThan(few.high! - few.low!);
  });

  it("rejects mismatched, empty or non-positive inputs, and uses the normal quantile past 30 degrees", () => {
    expect(() => pairedRatio([1, 2], [1])).toThrow(RangeError);
    expect(() => pairedRatio([], [])).toThrow(RangeError);
    expect(() => pairedRatio([0], [1])).toThrow(RangeError);
    expect(() => studentT95(0)).toThrow(RangeError);
    expect(studentT95(1)).toBe(12.706);
    expect(studentT95(30)).toBe(2.042);
    expect(studentT95(31)).toBe(1.96);
  });
});
