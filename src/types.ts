/**
 * The shared vocabulary of every layer: messages, tools, schemas, reasoning effort, results and stream events,
 * and the tool-name rule. The ground floor: it imports nothing, so harmony, the engine and the public API can all
 * stand on it (and the published `gpt-oss-node/harmony` types do not depend on the library's API file).
 */

export type ReasoningEffort = "low" | "medium" | "high";

/** JSON Schema as accepted for tool parameters and structured output. */
export type JsonSchema = Record<string, unknown>;

export interface ToolCall {
  /** Stable id for this call (e.g. "call_abc123"); echoed back on the tool result message. */
  id: string;
  name: string;
  /** Arguments exactly as the model produced them (JSON text). */
  arguments: string;
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "developer"; content: string }
  | { role: "user"; content: string }
  | {
      role: "assistant";
      content?: string | null;
      /** Chain of thought of this turn (kept while a tool call is pending, dropped after a final answer). */
      reasoning?: string | null;
      toolCalls?: ToolCall[];
    }
  | { role: "tool"; toolCallId?: string; name: string; content: string };

export interface FunctionTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters?: JsonSchema;
}

export type ToolChoice = "auto" | "none" | "required" | { name: string };

export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; name?: string; schema: JsonSchema; strict?: boolean };

export type FinishReason = "stop" | "length" | "tool_calls" | "cancelled";

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  /** Prompt tokens served from the KV cache (prefix reuse). */
  cachedPromptTokens: number;
  totalTokens: number;
}

export interface ChatResult {
  content: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** The parsed JSON when responseFormat asked for JSON. */
  parsed?: unknown;
}

export type StreamEvent =
  | { type: "reasoning"; delta: string }
  | { type: "content"; delta: string }
  | { type: "tool_call_start"; index: number; id: string; name: string }
  | { type: "tool_call_delta"; index: number; delta: string }
  | { type: "done"; result: ChatResult };

/** What a function tool may be called: 1-64 letters, digits, '_' or '-' (OpenAI's rule). */
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
