// Prompt lookup drafting (src/engine/draft.ts): what it guesses from a sequence's own history.
import { describe, expect, it } from "vitest";
import { PromptLookupDrafter } from "../../src/engine/draft.js";

describe("PromptLookupDrafter", () => {
  const drafter = new PromptLookupDrafter({ maxNgram: 3, minNgram: 2 });

  it("continues the latest earlier occurrence of the last tokens", () => {
    //               0  1  2  3  4  5  6  7  8  9
    const history = [1, 2, 3, 4, 5, 9, 2, 3, 7, 8, 1, 2, 3];
    // [1,2,3] occurred at 0 (followed by 4,5,...); [2,3] also at 6 (followed by 7) but the longer match wins.
    expect(drafter.draft(history, 4)).toEqual([4, 5, 9, 2]);
  });

  it("prefers the most recent occurrence of an n-gram of the same length", () => {
    expect(drafter.draft([5, 6, 1, 5, 6, 2, 5, 6], 2)).toEqual([2, 5]);
  });

  it("extends a loop past the present: a repeating cycle keeps repeating", () => {
    expect(drafter.draft([7, 8, 9, 7, 8, 9, 7, 8], 7)).toEqual([9, 7, 8, 9, 7, 8, 9]);
  });

  it("guesses nothing without a match of the shortest n-gram, or without room", () => {
    expect(drafter.draft([1, 2, 3, 4, 5, 6], 4)).toEqual([]);
    expect(drafter.draft([1, 2, 1, 2], 0)).toEqual([]);
    expect(drafter.draft([], 4)).toEqual([]);
    expect(new PromptLookupDrafter({ minNgram: 1, maxNgram: 1 }).draft([4, 1, 2, 3, 4], 2)).toEqual([1, 2]);
  });

  it("refuses impossible n-gram bounds", () => {
    expect(() => new PromptLookupDrafter({ minNgram: 3, maxNgram: 2 })).toThrow(RangeError);
    expect(() => new PromptLookupDrafter({ minNgram: 0 })).toThrow(RangeError);
  });
});
