// Every error code thrown anywhere (TypeScript or the native addon) must be documented in src/errors.ts.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, GptOssError, hasCode } from "../../src/errors.js";

function sourceFiles(dir: string, extensions: string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path, extensions);
    return extensions.some((ext) => name.endsWith(ext)) ? [path] : [];
  });
}

describe("error code registry", () => {
  it("documents every ERR_ code used in src/ and addon/", () => {
    const used = new Map<string, string>();
    for (const file of [...sourceFiles("src", [".ts"]), ...sourceFiles("addon", [".cpp", ".h"])]) {
      if (file.endsWith(join("src", "errors.ts"))) continue;
      for (const match of readFileSync(file, "utf8").matchAll(/"(ERR_[A-Z0-9_]+)"/g)) used.set(match[1]!, file);
    }
    expect(used.size).toBeGreaterThan(10);
    const undocumented = [...used].filter(([code]) => !(code in ERROR_CODES)).map(([code, file]) => `${code} (${file})`);
    expect(undocumented).toEqual([]);
  });

  it("GptOssError is a real Error carrying its code", () => {
    const error = new GptOssError("ERR_BUSY", "all slots are taken");
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("ERR_BUSY");
    expect(hasCode(error, "ERR_BUSY")).toBe(true);
    expect(hasCode(new Error("x"), "ERR_BUSY")).toBe(false);
  });
});
