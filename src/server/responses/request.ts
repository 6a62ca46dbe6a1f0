/**
 * POST /v1/responses body → library messages and GenerationOptions.
 * `input` is a string (one user message) or a list of items: messages (`{role, content}`, optionally
 * `type: "message"`), `function_call`, `function_call_output` and `reasoning` items. A `reasoning` item's text
 * is attached to the assistant turn that follows it.
 */
import type { ChatMessage, GenerationOptions, ToolCall } from "../../chat/types.js";
import type { RequestLimits } from "../context.js";
import { ApiError } from "../errors.js";
import { parseGrammar, parseResponseFormat, parseSampling, parseToolChoice, parseTools, type SchemaBudget } from "../generation-params.js";
import { contentText } from "../messages.js";
import { mapReasoning } from "../reasoning.js";
import { checkArrayLength, isObject, jsonTypeName, optionalBoolean, optionalInteger, optionalObject, optionalString, requireBodyObject } from "../validate.js";

export interface ResponsesRequest {
  model?: string;
  /** The new input only (without the previous response's conversation). */
  input: ChatMessage[];
  previousResponseId?: string;
  instructions?: string;
  /** What the request sets (the library applies the server's defaults to the rest). */
  options: GenerationOptions;
  /** The request field the reasoning effort came from, to name when the library refuses its value. */
  reasoningParam?: string;
  stream: boolean;
  /** Keep the response for `previous_response_id` (default true). */
  store: boolean;
  /** Echoed in the response object. */
  echo: { tools: unknown[]; toolChoice: unknown; textFormat: unknown; maxOutputTokens: number | null; metadata: unknown };
}

