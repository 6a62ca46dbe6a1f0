/**
 * `gpt-oss chat`: an interactive terminal chat. Answers stream as they are generated, the chain of thought
 * dimmed; the model may call the demo tools (/tools). Ctrl-C stops the current answer; at the prompt, a second
 * Ctrl-C exits.
 */
import * as readline from "node:readline/promises";
import type { ChatMessage, ChatResult, Model, ReasoningEffort } from "../chat/types.js";
import { parseArgs } from "node:util";
import { enumOption, HELP_OPTION, intOption, withUsageErrors } from "./args.js";
import { DEMO_TOOLS, runDemoTool } from "./demo-tools.js";
import { importLoadModel } from "./library.js";
import { DEMO_MODEL, DEMO_NOTICE, modelFile, resolveModelSpecs } from "./model-source.js";

export const CHAT_HELP = `Usage: gpt-oss chat [--model PATH] [options]

Interactive chat in the terminal. Commands: /effort low|medium|high, /tools, /reset, /exit.
Ctrl-C stops the current answer; Ctrl-C twice at the prompt exits.

Options:
  --model PATH                 GGUF file (default: $GPT_OSS_MODEL, the config file, else the demo model)
  --reasoning-effort LEVEL     low, medium or high (default medium)
  --system TEXT                instructions for the whole chat
  --max-tokens N               most tokens per answer (default 2048)
  --ctx-size N                 context size (default 8192)
  --threads N                  CPU threads
  --gpu auto|cpu|cuda|vulkan|metal
  -h, --help                   this help
`;

const MAX_TOOL_ROUNDS = 5;

export interface ChatStyle {
  dim: (text: string) => string;
  bold: (text: string) => string;
}

/** ANSI styling when writing to a terminal (and NO_COLOR is unset), plain text otherwise. */
export function chatStyle(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): ChatStyle {
  const color = stream.isTTY === true && !env.NO_COLOR;
  return {
    dim: (text) => (color ? `\x1b[2m${text}\x1b[22m` : text),
    bold: (text) => (color ? `\x1b[1m${text}\x1b[22m` : text),
  };
}

/** Streams one model turn to `out`; returns the result (finishReason "cancelled" when stopped). */
async function streamTurn(model: Model, messages: ChatMessage[], effort: ReasoningEffort, options: { maxTokens?: number; instructions?: string }, signal: AbortSignal, out: NodeJS.WriteStream, style: ChatStyle): Promise<ChatResult | undefined> {
  let section: "none" | "reasoning" | "content" = "none";
  try {
    for await (const event of model.stream(messages, { reasoningEffort: effort, tools: DEMO_TOOLS.map(({ run: _run, ...tool }) => tool), signal, ...options })) {
      if (event.type === "reasoning") {
        if (section !== "reasoning") out.write(style.dim("thinking: "));
        section = "reasoning";
        out.write(style.dim(event.delta));
      } else if (event.type === "content") {
        if (section === "reasoning") out.write("\n");
        section = "content";
        out.write(event.delta);
      } else if (event.type === "tool_call_start") {
        if (section !== "none") out.write("\n");
        section = "none";
        out.write(style.bold(`→ ${event.name}`));
      } else if (event.type === "tool_call_delta") {
        out.write(event.delta);
      } else if (event.type === "done") {
        out.write("\n");
        return event.result;
      }
    }
  } catch (error) {
    if (signal.aborted) {
      out.write(style.dim(" [stopped]\n"));
      return undefined;
    }
    throw error;
  }
  return undefined;
}

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
        ...HELP_OPTION,
      },
    }),
  );
  if (values.help) {
    process.stdout.write(CHAT_HELP);
    return 0;
  }
  let effort: ReasoningEffort = enumOption(values["reasoning-effort"], "--reasoning-effort", ["low", "medium", "high"] as const) ?? "medium";
  const maxTokens = intOption(values["max-tokens"], "--max-tokens", 1);
  const gpu = enumOption(values.gpu, "--gpu", ["auto", "cpu", "cuda", "vulkan", "metal"] as const);
  const [spec] = resolveModelSpecs(values.model ? [values.model] : undefined, undefined).specs;
  if (spec.path === DEMO_MODEL) process.stderr.write(`${DEMO_NOTICE}\n`);
  const loadModel = await importLoadModel();
  process.stderr.write(`Loading ${spec.id}…\n`);
  const model = await loadModel(await modelFile(spec), {
    parallel: 1,
    ...(values["ctx-size"] && { contextSize: intOption(values["ctx-size"], "--ctx-size", 64) }),
    ...(values.threads && { threads: intOption(values.threads, "--threads", 1) }),
    ...(gpu && { gpu: gpu === "cpu" ? false : gpu }),
  });
  const out = process.stdout;
  const style = chatStyle(out);
  out.write(`${style.bold(spec.id)} (${model.info.backend}) · reasoning ${effort} · /effort, /tools, /reset, /exit · Ctrl-C stops an answer\n`);

  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
  let generation: AbortController | undefined;
  let exitArmed = false;
  let closed = false;
  rl.on("close", () => (closed = true));
  rl.on("SIGINT", () => {
    if (generation) return generation.abort();
    if (exitArmed) return rl.close();
    exitArmed = true;
    out.write(style.dim("\n(Ctrl-C again to exit)\n> "));
  });

  const messages: ChatMessage[] = [];
  const options = { ...(maxTokens && { maxTokens }), ...(values.system && { instructions: values.system }) };
  try {
    while (!closed) {
      let line: string;
      try {
        line = (await rl.question("> ")).trim();
      } catch {
        break; // closed (Ctrl-C twice, Ctrl-D)
      }
      exitArmed = false;
      if (line === "") continue;
      if (line === "/exit" || line === "/quit") break;
      if (line === "/reset") {
        messages.length = 0;
        out.write(style.dim("(conversation cleared)\n"));
        continue;
      }
      if (line === "/tools") {
        for (const tool of DEMO_TOOLS) out.write(`  ${style.bold(tool.name)} — ${tool.description}\n`);
        continue;
      }
      if (line.startsWith("/effort")) {
        const level = line.split(/\s+/)[1];
        if (level === "low" || level === "medium" || level === "high") {
          effort = level;
          out.write(style.dim(`(reasoning effort: ${effort})\n`));
        } else out.write("Usage: /effort low|medium|high\n");
        continue;
      }
      if (line.startsWith("/")) {
        out.write("Commands: /effort low|medium|high, /tools, /reset, /exit\n");
        continue;
      }
      messages.push({ role: "user", content: line });
      generation = new AbortController();
      try {
        for (let round = 0; round < MAX_TOOL_ROUNDS; round++) {
          const result = await streamTurn(model, messages, effort, options, generation.signal, out, style);
          if (!result) break;
          messages.push({ role: "assistant", content: result.content, reasoning: result.reasoning, ...(result.toolCalls.length && { toolCalls: result.toolCalls }) });
          if (result.toolCalls.length === 0) break;
          for (const call of result.toolCalls) {
            const output = runDemoTool(call.name, call.arguments);
            out.write(style.dim(`← ${output}\n`));
            messages.push({ role: "tool", toolCallId: call.id, name: call.name, content: output });
          }
        }
      } catch (error) {
        out.write(`Error: ${(error as Error).message}\n`);
      } finally {
        generation = undefined;
      }
    }
  } finally {
    rl.close();
    await model.dispose();
  }
  return 0;
}
