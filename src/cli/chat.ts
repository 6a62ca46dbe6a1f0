/**
 * `gpt-oss chat`: an interactive terminal chat. Answers stream as they are generated, the chain of thought
 * dimmed; the model may call the demo tools (/tools). Ctrl-C (or SIGINT) stops the current answer; at the prompt,
 * a second Ctrl-C exits. Lines are read in order, so `printf 'hi\n/exit\n' | gpt-oss chat` works too.
 */
import * as readline from "node:readline";
import { parseArgs } from "node:util";
import { DEFAULTS, LIMITS } from "../chat/defaults.js";
import type { ReasoningEffort } from "../chat/types.js";
import { REASONING_EFFORTS } from "../harmony/reasoning.js";
import { enumOption, gpuOption, HELP_OPTION, intOption, withUsageErrors } from "./args.js";
import { answerMessage, type ChatOutput, type ChatState, type ChatStyle, chatStyle } from "./chat-turn.js";
import { DEMO_TOOLS } from "./demo-tools.js";
import { importLoadModel } from "./library.js";
import { describePlacement, PLACEMENT_HELP, PLACEMENT_OPTIONS, placementLoadOptions } from "./placement-flags.js";
import { DEMO_MODEL, DEMO_NOTICE, modelFile, resolveModelSpecs } from "./model-source.js";

const EFFORT_CHOICES = REASONING_EFFORTS.join("|");
const COMMANDS = `/effort ${EFFORT_CHOICES}, /tools, /reset, /help, /exit`;

export const CHAT_HELP = `Usage: gpt-oss chat [--model PATH] [options]

Interactive chat in the terminal. Commands: ${COMMANDS}.
Ctrl-C stops the current answer (it is then left out of the conversation); Ctrl-C twice at the prompt exits.

Options:
  --model PATH                 GGUF file (default: $GPT_OSS_MODEL, the config file, else the demo model)
  --reasoning-effort LEVEL     low, medium or high (default ${DEFAULTS.reasoningEffort})
  --system TEXT                instructions for the whole chat
  --max-tokens N               most tokens per answer, reasoning included (default ${DEFAULTS.maxTokens})
  --ctx-size N                 context size (default ${DEFAULTS.contextSize})
  --threads N                  CPU threads
  --gpu auto|cpu|cuda|vulkan|metal
${PLACEMENT_HELP}
  -h, --help                   this help
`;

const PROMPT = "> ";

/** Runs a `/command` line; returns "exit" when the chat should end. */
function runCommand(line: string, state: ChatState, out: ChatOutput, style: ChatStyle): "exit" | undefined {
  const [command, argument, ...extra] = line.split(/\s+/);
  if (command === "/exit" || command === "/quit") return "exit";
  if (command === "/reset") {
    state.messages.length = 0;
    out.write(`${style.dim("(conversation cleared)")}\n`);
  } else if (command === "/tools") {
    out.write("Tools the model may call:\n");
    for (const tool of DEMO_TOOLS) out.write(`  ${style.bold(tool.name)} — ${tool.description}\n`);
  } else if (command === "/effort") {
    const level = argument?.toLowerCase() ?? "";
    if (argument === undefined) {
      out.write(`Reasoning effort is ${state.effort}. Change it with /effort ${EFFORT_CHOICES}.\n`);
    } else if (extra.length === 0 && (REASONING_EFFORTS as readonly string[]).includes(level)) {
      state.effort = level as ReasoningEffort;
      out.write(`${style.dim(`(reasoning effort: ${state.effort})`)}\n`);
    } else {
      out.write(`Unknown reasoning effort "${line.slice(command.length).trim()}": use /effort ${EFFORT_CHOICES}.\n`);
    }
  } else if (command === "/help") {
    out.write(`Commands: ${COMMANDS}. Ctrl-C stops an answer; Ctrl-C twice at the prompt exits.\n`);
  } else {
    out.write(`Unknown command ${command}. Commands: ${COMMANDS}.\n`);
  }
  return undefined;
}

