// `gpt-oss chat` as a process with piped stdin/stdout (the tiny random-weight model: answers are gibberish, so only
// the turn structure is checked); the answer printer, tool loop and demo tools in-process with scripted events.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { ChatMessage, ChatResult, GenerationOptions, StreamEvent } from "../../src/chat/types.js";
import { answerMessage, type ChatState, chatStyle, printTurn } from "../../src/cli/chat-turn.js";
import { DEMO_TOOLS, runDemoTool } from "../../src/cli/demo-tools.js";
import { tinyModelPath } from "../helpers/fixture.js";

const PROMPT = "\n> ";
const STEP_TIMEOUT_MS = 30_000; // generous: the CLI runs in a child process on a shared 2-core machine
const ESC = "\x1b";

/** A running `gpt-oss chat`; `reply` sends a line and resolves with what it printed up to the next prompt. */
class ChatProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on("data", (d: Buffer) => (this.stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  static async start(...args: string[]): Promise<ChatProcess> {
    const env = { ...process.env };
    delete env.NO_COLOR; // the plain output must come from stdout not being a terminal
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "chat", "--model", await tinyModelPath(), ...args], { env });
    const chat = new ChatProcess(child);
    await chat.waitFor((out) => out.endsWith(PROMPT), "the first prompt");
    return chat;
  }

  /** Waits until `done(stdout)` holds; fails with what was printed when the time runs out or the process ends. */
  async waitFor(done: (stdout: string) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!done(this.stdout)) {
      const ended = this.child.exitCode !== null || this.child.signalCode !== null;
      if (ended || Date.now() > deadline) {
        throw new Error(`${ended ? `exited (${this.child.exitCode ?? this.child.signalCode})` : "timed out"} waiting for ${what}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends one or more lines at once; resolves with the output up to the prompt after the last of them. */
  async reply(...lines: string[]): Promise<string> {
    const start = this.stdout.length;
    this.child.stdin.write(lines.map((line) => `${line}\n`).join(""));
    const promptsAfter = (out: string) => out.slice(start).split(PROMPT).length - 1;
    await this.waitFor((out) => promptsAfter(out) >= lines.length && out.endsWith(PROMPT), `the prompt after ${JSON.stringify(lines)}`);
    return this.stdout.slice(start, -PROMPT.length + 1);
  }

  async exitCode(): Promise<number | null> {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`did not exit\nstdout: ${this.stdout}`)), STEP_TIMEOUT_MS));
    const { code, signal } = await Promise.race([this.exited, timeout]);
    expect(signal).toBeNull();
    return code;
  }
}

describe("gpt-oss chat (piped)", () => {
  it("answers, handles the slash commands, prints no ANSI escapes, and exits 0 on /exit", async () => {
    const chat = await ChatProcess.start("--max-tokens", "16");
    try {
      expect(chat.stdout).toContain("reasoning medium");
      const answer = await chat.reply("Hello there");
      expect(answer.trim().length).toBeGreaterThan(0);

      expect(await chat.reply("/effort low")).toContain("reasoning effort: low");
      expect(await chat.reply("/effort")).toContain("Reasoning effort is low");
      expect(await chat.reply("/effort extreme")).toMatch(/Unknown reasoning effort "extreme".*\/effort low\|medium\|high/);
      expect(await chat.reply("/effort")).toContain("Reasoning effort is low"); // a bad value changes nothing

      const tools = await chat.reply("/tools");
      for (const tool of DEMO_TOOLS) expect(tools).toContain(tool.name);
      // Lines that arrive together are all answered, in order (none lost while the first is handled).
      expect(await chat.reply("/effort high", "/effort")).toMatch(/reasoning effort: high[^]*Reasoning effort is high/);
      expect(await chat.reply("/frobnicate")).toMatch(/Unknown command \/frobnicate\. Commands: .*\/effort.*\/tools.*\/exit/);

      expect(await chat.reply("A second message, after the commands")).not.toMatch(/Error|Unknown/);
      chat.child.stdin.write("/exit\n");
      expect(await chat.exitCode()).toBe(0);
      expect(chat.stdout).not.toContain(ESC); // the acknowledgements and tool names are styled on a terminal only
    } finally {
      chat.child.kill("SIGKILL");
    }
  });

  it("stops a long answer on SIGINT without exiting; SIGINT twice at the prompt exits 0", { timeout: 150_000 }, async () => {
    const chat = await ChatProcess.start("--max-tokens", "3000");
    try {
      const start = chat.stdout.length;
      chat.child.stdin.write("Tell me a very long story\n");
      await chat.waitFor((out) => out.length > start + 20, "the answer to start streaming");
      chat.child.kill("SIGINT");
      await chat.waitFor((out) => out.slice(start).endsWith(` [stopped]${PROMPT}`), "the stopped answer and a new prompt");

      expect(await chat.reply("/effort high")).toContain("reasoning effort: high"); // still reading input
      chat.child.kill("SIGINT");
      await chat.waitFor((out) => out.endsWith(`(Ctrl-C again to exit)${PROMPT}`), "the exit hint");
      chat.child.kill("SIGINT");
      expect(await chat.exitCode()).toBe(0);
    } finally {
      chat.child.kill("SIGKILL");
    }
  });
});

const RESULT: ChatResult = {
  content: "Four.",
  reasoning: "2+2",
  toolCalls: [],
  finishReason: "stop",
  usage: { promptTokens: 1, completionTokens: 1, reasoningTokens: 1, cachedPromptTokens: 0, totalTokens: 2 },
};

async function* events(list: StreamEvent[], failWith?: Error): AsyncGenerator<StreamEvent> {
  yield* list;
  if (failWith) throw failWith;
}

function capture(): { write: (text: string) => void; text: () => string } {
  let text = "";
  return { write: (t) => void (text += t), text: () => text };
}

describe("printTurn", () => {
  const turn: StreamEvent[] = [
    { type: "reasoning", delta: "2+" },
    { type: "reasoning", delta: "2" },
    { type: "content", delta: "Four." },
    { type: "done", result: RESULT },
  ];

  it("dims the reasoning on a terminal and leaves the answer plain", async () => {
    const out = capture();
    const result = await printTurn(events(turn), out, chatStyle({ isTTY: true }, {}), new AbortController().signal);
    expect(result).toBe(RESULT);
    expect(out.text()).toBe("\x1b[2mthinking: \x1b[22m\x1b[2m2+\x1b[22m\x1b[2m2\x1b[22m\nFour.\n");
  });

  it("prints plain text when not a terminal or when NO_COLOR is set", async () => {
    for (const style of [chatStyle({ isTTY: false }, {}), chatStyle({ isTTY: true }, { NO_COLOR: "1" })]) {
      const out = capture();
      await printTurn(events(turn), out, style, new AbortController().signal);
      expect(out.text()).toBe("thinking: 2+2\nFour.\n");
    }
  });

  it("reports a stopped turn as undefined, and rethrows a failure that was not a stop", async () => {
    const stop = new AbortController();
    stop.abort();
    const out = capture();
    expect(await printTurn(events(turn.slice(0, 1), new Error("aborted")), out, chatStyle({ isTTY: false }, {}), stop.signal)).toBeUndefined();
    expect(out.text()).toBe("thinking: 2+ [stopped]\n");
    await expect(printTurn(events([], new Error("boom")), capture(), chatStyle({ isTTY: false }, {}), new AbortController().signal)).rejects.toThrow("boom");
  });
});

const PLAIN = chatStyle({ isTTY: false }, {});

/** A model whose stream plays one scripted round per call and records what it was asked. */
function scriptedModel(rounds: Array<(signal: AbortSignal) => AsyncGenerator<StreamEvent>>) {
  const calls: Array<{ messages: ChatMessage[]; options: GenerationOptions }> = [];
  return {
    calls,
    stream(messages: ChatMessage[], options: GenerationOptions = {}) {
      calls.push({ messages: structuredClone(messages), options });
      return rounds[calls.length - 1](options.signal!);
    },
  };
}

describe("answerMessage", () => {
  it("runs a demo tool call and feeds its result back for the next round", async () => {
    const toolCall = { id: "call_1", name: "roll_dice", arguments: '{"sides":6,"count":3}' };
    const model = scriptedModel([
      () => events([{ type: "tool_call_start", index: 0, id: toolCall.id, name: toolCall.name }, { type: "tool_call_delta", index: 0, delta: toolCall.arguments }, { type: "done", result: { ...RESULT, content: "", toolCalls: [toolCall], finishReason: "tool_calls" } }]),
      () => events([{ type: "content", delta: "Four." }, { type: "done", result: RESULT }]),
    ]);
    const state: ChatState = { effort: "high", messages: [] };
    const out = capture();
    await answerMessage(model, state, "Roll three dice", { maxTokens: 64 }, new AbortController().signal, out, PLAIN);

    expect(model.calls).toHaveLength(2);
    expect(model.calls[0].options).toMatchObject({ reasoningEffort: "high", maxTokens: 64 });
    expect(model.calls[0].options.tools?.map((t) => t.name)).toEqual(DEMO_TOOLS.map((t) => t.name));
    const toolMessage = state.messages[2];
    expect(toolMessage).toMatchObject({ role: "tool", toolCallId: "call_1", name: "roll_dice" });
    const dice = JSON.parse((toolMessage as { content: string }).content) as number[];
    expect(dice).toHaveLength(3);
    for (const die of dice) expect(die >= 1 && die <= 6 && Number.isInteger(die)).toBe(true);
    expect(model.calls[1].messages).toEqual(state.messages.slice(0, 3));
    expect(state.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(out.text()).toContain(`→ roll_dice ${toolCall.arguments}\n← [`);
    expect(out.text().endsWith("Four.\n")).toBe(true);
  });

  it("leaves no trace of a stopped answer, nor of a failed one (whose error it prints)", async () => {
    const earlier: ChatMessage[] = [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello." }];
    const stop = new AbortController();
    const stopped = scriptedModel([
      async function* (signal) {
        yield { type: "content", delta: "Once upon" };
        stop.abort();
        if (signal.aborted) throw new Error("aborted");
      },
    ]);
    const state: ChatState = { effort: "medium", messages: [...earlier] };
    const out = capture();
    await answerMessage(stopped, state, "Tell a story", {}, stop.signal, out, PLAIN);
    expect(out.text()).toBe("Once upon [stopped]\n");
    expect(state.messages).toEqual(earlier);

    const overflow = Object.assign(new Error("The prompt does not fit."), { code: "ERR_CONTEXT_OVERFLOW" });
    const failing = scriptedModel([() => events([], overflow)]);
    const failedOut = capture();
    await answerMessage(failing, state, "Another", {}, new AbortController().signal, failedOut, PLAIN);
    expect(failedOut.text()).toMatch(/^Error: The prompt does not fit\. \(ERR_CONTEXT_OVERFLOW\).*\/reset/);
    expect(state.messages).toEqual(earlier);
  });
});

describe("runDemoTool", () => {
  it("turns bad calls into error text the model can read", () => {
    expect(runDemoTool("launch_rocket", "{}")).toMatch(/no tool named launch_rocket/);
    expect(runDemoTool("roll_dice", "{sides: 6")).toMatch(/not valid JSON/);
    expect(runDemoTool("get_current_time", '{"timezone":"Mars/Olympus_Mons"}')).toMatch(/Unknown time zone: Mars\/Olympus_Mons/);
  });

  it("keeps dice rolls within the advertised bounds", () => {
    const dice = JSON.parse(runDemoTool("roll_dice", '{"sides":1,"count":500}')) as number[];
    expect(dice).toHaveLength(20);
    for (const die of dice) expect([1, 2]).toContain(die);
  });
});
