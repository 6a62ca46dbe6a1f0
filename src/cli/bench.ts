/** `gpt-oss bench`: runs scripts/bench.ts (a source checkout's benchmark) with the remaining arguments. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: two folders up from src/cli and from dist/cli. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export async function runBench(argv: string[]): Promise<number> {
  const script = join(ROOT, "scripts", "bench.ts");
  if (!existsSync(script)) {
    process.stderr.write(`The benchmark script (${script}) ships with the source repository only; clone it and run 'npm run bench'.\n`);
    return 1;
  }
  const child = spawn(process.execPath, ["--import", "tsx", script, ...argv], { stdio: "inherit", cwd: ROOT });
  return new Promise((resolve) => {
    child.on("error", (error) => {
      process.stderr.write(`Could not start the benchmark: ${error.message}\n`);
      resolve(1);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
