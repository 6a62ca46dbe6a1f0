/**
 * One answer of `gpt-oss chat`: streaming it to the terminal (chain of thought dimmed) and the demo tool loop.
 */
import type { ChatMessage, ChatResult, Model, ReasoningEffort, StreamEvent } from "../chat/types.js";
import { DEMO_TOOLS, runDemoTool } from "./demo-tools.js";

/** Most model rounds per user message while the model keeps calling tools. */
const MAX_TOOL_ROUNDS = 5;
/** The demo tools as the model sees them (without their `run`). */
const TOOL_SCHEMAS = DEMO_TOOLS.map(({ run: _run, ...tool }) => tool);

/** How the chat styles its output (identity functions when not on a terminal). */
export interface ChatStyle {
  dim: (text: string) => string;
  bold: (text: string) => string;
}

/** ANSI styling when `stream` is a terminal and NO_COLOR is unset; plain text otherwise. */
export function chatStyle(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): ChatStyle {
  const color = stream.isTTY === true && !env.NO_COLOR;
  return {
    dim: (text) => (color ? `\x1b[2m${text}\x1b[22m` : text),
    bold: (text) => (color ? `\x1b[1m${text}\x1b[22m` : text),
  };
}

/** Where the chat writes. */
export interface ChatOutput {
  write(text: string): unknown;
}

/**
 * Prints one streamed model turn: reasoning dimmed after a `thinking:` label, the answer plain, tool calls bold.
 * Each styled piece is closed on its own, so a stopped answer never leaves the terminal dimmed.
 * @returns the turn's result, or undefined when `signal` stopped it (" [stopped]" is printed).
 */
export async function printTurn(events: AsyncIterable<StreamEvent>, out: ChatOutput, style: ChatStyle, signal: AbortSignal): Promise<ChatResult | undefined> {
  type Section = "none" | "reasoning" | "content" | "tool";
  let section = "none" as Section; // asserted: `begin` changes it where narrowing cannot see
  /** Starts a new line when a different kind of output (or another tool call) begins. */
  const begin = (next: Section) => {
    if (section !== "none") out.write("\n");
    section = next;
  };
  try {
    for await (const event of events) {
      if (event.type === "reasoning") {
        if (section !== "reasoning") {
          begin("reasoning");
          out.write(style.dim("thinking: "));
        }
        out.write(style.dim(event.delta));
      } else if (event.type === "content") {
        if (section !== "content") begin("content");
        out.write(event.delta);
      } else if (event.type === "tool_call_start") {
        begin("tool");
        out.write(`${style.bold(`→ ${event.name}`)} `);
      } else if (event.type === "tool_call_delta") {
        out.write(event.delta);
      } else {
        out.write("\n");
        return event.result;
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  out.write(`${style.dim(" [stopped]")}\n`);
  return undefined;
}

/** What a chat carries from one message to the next. */
export interface ChatState {
  /** Reasoning effort of the next answers (`/effort`). */
  effort: ReasoningEffort;
  /** The conversation so far (a stopped or failed answer leaves no trace in it). */
  messages: ChatMessage[];
}

/** Generation options fixed for a whole chat. */
export interface AnswerOptions {
  /** Most tokens per model round (default: the library's). */
  maxTokens?: number;
  /** Instructions for the whole chat (`--system`). */
  instructions?: string;
}

/**
 * Answers one user message, streaming it to `out` and running demo tool calls for up to MAX_TOOL_ROUNDS rounds.
 * A stopped or failed answer is rolled back out of `state.messages` (an error is printed, not thrown), so a
 * conversation never holds a half answer.
 */
export async function answerMessage(model: Pick<Model, "stream">, state: ChatState, text: string, options: AnswerOptions, signal: AbortSignal, out: ChatOutput, style: ChatStyle): Promise<void> {
  const before = state.messages.length;
  const { messages } = state;
  messages.push({ role: "user", content: text });
  try {
    for (let round = 1; ; round++) {
      const events = model.stream(messages, { ...options, reasoningEffort: state.effort, tools: TOOL_SCHEMAS, signal });
      const result = await printTurn(events, out, style, signal);
      if (!result) {
        messages.length = before;
        return;
      }
      messages.push({ role: "assistant", content: result.content, reasoning: result.reasoning, ...(result.toolCalls.length && { toolCalls: result.toolCalls }) });
      if (result.toolCalls.length === 0) return;
      for (const call of result.toolCalls) {
        const output = runDemoTool(call.name, call.arguments);
        out.write(`${style.dim(`← ${output}`)}\n`);
        messages.push({ role: "tool", toolCallId: call.id, name: call.name, content: output });
      }
      if (round === MAX_TOOL_ROUNDS) {
        out.write(`${style.dim(`(stopped after ${MAX_TOOL_ROUNDS} rounds of tool calls)`)}\n`);
        return;
      }
    }
  } catch (error) {
    messages.length = before;
    const code = (error as { code?: string }).code;
    const hint = code === "ERR_CONTEXT_OVERFLOW" ? " Use /reset to start a new conversation." : "";
    out.write(`Error: ${(error as Error).message}${code ? ` (${code})` : ""}${hint}\n`);
  }
}