/** `gpt-oss chat [options]`: runs the chat until /exit, Ctrl-D or Ctrl-C twice; resolves with the exit code (0). */
export async function runChat(argv: string[]): Promise<number> {
  const { values } = withUsageErrors("chat", () =>
    parseArgs({
      args: argv,
      strict: true,
      options: {
        model: { type: "string" },
        "reasoning-effort": { type: "string" },
        system: { type: "string" },
        "max-tokens": { type: "string" },
        "ctx-size": { type: "string" },
        threads: { type: "string" },
        gpu: { type: "string" },
        ...PLACEMENT_OPTIONS,
        ...HELP_OPTION,
      },
    }),
  );
  if (values.help) {
    process.stdout.write(CHAT_HELP);
    return 0;
  }
  const state: ChatState = { effort: enumOption(values["reasoning-effort"], "--reasoning-effort", REASONING_EFFORTS) ?? DEFAULTS.reasoningEffort, messages: [] };
  const maxTokens = intOption(values["max-tokens"], "--max-tokens", LIMITS.maxTokens.min, LIMITS.maxTokens.max);
  const contextSize = intOption(values["ctx-size"], "--ctx-size", LIMITS.contextSize.min, LIMITS.contextSize.max);
  const threads = intOption(values.threads, "--threads", LIMITS.threads.min, LIMITS.threads.max);
  const gpu = gpuOption(values.gpu);
  const [spec] = resolveModelSpecs(values.model ? [values.model] : undefined, undefined).specs;
  if (spec.path === DEMO_MODEL) process.stderr.write(`${DEMO_NOTICE}\n`);
  const loadModel = await importLoadModel();
  process.stderr.write(`Loading ${spec.id}…\n`);
  const model = await loadModel(await modelFile(spec), {
    parallel: 1,
    ...(contextSize && { contextSize }),
    ...(threads && { threads }),
    ...(gpu !== undefined && { gpu }),
    ...placementLoadOptions(values),
  });
  const out = process.stdout;
  const style = chatStyle(out);
  out.write(`${style.bold(spec.id)} (${describePlacement(model.info)}) · reasoning ${state.effort} · ${COMMANDS} · Ctrl-C stops an answer\n`);

  const rl = readline.createInterface({ input: process.stdin, output: out, terminal: process.stdin.isTTY === true, prompt: PROMPT });
  const lines = rl[Symbol.asyncIterator](); // buffers lines that arrive while an answer streams
  let generation: AbortController | undefined;
  let exitArmed = false;
  // A terminal's Ctrl-C reaches readline as a key; a signal (kill -INT, piped stdin) reaches the process.
  const onInterrupt = () => {
    if (generation) return generation.abort();
    if (rl.line) {
      rl.write(null, { ctrl: true, name: "e" }); // drop the half-typed line, as a shell does
      return rl.write(null, { ctrl: true, name: "u" });
    }
    if (exitArmed) return rl.close();
    exitArmed = true;
    out.write(`\n${style.dim("(Ctrl-C again to exit)")}\n`);
    rl.prompt();
  };
  rl.on("SIGINT", onInterrupt);
  process.on("SIGINT", onInterrupt);

  const options = { ...(maxTokens && { maxTokens }), ...(values.system && { instructions: values.system }) };
  try {
    for (;;) {
      rl.prompt();
      const next = await lines.next();
      if (next.done) {
        out.write("\n"); // Ctrl-D, Ctrl-C twice or end of input: end the prompt's line
        break;
      }
      exitArmed = false;
      const line = next.value.trim();
      if (line === "") continue;
      if (line.startsWith("/")) {
        if (runCommand(line, state, out, style) === "exit") break;
        continue;
      }
      generation = new AbortController();
      try {
        await answerMessage(model, state, line, options, generation.signal, out, style);
      } finally {
        generation = undefined;
      }
    }
  } finally {
    process.off("SIGINT", onInterrupt);
    rl.close();
    await model.dispose();
  }
  return 0;
}
