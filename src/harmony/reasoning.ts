/**
 * Reasoning effort resolution: the request's field > a `Reasoning: X` line in a system message > `medium`.
 */
import type { ChatMessage, ReasoningEffort } from "../types.js";
import { GptOssError } from "../errors.js";
import { DEFAULT_REASONING_EFFORT } from "./conversation.js";

/** The reasoning efforts gpt-oss was trained with. */
export const REASONING_EFFORTS: readonly ReasoningEffort[] = ["low", "medium", "high"];

/**
 * A whole line `Reasoning: X` (case-insensitive key and value, surrounding blanks allowed, CRLF line ends too):
 * the one definition of the line's syntax, for the library and the server. Group 1 is the value, matched by the
 * regular-expression source `value`.
 */
export function reasoningLinePattern(value = "\\S+", flags = "im"): RegExp {
  return new RegExp(`^[ \\t]*reasoning[ \\t]*:[ \\t]*(${value})[ \\t\\r]*$`, flags);
}

const REASONING_LINE = reasoningLinePattern();
const REASONING_LINES = reasoningLinePattern("\\S+", "gim");

/**
 * `value` as a reasoning effort (trimmed, case-insensitive).
 * @throws GptOssError `ERR_INVALID_REASONING_EFFORT` naming the allowed values.
 */
export function parseReasoningEffort(value: unknown, source = "reasoning effort"): ReasoningEffort {
  const normalized = typeof value === "string" ? value.trim().toLowerCase() : value;
  if (typeof normalized === "string" && (REASONING_EFFORTS as readonly string[]).includes(normalized)) {
    return normalized as ReasoningEffort;
  }
  const shown = typeof value === "string" ? JSON.stringify(value) : `${String(value)} (${typeof value})`;
  throw new GptOssError(
    "ERR_INVALID_REASONING_EFFORT",
    `Expected one of ${REASONING_EFFORTS.map((e) => `"${e}"`).join(", ")} for ${source} but received ${shown}`,
  );
}

/** The value of the first `Reasoning: X` line in `text`, unvalidated, or undefined. */
function findReasoningLine(text: string): string | undefined {
  return REASONING_LINE.exec(text)?.[1];
}

/** `text` without its `Reasoning: X` lines (used when a system message becomes developer instructions). */
export function stripReasoningLines(text: string): string {
  return text.replace(REASONING_LINES, "").replace(/\n{3,}/g, "\n\n").trim();
}

/**
 * The reasoning effort of a request.
 * @param requested the request's field (`reasoning_effort` / `reasoning_level`); wins when set.
 * @param messages the conversation; the first system message with a `Reasoning: X` line is used next.
 * @param fallback the effort when neither sets one (default `"medium"`).
 * @throws GptOssError `ERR_INVALID_REASONING_EFFORT` for a value other than low, medium, high.
 */
export function resolveReasoningEffort(
  requested?: string | null,
  messages: readonly ChatMessage[] = [],
  fallback: ReasoningEffort = DEFAULT_REASONING_EFFORT,
): ReasoningEffort {
  if (requested != null) return parseReasoningEffort(requested);
  for (const message of messages) {
    if (message.role !== "system") continue;
    const line = findReasoningLine(message.content);
    if (line !== undefined) return parseReasoningEffort(line, "the system message's Reasoning line");
  }
  return fallback;
}
