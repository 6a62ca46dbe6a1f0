/** POST /v1/chat/completions body → model id, library messages and GenerationOptions (validated). */
import type { ChatMessage, GenerationOptions } from "../../chat/types.js";
import { ApiError } from "../errors.js";
import { parseGrammar, parseResponseFormat, parseSampling, parseToolChoice, parseTools, type GenerationDefaults } from "../generation-params.js";
import { parseChatMessages } from "../messages.js";
import { parseReasoningEffort, resolveReasoningEffort, takeSystemReasoningLine } from "../reasoning.js";
import { optionalBoolean, optionalInteger, optionalObject, optionalString, requireBodyObject } from "../validate.js";

export interface ChatCompletionRequest {
  /** Requested model id (absent: the server's first model). */
  model?: string;
  messages: ChatMessage[];
  /** Everything but `signal`, defaults applied. */
  options: GenerationOptions;
  stream: boolean;
  /** `stream_options.include_usage`: send a final chunk with usage. */
  includeUsage: boolean;
  /** `reasoning.exclude`: leave the chain of thought out of the response. */
  excludeReasoning: boolean;
}

export function parseChatCompletionRequest(raw: unknown, defaults: GenerationDefaults): ChatCompletionRequest {
  const body = requireBodyObject(raw);
  const model = optionalString(body.model, "model");
  const parsedMessages = parseChatMessages(body.messages);

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

  const { effort: systemLine, messages } = takeSystemReasoningLine(parsedMessages);
  const reasoningEffort = resolveReasoningEffort(
    {
      requestField: parseReasoningEffort(body.reasoning_effort, "reasoning_effort") ?? parseReasoningEffort(reasoning?.effort, "reasoning.effort"),
      alias: parseReasoningEffort(body.reasoning_level, "reasoning_level"),
      systemLine,
    },
    defaults.reasoningEffort,
  );

  const tools = parseTools(body.tools);
  const toolChoice = parseToolChoice(body.tool_choice, tools);
  const responseFormat = parseResponseFormat(body.response_format, "response_format");
  const grammar = parseGrammar(body.grammar, responseFormat);
  const maxTokens =
    optionalInteger(body.max_completion_tokens, "max_completion_tokens", 1) ?? optionalInteger(body.max_tokens, "max_tokens", 1) ?? defaults.maxTokens;

  const options: GenerationOptions = {
    reasoningEffort,
    maxTokens,
    temperature: defaults.temperature,
    topP: defaults.topP,
    ...parseSampling(body),
  };
  const maxReasoningTokens = reasoningEnabled === false ? 0 : reasoningBudget;
  if (maxReasoningTokens !== undefined) options.maxReasoningTokens = maxReasoningTokens;
  if (tools?.length) options.tools = tools;
  if (toolChoice !== undefined) options.toolChoice = toolChoice;
  if (responseFormat && responseFormat.type !== "text") options.responseFormat = responseFormat;
  if (grammar !== undefined) options.grammar = grammar;

  return { ...(model !== undefined && { model }), messages, options, stream, includeUsage, excludeReasoning };
}
