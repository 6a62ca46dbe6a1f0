import { describe, expect, it } from "vitest";
import { loadModel } from "../../src/index.js";

describe("loadModel argument checks (before any file or native work)", () => {
  it("names the option, the expected range and what it got", async () => {
    await expect(loadModel("/nowhere.gguf", { parallel: 0 })).rejects.toThrow(
      "Expected integer between 1 and 64 for parallel but received 0 of type number",
    );
    await expect(loadModel("/nowhere.gguf", { threads: 1.5 })).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
    await expect(loadModel("/nowhere.gguf", { gpu: "rocm" as never })).rejects.toThrow(
      'Expected one of "auto", false, "cuda", "vulkan", "metal" for gpu but received "rocm" of type string',
    );
    await expect(loadModel("", {})).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
    await expect(loadModel("/nowhere.gguf", { contextsize: 10 } as never)).rejects.toThrow(/Unknown option "contextsize"/);
  });

  it("reports a missing file with ERR_MODEL_NOT_FOUND", async () => {
    await expect(loadModel("/definitely/not/here.gguf")).rejects.toMatchObject({ code: "ERR_MODEL_NOT_FOUND" });
  });

  it("an already aborted signal stops the load", async () => {
    await expect(loadModel("/nowhere.gguf", { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: "ERR_MODEL_LOAD_ABORTED" });
  });
});
