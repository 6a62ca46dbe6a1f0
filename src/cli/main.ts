#!/usr/bin/env node
/**
 * `gpt-oss` command line: serve | chat | pull | info | bench | rpc-server.
 * Exit codes (exit-codes.ts, README "Exit codes"): 0 success, 1 failure, 2 usage error (unknown command or flag, bad
 * value), 128 + N when signal N interrupted the work. A failure prints one line, `gpt-oss COMMAND: message (CODE)`.
 */
import { UsageError } from "./args.js";
import { EXIT_FAILURE, EXIT_GRACE_MS, EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
import { PACKAGE_VERSION } from "../version.js";

export const MAIN_HELP = `Usage: gpt-oss <command> [options]

Commands:
  serve    OpenAI-compatible HTTP server (default model: $GPT_OSS_MODEL, the config file, else a demo model)
  chat     interactive chat in the terminal
  pull     download gpt-oss-20b or -120b (GGUF, resumable, checksum-verified)
  info     versions, backends, devices and model metadata
  bench    run the benchmark (source checkout)
  rpc-server  lend this machine's devices to a model on another machine (--rpc)

Run 'gpt-oss <command> --help' for a command's options. 'gpt-oss --version' prints the version.
`;

const COMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<number>>> = {
  serve: async () => (await import("./serve.js")).runServe,
  chat: async () => (await import("./chat.js")).runChat,
  pull: async () => (await import("./pull.js")).runPull,
  info: async () => (await import("./info.js")).runInfo,
  bench: async () => (await import("./bench.js")).runBench,
  "rpc-server": async () => (await import("./rpc-server.js")).runRpcServer,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(MAIN_HELP);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (command === "--version" || command === "-v") {
    process.stdout.write(`${PACKAGE_VERSION}\n`);
    return EXIT_OK;
  }
  const load = COMMANDS[command];
  try {
    if (!load) throw new UsageError(`Unknown command "${command}". Commands: ${Object.keys(COMMANDS).join(", ")}.`);
    return await (await load())(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`gpt-oss: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const code = (error as { code?: string }).code;
    process.stderr.write(`gpt-oss ${command}: ${(error as Error).message}${code ? ` (${code})` : ""}\n`);
    return EXIT_FAILURE;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // The command is done: exit even if something still holds the event loop (e.g. a load stuck in file I/O).
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
});
