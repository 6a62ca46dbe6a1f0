/**
 * Which reasoning effort a request gets. Precedence, first present wins:
 *   1. `reasoning_effort` (OpenAI) — or `reasoning.effort` (OpenRouter / Responses API object)
 *   2. `reasoning_level` (alias some gpt-oss clients send)
 *   3. a `Reasoning: low|medium|high` line in a system message, the first if several (the harmony convention,
 *      the same line syntax the library reads; such lines are removed so they are not rendered twice)
 *   4. the server default (`--reasoning-effort`, default "medium")
 * An explicit field with a bad value is a 400 (`invalid_reasoning_effort`); a system line with an unknown
 * value is left in the message as ordinary text.
 */
import type { ChatMessage, ReasoningEffort } from "../chat/types.js";
import { REASONING_EFFORTS, reasoningLinePattern } from "../harmony/reasoning.js";
import { ApiError } from "./errors.js";

/** The harmony `Reasoning:` line, with only the known efforts as its value (any other stays ordinary text). */
const SYSTEM_LINE = reasoningLinePattern(REASONING_EFFORTS.join("|"));

export function parseReasoningEffort(value: unknown, param: string): ReasoningEffort | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string" && (REASONING_EFFORTS as readonly string[]).includes(value.toLowerCase())) {
    return value.toLowerCase() as ReasoningEffort;
  }
  throw new ApiError(
    "invalid_reasoning_effort",
    `Invalid value for '${param}': expected one of ${REASONING_EFFORTS.map((e) => `'${e}'`).join(", ")}, but got ${JSON.stringify(value)}.`,
    param,
  );
}

/**
 * Finds `Reasoning: X` lines in the system messages: returns the first one's effort (as the library resolves it)
 * and the messages without the lines (a system message left empty is dropped).
 */
export function takeSystemReasoningLine(messages: ChatMessage[]): { effort?: ReasoningEffort; messages: ChatMessage[] } {
  let effort: ReasoningEffort | undefined;
  const out: ChatMessage[] = [];
  for (const message of messages) {
    if (message.role !== "system") {
      out.push(message);
      continue;
    }
    const match = SYSTEM_LINE.exec(message.content);
    if (!match) {
      out.push(message);
      continue;
    }
    effort ??= match[1]!.toLowerCase() as ReasoningEffort;
    const rest = message.content.replace(SYSTEM_LINE, "").replace(/\n{3,}/g, "\n\n").trim();
    if (rest !== "") out.push({ role: "system", content: rest });
  }
  return { effort, messages: out };
}

export interface ReasoningSources {
  /** `reasoning_effort` / `reasoning.effort`, already validated. */
  requestField?: ReasoningEffort;
  /** `reasoning_level`, already validated. */
  alias?: ReasoningEffort;
  systemLine?: ReasoningEffort;
}

export function resolveReasoningEffort(sources: ReasoningSources, serverDefault: ReasoningEffort): ReasoningEffort {
  return sources.requestField ?? sources.alias ?? sources.systemLine ?? serverDefault;
}
