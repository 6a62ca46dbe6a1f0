// The house rules, checked on the source: each layer imports only layers below it, and no two files import each
// other, directly or around a loop. Layers, bottom up (a folder may import its own files and anything lower):
//   0  types.ts, errors.ts, version.ts, architecture.ts   the shared vocabulary
//   1  gguf/, tokenizer/, native/, grammar/, fixture/      file format, tokenizer, addon, schema → GBNF
//   2  harmony/ (tokenizer), engine/ (native, grammar)     the format, and the token-only scheduler
//   3  chat/                                              the public library (joins harmony to the engine)
//   4  server/                                            a client of the public library
//   5  cli/, index.ts                                     entry points
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src");
const LAYERS: Record<string, number> = {
  "types.ts": 0, "errors.ts": 0, "version.ts": 0, "architecture.ts": 0,
  gguf: 1, tokenizer: 1, native: 1, grammar: 1, fixture: 1,
  harmony: 2, engine: 2,
  chat: 3, server: 4, cli: 5, "index.ts": 5,
};
/** Same-layer imports that are allowed (a lower neighbour, not a peer). */
const ALLOWED_SIDEWAYS = new Set(["fixture→gguf", "fixture→tokenizer", "tokenizer→gguf"]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith(".ts") ? [path] : [];
  });
}

const room = (file: string) => relative(SRC, file).split(/[\\/]/)[0]!;
const graph = new Map<string, string[]>();
for (const file of files(SRC)) {
  const source = readFileSync(file, "utf8");
  const targets = [...source.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)\.js"/g)].map(([, spec]) => normalize(join(dirname(file), `${spec}.ts`)));
  graph.set(file, targets);
}

describe("source layering", () => {
  it("has a layer for every folder", () => {
    for (const file of graph.keys()) expect(LAYERS[room(file)], relative(SRC, file)).toBeDefined();
  });

  it("never imports from a higher layer, nor sideways into a peer", () => {
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        const [from, to] = [room(file), room(target)];
        if (from === to) continue;
        const [a, b] = [LAYERS[from]!, LAYERS[to]!];
        if (b > a || (b === a && !ALLOWED_SIDEWAYS.has(`${from}→${to}`))) violations.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("keeps the engine token-only: it imports native/, errors.ts and types.ts, nothing about harmony or grammars", () => {
    const outside = [...graph].flatMap(([file, targets]) =>
      room(file) === "engine" ? targets.filter((t) => !["engine", "native", "errors.ts", "types.ts"].includes(room(t))).map((t) => relative(SRC, t)) : [],
    );
    expect(outside).toEqual([]);
  });

  it("has no import cycle between files", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(" → "));
        return;
      }
      state.set(file, "open");
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