function reasoningItemText(item: Record<string, unknown>): string {
  const parts = Array.isArray(item.content) ? item.content : Array.isArray(item.summary) ? item.summary : [];
  return parts.map((p) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("");
}

/**
 * Converts `input` items (at most `maxItems`: `ServerOptions.maxMessages`). `toolNames` maps call ids of earlier
 * turns (the previous response) to tool names, so a `function_call_output` can name the tool it answers.
 */
export function parseResponseInput(value: unknown, toolNames: ReadonlyMap<string, string> = new Map(), maxItems = Number.MAX_SAFE_INTEGER): ChatMessage[] {
  if (typeof value === "string") return [{ role: "user", content: value }];
  if (!Array.isArray(value)) {
    throw new ApiError("invalid_type", `Invalid type for 'input': expected a string or an array of input items, but got ${jsonTypeName(value)} instead.`, "input");
  }
  checkArrayLength(value, "input", maxItems, "--max-messages");
  const names = new Map(toolNames);
  const messages: ChatMessage[] = [];
  let pendingReasoning: string | undefined;
  const assistantTurn = (): Extract<ChatMessage, { role: "assistant" }> => {
    const last = messages.at(-1);
    if (last?.role === "assistant" && !last.content) return last;
    const turn: Extract<ChatMessage, { role: "assistant" }> = { role: "assistant", content: null };
    messages.push(turn);
    return turn;
  };
  value.forEach((item, i) => {
    const ip = `input[${i}]`;
    if (!isObject(item)) throw new ApiError("invalid_type", `Invalid type for '${ip}': expected an object, but got ${jsonTypeName(item)} instead.`, ip);
    const type = item.type ?? "message";
    switch (type) {
      case "message": {
        const role = item.role;
        if (role !== "user" && role !== "system" && role !== "developer" && role !== "assistant") {
          throw new ApiError("invalid_value", `Invalid value for '${ip}.role': expected 'user', 'system', 'developer' or 'assistant', but got '${String(role)}'.`, `${ip}.role`);
        }
        const text = contentText(item.content ?? "", `${ip}.content`);
        if (role === "assistant") {
          messages.push({ role, content: text, ...(pendingReasoning !== undefined && { reasoning: pendingReasoning }) });
          pendingReasoning = undefined;
        } else {
          messages.push({ role, content: text });
        }
        break;
      }
      case "reasoning":
        pendingReasoning = (pendingReasoning ?? "") + reasoningItemText(item);
        break;
      case "function_call": {
        const name = optionalString(item.name, `${ip}.name`);
        const callId = optionalString(item.call_id, `${ip}.call_id`);
        if (!name || !callId) throw new ApiError("missing_required_parameter", `Missing required parameter: '${ip}.${name ? "call_id" : "name"}'.`, `${ip}.${name ? "call_id" : "name"}`);
        const args = typeof item.arguments === "string" ? item.arguments : JSON.stringify(item.arguments ?? {});
        const turn = assistantTurn();
        if (pendingReasoning !== undefined) turn.reasoning = (turn.reasoning ?? "") + pendingReasoning;
        pendingReasoning = undefined;
        const call: ToolCall = { id: callId, name, arguments: args };
        turn.toolCalls = [...(turn.toolCalls ?? []), call];
        names.set(callId, name);
        break;
      }
      case "function_call_output": {
        const callId = optionalString(item.call_id, `${ip}.call_id`);
        const name = callId ? names.get(callId) : undefined;
        if (!callId || !name) {
          throw new ApiError("invalid_value", `Invalid value for '${ip}.call_id': it answers no function_call in this conversation.`, `${ip}.call_id`);
        }
        const output = typeof item.output === "string" ? item.output : Array.isArray(item.output) ? contentText(item.output, `${ip}.output`) : JSON.stringify(item.output ?? "");
        messages.push({ role: "tool", toolCallId: callId, name, content: output });
        break;
      }
      default:
        throw new ApiError("invalid_value", `Invalid value for '${ip}.type': '${String(type)}' items are not supported.`, `${ip}.type`);
    }
  });
  return messages;
}

/** No limits on counts (the server passes its own). */
const UNLIMITED: RequestLimits = { maxMessages: Number.MAX_SAFE_INTEGER, maxTools: Number.MAX_SAFE_INTEGER };

/** Validates the body; the input is converted later, once the previous response (if any) is known. */
export function parseResponsesRequest(
  raw: unknown,
  toolNamesOf: (previousId: string) => ReadonlyMap<string, string>,
  limits: RequestLimits = UNLIMITED,
): ResponsesRequest {
  const body = requireBodyObject(raw);
  const model = optionalString(body.model, "model");
  const previousResponseId = optionalString(body.previous_response_id, "previous_response_id");
  if (body.input === undefined || body.input === null) throw new ApiError("missing_required_parameter", "Missing required parameter: 'input'.", "input");
  const input = parseResponseInput(body.input, previousResponseId ? toolNamesOf(previousResponseId) : undefined, limits.maxMessages);
  if (input.length === 0 && !previousResponseId) throw new ApiError("invalid_value", "Invalid value for 'input': expected at least one item.", "input");

  const instructions = optionalString(body.instructions, "instructions");
  const reasoning = optionalObject(body.reasoning, "reasoning");
  const { param: reasoningParam, ...reasoningOptions } = mapReasoning(
    [
      ["reasoning.effort", reasoning?.effort],
      ["reasoning_effort", body.reasoning_effort],
      ["reasoning_level", body.reasoning_level],
    ],
    optionalInteger(reasoning?.max_tokens, "reasoning.max_tokens", 0),
  );
  const text = optionalObject(body.text, "text");
  const schemas: SchemaBudget = { bytes: 0 };
  const responseFormat = parseResponseFormat(text?.format, "text.format", schemas);
  const grammar = parseGrammar(body.grammar, responseFormat);
  const tools = parseTools(body.tools, schemas, limits.maxTools);
  const toolChoice = parseToolChoice(body.tool_choice, tools);
  const maxOutputTokens = optionalInteger(body.max_output_tokens, "max_output_tokens", 1);
  const sampling = parseSampling({ temperature: body.temperature, top_p: body.top_p, seed: body.seed, top_k: body.top_k, min_p: body.min_p });

  const options: GenerationOptions = { ...reasoningOptions, ...sampling };
  if (maxOutputTokens !== undefined) options.maxTokens = maxOutputTokens;
  if (instructions) options.instructions = instructions;
  if (tools?.length) options.tools = tools;
  if (toolChoice !== undefined) options.toolChoice = toolChoice;
  if (responseFormat && responseFormat.type !== "text") options.responseFormat = responseFormat;
  if (grammar !== undefined) options.grammar = grammar;

  return {
    ...(model !== undefined && { model }),
    input,
    ...(previousResponseId !== undefined && { previousResponseId }),
    ...(instructions !== undefined && { instructions }),
    options,
    ...(reasoningParam && { reasoningParam }),
    stream: optionalBoolean(body.stream, "stream") ?? false,
    store: optionalBoolean(body.store, "store") ?? true,
    echo: {
      tools: Array.isArray(body.tools) ? body.tools : [],
      toolChoice: body.tool_choice ?? "auto",
      textFormat: text?.format ?? { type: "text" },
      maxOutputTokens: maxOutputTokens ?? null,
      metadata: body.metadata ?? {},
    },
  };
}
