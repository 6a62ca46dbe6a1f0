/**
 * OpenAI's reasoning fields → library options. The server only translates; the library owns the rest: a
 * `Reasoning:` line in a system message, the server's default (passed as `options.defaults`), and the check of
 * the value (anything but low / medium / high answers 400 `invalid_reasoning_effort`).
 *
 * The first field present wins, in the order the route gives (`reasoning_effort`, `reasoning.effort`, then the
 * `reasoning_level` alias some gpt-oss clients send). OpenAI efforts gpt-oss was not trained with map onto the
 * nearest it was: `minimal` → low, `xhigh` → high, and `none` → low with no chain of thought (a reasoning budget
 * of 0 unless the request sets one).
 */
import type { ChatMessage, ReasoningEffort } from "../chat/types.js";
import { resolveReasoningEffort } from "../harmony/reasoning.js";
import { ApiError, toApiError, type ServerErrorCode } from "./errors.js";
import { jsonTypeName } from "./validate.js";

const OPENAI_ONLY_EFFORTS: Readonly<Record<string, { effort: string; maxReasoningTokens?: number }>> = {
  none: { effort: "low", maxReasoningTokens: 0 },
  minimal: { effort: "low" },
  xhigh: { effort: "high" },
};

export interface ReasoningRequest {
  /** The effort to pass to the library, as the client spelled it (unchecked here: the library validates it). */
  reasoningEffort?: ReasoningEffort;
  maxReasoningTokens?: number;
  /** The field the effort came from, to name in a 400. */
  param?: string;
}

/**
 * @param fields `[param, value]` in precedence order; absent and null values are skipped.
 * @param budget an explicit reasoning budget (`reasoning.max_tokens`, or 0 for `reasoning.enabled: false`).
 */
export function mapReasoning(fields: ReadonlyArray<readonly [string, unknown]>, budget: number | undefined): ReasoningRequest {
  const out: ReasoningRequest = budget === undefined ? {} : { maxReasoningTokens: budget };
  const field = fields.find(([, value]) => value !== undefined && value !== null);
  if (!field) return out;
  const [param, value] = field;
  if (typeof value !== "string") {
    throw new ApiError("invalid_reasoning_effort", `Invalid type for '${param}': expected a string, but got ${jsonTypeName(value)} instead.`, param);
  }
  const alias = OPENAI_ONLY_EFFORTS[value.trim().toLowerCase()];
  out.reasoningEffort = (alias?.effort ?? value) as ReasoningEffort;
  out.param = param;
  if (alias?.maxReasoningTokens !== undefined && budget === undefined) out.maxReasoningTokens = alias.maxReasoningTokens;
  return out;
}

/**
 * The effort the library will use for a request (its own rule: request field > a system line > `fallback`), for
 * what the server must know before the generation starts (`response.created` echoes it; model routing reads it).
 * @throws ApiError 400 `invalid_reasoning_effort`, naming the field through `hints`.
 */
export function effectiveReasoningEffort(
  requested: string | undefined,
  messages: readonly ChatMessage[],
  fallback: ReasoningEffort | undefined,
  hints: Partial<Record<ServerErrorCode, string>>,
): ReasoningEffort {
  try {
    return resolveReasoningEffort(requested, messages, fallback);
  } catch (error) {
    throw toApiError(error, hints);
  }
}
