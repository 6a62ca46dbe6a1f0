/**
 * OpenAI Chat Completions `messages` → library ChatMessage[].
 *
 * - `content` may be a string or an array of `{type: "text", text}` parts (also `input_text`/`output_text`,
 *   which the Responses API uses); other part types (images, audio) are refused with a 400.
 * - Assistant messages may carry their chain of thought as `reasoning`, `reasoning_content` or `thinking`
 *   (whichever the client's SDK round-trips), so tool loops keep the analysis the model wrote.
 * - A tool message's `name` is taken from the assistant tool call it answers (`tool_call_id`) when absent.
 */
import type { ChatMessage, ToolCall } from "../chat/types.js";
import { ApiError } from "./errors.js";
import { checkArrayLength, isObject, jsonTypeName, optionalString, requireArray } from "./validate.js";

const TEXT_PART_TYPES = new Set(["text", "input_text", "output_text"]);

/** The text of a message `content`: a string, or the concatenation of text parts. */
export function contentText(content: unknown, param: string): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) {
    throw new ApiError("invalid_type", `Invalid type for '${param}': expected a string or an array of content parts, but got ${jsonTypeName(content)} instead.`, param);
  }
  return content
    .map((part, i) => {
      const partParam = `${param}[${i}]`;
      if (!isObject(part)) throw new ApiError("invalid_type", `Invalid type for '${partParam}': expected an object, but got ${jsonTypeName(part)} instead.`, partParam);
      if (typeof part.type !== "string" || !TEXT_PART_TYPES.has(part.type)) {
        throw new ApiError("invalid_value", `Invalid value for '${partParam}.type': only text parts are supported, but got '${String(part.type)}'.`, `${partParam}.type`);
      }
      if (typeof part.text !== "string") {
        throw new ApiError("invalid_type", `Invalid type for '${partParam}.text': expected a string, but got ${jsonTypeName(part.text)} instead.`, `${partParam}.text`);
      }
      return part.text;
    })
    .join("");
}

/** Chain of thought on an input assistant message, under any of the names clients use. */
function assistantReasoning(message: Record<string, unknown>, param: string): string | undefined {
  for (const field of ["reasoning", "reasoning_content", "thinking"] as const) {
    const value = message[field];
    if (value === undefined || value === null) continue;
    if (typeof value === "string") return value;
    // OpenRouter may send reasoning as an object/array of details; take their text.
    if (Array.isArray(value)) return value.map((d) => (isObject(d) && typeof d.text === "string" ? d.text : "")).join("");
    throw new ApiError("invalid_type", `Invalid type for '${param}.${field}': expected a string, but got ${jsonTypeName(value)} instead.`, `${param}.${field}`);
  }
  return undefined;
}

function parseToolCalls(value: unknown, param: string): ToolCall[] | undefined {
  if (value === undefined || value === null) return undefined;
  return requireArray(value, param).map((call, i) => {
    const callParam = `${param}[${i}]`;
    if (!isObject(call) || !isObject(call.function)) {
      throw new ApiError("invalid_type", `Invalid type for '${callParam}': expected {id, type: "function", function: {name, arguments}}.`, callParam);
    }
    const name = optionalString(call.function.name, `${callParam}.function.name`);
    if (!name) throw new ApiError("missing_required_parameter", `Missing required parameter: '${callParam}.function.name'.`, `${callParam}.function.name`);
    const args = call.function.arguments;
    const argumentsText = typeof args === "string" ? args : args === undefined || args === null ? "{}" : JSON.stringify(args);
    return { id: optionalString(call.id, `${callParam}.id`) ?? `call_${i}`, name, arguments: argumentsText };
  });
}

/**
 * Converts and validates OpenAI chat messages (at most `maxMessages`: `ServerOptions.maxMessages`). Throws a 400
 * naming the first bad field.
 */
export function parseChatMessages(value: unknown, param = "messages", maxMessages = Number.MAX_SAFE_INTEGER): ChatMessage[] {
  const raw = requireArray(value, param);
  if (raw.length === 0) throw new ApiError("invalid_value", `Invalid value for '${param}': expected a non-empty array.`, param);
  checkArrayLength(raw, param, maxMessages, "--max-messages");
  const toolNamesById = new Map<string, string>();
  return raw.map((message, i): ChatMessage => {
    const mp = `${param}[${i}]`;
    if (!isObject(message)) throw new ApiError("invalid_type", `Invalid type for '${mp}': expected an object, but got ${jsonTypeName(message)} instead.`, mp);
    switch (message.role) {
      case "system":
      case "developer":
      case "user":
        if (message.content === undefined || message.content === null) {
          throw new ApiError("missing_required_parameter", `Missing required parameter: '${mp}.content'.`, `${mp}.content`);
        }
        return { role: message.role, content: contentText(message.content, `${mp}.content`) };
      case "assistant": {
        const toolCalls = parseToolCalls(message.tool_calls, `${mp}.tool_calls`);
        for (const call of toolCalls ?? []) toolNamesById.set(call.id, call.name);
        const content = message.content === undefined || message.content === null ? null : contentText(message.content, `${mp}.content`);
        const reasoning = assistantReasoning(message, mp);
        return { role: "assistant", content, ...(reasoning !== undefined && { reasoning }), ...(toolCalls?.length && { toolCalls }) };
      }
      case "tool": {
        const toolCallId = optionalString(message.tool_call_id, `${mp}.tool_call_id`);
        const name = optionalString(message.name, `${mp}.name`) ?? (toolCallId ? toolNamesById.get(toolCallId) : undefined);
        if (!name) {
          throw new ApiError("invalid_value", `Invalid value for '${mp}.tool_call_id': it answers no tool call of an earlier assistant message.`, `${mp}.tool_call_id`);
        }
        const content = message.content === undefined || message.content === null ? "" : contentText(message.content, `${mp}.content`);
        return { role: "tool", name, content, ...(toolCallId && { toolCallId }) };
      }
      case undefined:
        throw new ApiError("missing_required_parameter", `Missing required parameter: '${mp}.role'.`, `${mp}.role`);
      default:
        throw new ApiError("invalid_value", `Invalid value for '${mp}.role': expected one of 'system', 'developer', 'user', 'assistant', 'tool', but got '${String(message.role)}'.`, `${mp}.role`);
    }
  });
}
