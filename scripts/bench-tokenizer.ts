/**
 * Encode throughput of this package's tokenizer against gpt-tokenizer (o200k_base, pure JS) and tiktoken (Rust
 * compiled to wasm) on the generated test corpus, in one process. Prints one table.
 *
 *   npx tsx scripts/bench-tokenizer.ts [--passes N] [--target-bytes N]
 *
 * "cold" is the first pass over the corpus with empty caches (fresh tokenizer; gpt-tokenizer's merge cache
 * cleared; tiktoken has none). "warm" is the best of N further passes, when every per-piece cache is filled.
 */
import { parseArgs } from "node:util";
import gptTokenizer from "gpt-tokenizer/encoding/o200k_base";
import { get_encoding } from "tiktoken";
import { generateCorpus } from "../test/helpers/corpus.js";
import { Tokenizer } from "../src/tokenizer/index.js";
import { buildHarmonyVocab } from "../src/tokenizer/vocab.js";

interface Contender {
  name: string;
  /** Empties caches so the next pass is cold. */
  reset(): void;
  /** Encodes one document; returns its token count. */
  encode(text: string): number;
}

interface Row {
  name: string;
  pass: "cold" | "warm";
  seconds: number;
  tokens: number;
}

const { values } = parseArgs({
  options: { passes: { type: "string", default: "5" }, "target-bytes": { type: "string", default: "5500000" } },
});
const passes = Number(values.passes);
const documents = generateCorpus({ targetBytes: Number(values["target-bytes"]) });
const totalChars = documents.reduce((sum, doc) => sum + doc.length, 0);
const totalBytes = documents.reduce((sum, doc) => sum + Buffer.byteLength(doc), 0);

const vocab = buildHarmonyVocab();
let ours = Tokenizer.fromVocab(vocab);
const tiktoken = get_encoding("o200k_base");
const contenders: Contender[] = [
  { name: "gpt-oss-node", reset: () => (ours = Tokenizer.fromVocab(vocab)), encode: (text) => ours.encode(text).length },
  { name: "gpt-tokenizer", reset: () => gptTokenizer.clearMergeCache(), encode: (text) => gptTokenizer.encode(text).length },
  { name: "tiktoken (wasm)", reset: () => {}, encode: (text) => tiktoken.encode(text).length },
];

function timePass(contender: Contender): { seconds: number; tokens: number } {
  let tokens = 0;
  const start = process.hrtime.bigint();
  for (const doc of documents) tokens += contender.encode(doc);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, tokens };
}

// Cold passes first, then warm passes round-robin so that load from other processes hits every contender alike.
const rows: Row[] = [];
for (const contender of contenders) {
  contender.reset();
  rows.push({ name: contender.name, pass: "cold", ...timePass(contender) });
}
const warm = contenders.map((contender) => ({ name: contender.name, pass: "warm" as const, seconds: Infinity, tokens: 0 }));
for (let i = 0; i < passes; i++) {
  contenders.forEach((contender, k) => {
    const pass = timePass(contender);
    if (pass.seconds < warm[k]!.seconds) Object.assign(warm[k]!, pass);
  });
}
rows.push(...warm);
tiktoken.free();

const secondsOf = (name: string, pass: Row["pass"]): number =>
  rows.find((row) => row.name === name && row.pass === pass)!.seconds;
const fmt = (n: number, digits = 2): string => n.toLocaleString("en-US", { maximumFractionDigits: digits });
const header = ["tokenizer", "pass", "chars/s", "MB/s", "tokens/s", "× gpt-tokenizer", "× tiktoken"];
const table = rows.map((row) => [
  row.name,
  row.pass,
  fmt(totalChars / row.seconds, 0),
  fmt(totalBytes / row.seconds / 1e6),
  fmt(row.tokens / row.seconds, 0),
  fmt(secondsOf("gpt-tokenizer", row.pass) / row.seconds),
  fmt(secondsOf("tiktoken (wasm)", row.pass) / row.seconds),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(" | ")} |`;

console.log(
  `corpus: ${documents.length} documents, ${fmt(totalChars, 0)} chars, ${fmt(totalBytes / 1e6)} MB UTF-8, ` +
    `${fmt(rows[0]!.tokens, 0)} tokens; warm = best of ${passes}; node ${process.version}`,
);
console.log(line(header));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const cells of table) console.log(line(cells));
const reference = rows.find((row) => row.name === "tiktoken (wasm)")!.tokens;
for (const row of rows.filter((r) => r.pass === "cold" && r.tokens !== reference)) {
  console.log(`note: ${row.name} produced ${fmt(row.tokens, 0)} tokens, tiktoken ${fmt(reference, 0)} (not identical ids)`);
}
