/** POST /v1/chat/completions body → model id, library messages and GenerationOptions (validated). */
import type { ChatMessage, GenerationOptions } from "../../chat/types.js";
import type { RequestLimits } from "../context.js";
import { ApiError } from "../errors.js";
import { parseGrammar, parseResponseFormat, parseSampling, parseToolChoice, parseTools, type SchemaBudget } from "../generation-params.js";
import { parseChatMessages } from "../messages.js";
import { mapReasoning } from "../reasoning.js";
import { optionalBoolean, optionalInteger, optionalObject, optionalString, requireBodyObject } from "../validate.js";

export interface ChatCompletionRequest {
  /** Requested model id (absent: the server's first model). */
  model?: string;
  messages: ChatMessage[];
  /** What the request sets (the library applies the server's defaults to the rest); no `signal`. */
  options: GenerationOptions;
  /** The request field the reasoning effort came from, to name when the library refuses its value. */
  reasoningParam?: string;
  stream: boolean;
  /** `stream_options.include_usage`: send a final chunk with usage. */
  includeUsage: boolean;
  /** `reasoning.exclude`: leave the chain of thought out of the response. */
  excludeReasoning: boolean;
}

/** No limits on counts (the server passes its own). */
const UNLIMITED: RequestLimits = { maxMessages: Number.MAX_SAFE_INTEGER, maxTools: Number.MAX_SAFE_INTEGER };

export function parseChatCompletionRequest(raw: unknown, limits: RequestLimits = UNLIMITED): ChatCompletionRequest {
  const body = requireBodyObject(raw);
  const model = optionalString(body.model, "model");
  const messages = parseChatMessages(body.messages, "messages", limits.maxMessages);

  const n = optionalInteger(body.n, "n", 1);
  if (n !== undefined && n !== 1) throw new ApiError("unsupported_parameter", "Unsupported value for 'n': only n = 1 is supported.", "n");
  if (body.logprobs === true) throw new ApiError("unsupported_parameter", "Unsupported parameter: 'logprobs' is not supported by this server.", "logprobs");

  const stream = optionalBoolean(body.stream, "stream") ?? false;
  const streamOptions = optionalObject(body.stream_options, "stream_options");
  const includeUsage = optionalBoolean(streamOptions?.include_usage, "stream_options.include_usage") ?? false;

  // OpenRouter-style reasoning object: {effort, max_tokens, exclude, enabled}.
  const reasoning = optionalObject(body.reasoning, "reasoning");
  const reasoningBudget = optionalInteger(reasoning?.max_tokens, "reasoning.max_tokens", 0);
  const reasoningEnabled = optionalBoolean(reasoning?.enabled, "reasoning.enabled");
  const excludeReasoning = optionalBoolean(reasoning?.exclude, "reasoning.exclude") ?? false;

  const { param: reasoningParam, ...reasoningOptions } = mapReasoning(
    [
      ["reasoning_effort", body.reasoning_effort],
      ["reasoning.effort", reasoning?.effort],
      ["reasoning_level", body.reasoning_level],
    ],
    reasoningEnabled === false ? 0 : reasoningBudget,
  );

  const schemas: SchemaBudget = { bytes: 0 };
  const tools = parseTools(body.tools, schemas, limits.maxTools);
  const toolChoice = parseToolChoice(body.tool_choice, tools);
  const responseFormat = parseResponseFormat(body.response_format, "response_format", schemas);
  const grammar = parseGrammar(body.grammar, responseFormat);
  // Only the type is checked here: whether it fits with the prompt is the library's call (400 naming both numbers).
  const maxTokens = optionalInteger(body.max_completion_tokens, "max_completion_tokens", 1) ?? optionalInteger(body.max_tokens, "max_tokens", 1);

  const options: GenerationOptions = { ...reasoningOptions, ...parseSampling(body) };
  if (maxTokens !== undefined) options.maxTokens = maxTokens;
  if (tools?.length) options.tools = tools;
  if (toolChoice !== undefined) options.toolChoice = toolChoice;
  if (responseFormat && responseFormat.type !== "text") options.responseFormat = responseFormat;
  if (grammar !== undefined) options.grammar = grammar;

  return { ...(model !== undefined && { model }), messages, options, ...(reasoningParam && { reasoningParam }), stream, includeUsage, excludeReasoning };
}
