/** Library results and stream events → Chat Completions JSON objects and SSE chunks. */
import { randomBytes } from "node:crypto";
import type { ChatResult, FinishReason, StreamEvent, ToolCall, Usage } from "../../chat/types.js";

/** Names under which the chain of thought is sent: `reasoning` (OpenRouter, vLLM ≥ 0.10) and/or `reasoning_content` (llama.cpp, DeepSeek). */
export type ReasoningField = "reasoning" | "reasoning_content";

export interface CompletionMeta {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  excludeReasoning: boolean;
  reasoningFields: readonly ReasoningField[];
}

export function newCompletionId(prefix = "chatcmpl"): string {
  return `${prefix}-${randomBytes(12).toString("hex")}`;
}

/** OpenAI has no "cancelled": a cancelled generation (only seen by clients that are gone) reports "stop". */
export function openAiFinishReason(reason: FinishReason): "stop" | "length" | "tool_calls" {
  return reason === "cancelled" ? "stop" : reason;
}

export function openAiUsage(usage: Usage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedPromptTokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}

function openAiToolCalls(calls: ToolCall[]) {
  return calls.map((call) => ({ id: call.id, type: "function" as const, function: { name: call.name, arguments: call.arguments } }));
}

function reasoningFieldsOf(text: string, meta: CompletionMeta): Record<string, string> {
  if (meta.excludeReasoning || text === "") return {};
  return Object.fromEntries(meta.reasoningFields.map((field) => [field, text]));
}

/** The non-streaming `chat.completion` object. */
export function toChatCompletion(result: ChatResult, meta: CompletionMeta) {
  const hasToolCalls = result.toolCalls.length > 0;
  return {
    id: meta.id,
    object: "chat.completion" as const,
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant" as const,
          content: hasToolCalls && result.content === "" ? null : result.content,
          ...reasoningFieldsOf(result.reasoning, meta),
          ...(hasToolCalls && { tool_calls: openAiToolCalls(result.toolCalls) }),
          refusal: null,
        },
        logprobs: null,
        finish_reason: openAiFinishReason(result.finishReason),
      },
    ],
    usage: openAiUsage(result.usage),
  };
}

/** Builds `chat.completion.chunk` objects for one streamed completion. */
export class ChatChunkBuilder {
  constructor(private readonly meta: CompletionMeta) {}

  private chunk(delta: Record<string, unknown>, finishReason: string | null = null) {
    return {
      id: this.meta.id,
      object: "chat.completion.chunk" as const,
      created: this.meta.created,
      model: this.meta.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
  }

  /** The first chunk: carries the role. */
  roleChunk() {
    return this.chunk({ role: "assistant", content: "" });
  }

  /** The chunk for one library event, or null when the event sends nothing (done, excluded reasoning). */
  eventChunk(event: StreamEvent) {
    switch (event.type) {
      case "reasoning": {
        const fields = reasoningFieldsOf(event.delta, this.meta);
        return Object.keys(fields).length ? this.chunk(fields) : null;
      }
      case "content":
        return event.delta === "" ? null : this.chunk({ content: event.delta });
      case "tool_call_start":
        return this.chunk({
          tool_calls: [{ index: event.index, id: event.id, type: "function", function: { name: event.name, arguments: "" } }],
        });
      case "tool_call_delta":
        return this.chunk({ tool_calls: [{ index: event.index, function: { arguments: event.delta } }] });
      case "done":
        return null;
    }
  }

  finishChunk(result: ChatResult) {
    return this.chunk({}, openAiFinishReason(result.finishReason));
  }

  usageChunk(result: ChatResult) {
    return { id: this.meta.id, object: "chat.completion.chunk" as const, created: this.meta.created, model: this.meta.model, choices: [], usage: openAiUsage(result.usage) };
  }
}
