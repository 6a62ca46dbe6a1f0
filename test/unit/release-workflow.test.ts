// The release workflow cannot run here: it is linted (GitHub's workflow schema, via action-validator) and its
// matrix must be exactly the binary packages the loader knows (src/native/platforms.ts owns the list).
import { validateWorkflow } from "@action-validator/core";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BINARY_PACKAGES } from "../../src/native/platforms.js";

const workflow = readFileSync(new URL("../../.github/workflows/release.yml", import.meta.url), "utf8");

describe(".github/workflows/release.yml", () => {
  it("passes the workflow schema, and the linter catches a broken one", () => {
    expect(validateWorkflow(workflow).errors).toEqual([]);
    expect(validateWorkflow(workflow.replace("runs-on: ${{ matrix.runner }}", "runs_on: ${{ matrix.runner }}")).errors.length).toBeGreaterThan(0);
  });

  it("builds one row per binary package, with the GPU flag the package needs", () => {
    const rows = [...workflow.matchAll(/- \{ id: ([\w-]+),[^}]*gpu: "?(\w*)"? \}/g)].map(([, id, gpu]) => [id, gpu || undefined]);
    expect(rows).toEqual(BINARY_PACKAGES.map((p) => [p.id, p.gpu]));
  });
});
