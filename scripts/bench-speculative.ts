/**
 * Speculative decoding by prompt lookup (`draftTokens`), measured through the library: the same greedy chats with
 * drafting off and on, interleaved, on a model whose output repeats its context. Prints completion tokens/s, the
 * drafted and accepted tokens, and how many outputs were identical (a draft check computes logits in a batch, which
 * llama.cpp rounds differently from single-token steps: at a near-tie of the weights two outputs part).
 *
 *   npm run bench:speculative -- [--preset 20b|tiny] [--model PATH] [--draft 8] [--tokens 256] [--rounds 3] [--threads 2]
 *
 * Default model: a synthetic GGUF with copying weights (src/fixture/copying.ts), generated once into .fixtures/:
 * gpt-oss-20b geometry cut to 4 layers (`--preset 20b`, ~3 GB, about 30 s to write; decode is bound by memory
 * bandwidth like the real model's, and drafted tokens route to experts of their own) or the tiny test model
 * (`--preset tiny`). Its greedy answer writes a final-channel header and then loops over the same 32 words, so from
 * the loop's second pass on prompt lookup guesses every token: the workload of an agent echoing its context, at its
 * best case. `--model` times any other GGUF (the random-weight fixtures' answers loop only at times).
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { loadModel } from "../src/index.js";
import type { Model } from "../src/chat/types.js";
import { loadedCpuVariant } from "../src/native/cpu-variant.js";
import { ensureBenchModel } from "./bench/fixture.js";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    preset: { type: "string" },
    draft: { type: "string" },
    tokens: { type: "string" },
    rounds: { type: "string" },
    threads: { type: "string" },
  },
});
const preset = values.preset ?? "20b";
if (preset !== "20b" && preset !== "tiny") {
  process.stderr.write("--preset must be 20b or tiny\n");
  process.exit(2);
}
const draftTokens = Number(values.draft ?? 8);
const maxTokens = Number(values.tokens ?? 256);
const rounds = Number(values.rounds ?? 3);
const threads = Number(values.threads ?? 2);
const log = (line: string) => void process.stderr.write(`[bench:speculative] ${line}\n`);

/** Prompts whose answers copy their context: quoting, a list to repeat, code to edit. */
const PROMPTS = [
  "Repeat this line ten times: the quick brown fox jumps over the lazy dog.",
  "Copy the list exactly: alpha, beta, gamma, delta, alpha, beta, gamma, delta, alpha, beta, gamma, delta.",
  "Rename x to count in: let x = 0; for (const item of items) { x += item.size; } return x; let x = 0;",
];

interface Run {
  ms: number;
  completionTokens: number;
  outputs: string[];
}

async function runAll(model: Model): Promise<Run> {
  const started = performance.now();
  let completionTokens = 0;
  const outputs: string[] = [];
  for (const prompt of PROMPTS) {
    const result = await model.chat([{ role: "user", content: prompt }], { temperature: 0, maxTokens, maxReasoningTokens: maxTokens / 2 });
    completionTokens += result.usage.completionTokens;
    outputs.push(`${result.reasoning}\u0000${result.content}`);
  }
  return { ms: performance.now() - started, completionTokens, outputs };
}

async function main(): Promise<void> {
  const path = values.model ?? (await ensureBenchModel(log, "copying", preset as "20b" | "tiny"));
  const load = (draft: number) => loadModel(path, { gpu: false, threads, contextSize: 4096, parallel: 1, draftTokens: draft });
  const plain = await load(0);
  const drafting = await load(draftTokens);
  const totals = { plain: { ms: 0, tokens: 0 }, drafting: { ms: 0, tokens: 0 } };
  let identical = 0;
  let compared = 0;
  try {
    const sample = (await runAll(plain)).outputs[0]!; // warmup of both, as every benchmark here does
    await runAll(drafting);
    const warm = drafting.stats();
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round}/${rounds}`);
      const order = round % 2 === 1 ? [plain, drafting] : [drafting, plain];
      const runs = new Map<Model, Run>();
      for (const model of order) runs.set(model, await runAll(model));
      const [a, b] = [runs.get(plain)!, runs.get(drafting)!];
      identical += a.outputs.filter((output, i) => output === b.outputs[i]).length;
      compared += a.outputs.length;
      totals.plain.ms += a.ms;
      totals.plain.tokens += a.completionTokens;
      totals.drafting.ms += b.ms;
      totals.drafting.tokens += b.completionTokens;
    }
    const stats = drafting.stats();
    const drafted = stats.draftedTokensTotal - warm.draftedTokensTotal;
    const accepted = stats.acceptedDraftTokensTotal - warm.acceptedDraftTokensTotal;
    const rate = (t: { ms: number; tokens: number }) => (t.tokens / t.ms) * 1000;
    const [reasoning, content] = sample.split("\u0000");
    const lines = [
      `model    ${path}`,
      `cpu      ${cpus()[0]?.model ?? "unknown"}, ${cpus().length} logical cores, CPU code ${loadedCpuVariant() ?? "unknown"}; threads ${threads}`,
      `workload ${PROMPTS.length} greedy chats (max ${maxTokens} tokens) × ${rounds} rounds, interleaved`,
      `answer   ${JSON.stringify(`${reasoning ? `[reasoning] ${reasoning} [final] ` : ""}${content}`.slice(0, 100))}…`,
      "",
      "| decoding | completion tok/s | speed-up | drafted | accepted | acceptance | outputs identical to plain |",
      "|---|---:|---:|---:|---:|---:|---:|",
      `| plain | ${rate(totals.plain).toFixed(2)} | 1.000× | – | – | – | – |`,
      `| prompt lookup, ${draftTokens} drafts | ${rate(totals.drafting).toFixed(2)} | ${(rate(totals.drafting) / rate(totals.plain)).toFixed(3)}× | ` +
        `${drafted} | ${accepted} | ${((100 * accepted) / Math.max(1, drafted)).toFixed(1)}% | ${identical} of ${compared} |`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await plain.dispose();
    await drafting.dispose();
  }
}

await main();
