#!/usr/bin/env node
// Memory safety of the addon: builds it (and llama.cpp/ggml) with AddressSanitizer into build-asan/, runs the model
// tests on that build (GPT_OSS_NODE_ADDON, libasan preloaded into every test process), then reads the sanitizer
// reports: memory errors anywhere, and leaks whose stack passes through the addon or llama.cpp/ggml. Node and V8
// are not instrumented; leaks that never touch our code are counted apart. Prints a table; exits 1 on any error
// or attributable leak. `node scripts/asan.mjs [vitest files...]` (default test/model).
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build-asan");
const build = spawnSync(process.execPath, [join(root, "scripts", "build-native.mjs"), "--out", out], {
  stdio: "inherit",
  env: { ...process.env, GPT_OSS_CMAKE_ARGS: "GPT_OSS_SANITIZE_ADDRESS=ON LLAMA_SANITIZE_ADDRESS=ON GGML_SANITIZE_ADDRESS=ON" },
});
if (build.status !== 0) process.exit(build.status ?? 1);

const libasan = spawnSync("gcc", ["-print-file-name=libasan.so"], { encoding: "utf8" }).stdout.trim();
const logs = join(root, "build-asan", "reports");
rmSync(logs, { recursive: true, force: true });
mkdirSync(logs, { recursive: true });
const files = process.argv.slice(2);
const run = spawnSync("npx", ["vitest", "run", ...(files.length ? files : ["test/model"])], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    GPT_OSS_NODE_ADDON: join(out, "Release", "gpt_oss_node.node"),
    LD_PRELOAD: libasan,
    // Node is not built with ASan: its own allocations are only tracked for leaks; one report file per process.
    ASAN_OPTIONS: `detect_leaks=1:log_path=${join(logs, "asan")}:exitcode=0:abort_on_error=0:detect_odr_violation=0:allocator_may_return_null=1`,
    LSAN_OPTIONS: "report_objects=0",
  },
});

const OURS = /gpt_oss_node\.node|libllama\.so|libggml[\w-]*\.so/;
let errors = 0;
let attributable = 0;
let attributableBytes = 0;
let foreign = 0;
const details = [];
for (const file of readdirSync(logs)) {
  const text = readFileSync(join(logs, file), "utf8");
  for (const match of text.matchAll(/ERROR: AddressSanitizer: ([^\n]+)/g)) {
    errors++;
    details.push(`${file}: ${match[1]}`);
  }
  // Each leak record: "Direct leak of N byte(s) in M object(s) allocated from:" then its stack, up to a blank line.
  for (const [, kind, bytes, stack] of text.matchAll(/(Direct|Indirect) leak of (\d+) byte\(s\)[^\n]*\n((?:\s+#\d+[^\n]*\n)+)/g)) {
    if (OURS.test(stack)) {
      attributable++;
      attributableBytes += Number(bytes);
      if (kind === "Direct") details.push(`${file}: leak of ${bytes} bytes\n${stack.split("\n").slice(0, 6).join("\n")}`);
    } else {
      foreign++;
    }
  }
}
console.log(`\n| ASan (model tests, exit ${run.status}) | count |\n|---|---|`);
console.log(`| memory errors | ${errors} |\n| leaks through the addon / llama.cpp / ggml | ${attributable} (${attributableBytes} bytes) |\n| leaks in Node/V8 only | ${foreign} |`);
for (const line of details.slice(0, 20)) console.log(line);
process.exit(run.status === 0 && errors === 0 && attributable === 0 ? 0 : 1);
