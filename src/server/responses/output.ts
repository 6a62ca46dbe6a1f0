/**
 * Builds a Responses API `response` object from library stream events, emitting the streaming events
 * (`response.created`, `response.output_item.added`, `response.reasoning_text.delta`,
 * `response.output_text.delta`, `response.function_call_arguments.delta`, `response.output_item.done`,
 * `response.completed`, …) with increasing `sequence_number`s. The non-streaming path runs the same builder
 * with no listener, so both paths produce identical objects.
 */
import { randomBytes } from "node:crypto";
import type { ChatResult, ReasoningEffort, StreamEvent } from "../../chat/types.js";

export type ResponseEvent = Record<string, unknown> & { type: string; sequence_number: number };

type ReasoningItem = { type: "reasoning"; id: string; summary: []; content: Array<{ type: "reasoning_text"; text: string }> };
type MessageItem = {
  type: "message";
  id: string;
  status: "in_progress" | "completed" | "incomplete";
  role: "assistant";
  content: Array<{ type: "output_text"; text: string; annotations: []; logprobs: [] }>;
};
type FunctionCallItem = { type: "function_call"; id: string; call_id: string; name: string; arguments: string; status: "in_progress" | "completed" };
export type OutputItem = ReasoningItem | MessageItem | FunctionCallItem;

export interface ResponseHeader {
  model: string;
  instructions: string | null;
  previousResponseId: string | null;
  reasoningEffort: ReasoningEffort;
  temperature: number | null;
  topP: number | null;
  store: boolean;
  echo: { tools: unknown[]; toolChoice: unknown; textFormat: unknown; maxOutputTokens: number | null; metadata: unknown };
}

export const newItemId = (prefix: string): string => `${prefix}_${randomBytes(12).toString("hex")}`;

export class ResponseBuilder {
  readonly id = newItemId("resp");
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly output: OutputItem[] = [];
  private current: OutputItem | undefined;
  private sequence = 0;
  private result: ChatResult | undefined;

  constructor(
    private readonly header: ResponseHeader,
    /** Receives each streaming event (omit for a non-streaming response). */
    private readonly emit: (event: ResponseEvent) => void = () => {},
  ) {}

  private send(type: string, fields: Record<string, unknown>): void {
    this.emit({ type, sequence_number: this.sequence++, ...fields });
  }

  private get outputIndex(): number {
    return this.output.length - 1;
  }

  /** `response.created` and `response.in_progress`. */
  start(): void {
    this.send("response.created", { response: this.snapshot("in_progress") });
    this.send("response.in_progress", { response: this.snapshot("in_progress") });
  }

  /** Feeds one library event. */
  push(event: StreamEvent): void {
    switch (event.type) {
      case "reasoning": {
        if (event.delta === "") return;
        const item = this.current?.type === "reasoning" ? this.current : this.open({ type: "reasoning", id: newItemId("rs"), summary: [], content: [] });
        if (item.content.length === 0) {
          item.content.push({ type: "reasoning_text", text: "" });
          this.send("response.content_part.added", { item_id: item.id, output_index: this.outputIndex, content_index: 0, part: { type: "reasoning_text", text: "" } });
        }
        item.content[0].text += event.delta;
        this.send("response.reasoning_text.delta", { item_id: item.id, output_index: this.outputIndex, content_index: 0, delta: event.delta });
        return;
      }
      case "content": {
        if (event.delta === "") return;
        const item = this.current?.type === "message" ? this.current : this.open({ type: "message", id: newItemId("msg"), status: "in_progress", role: "assistant", content: [] });
        if (item.content.length === 0) {
          item.content.push({ type: "output_text", text: "", annotations: [], logprobs: [] });
          this.send("response.content_part.added", { item_id: item.id, output_index: this.outputIndex, content_index: 0, part: { type: "output_text", text: "", annotations: [] } });
        }
        item.content[0].text += event.delta;
        this.send("response.output_text.delta", { item_id: item.id, output_index: this.outputIndex, content_index: 0, delta: event.delta, logprobs: [] });
        return;
      }
      case "tool_call_start":
        this.open({ type: "function_call", id: newItemId("fc"), call_id: event.id, name: event.name, arguments: "", status: "in_progress" });
        return;
      case "tool_call_delta": {
        if (this.current?.type !== "function_call") return;
        this.current.arguments += event.delta;
        this.send("response.function_call_arguments.delta", { item_id: this.current.id, output_index: this.outputIndex, delta: event.delta });
        return;
      }
      case "done":
        this.closeCurrent();
        this.result = event.result;
        this.send(this.status === "completed" ? "response.completed" : "response.incomplete", { response: this.snapshot(this.status) });
        return;
    }
  }

  /** An `error` event; the stream ends after it. */
  fail(error: { code: string; message: string; param: string | null }): void {
    this.send("error", { code: error.code, message: error.message, param: error.param });
  }

  private get status(): "completed" | "incomplete" {
    return this.result?.finishReason === "length" ? "incomplete" : "completed";
  }

  private open<T extends OutputItem>(item: T): T {
    this.closeCurrent();
    this.output.push(item);
    this.current = item;
    this.send("response.output_item.added", { output_index: this.outputIndex, item: structuredClone(item) });
    return item;
  }

  private closeCurrent(): void {
    const item = this.current;
    if (!item) return;
    this.current = undefined;
    const base = { item_id: item.id, output_index: this.outputIndex };
    if (item.type === "reasoning" && item.content.length) {
      this.send("response.reasoning_text.done", { ...base, content_index: 0, text: item.content[0].text });
      this.send("response.content_part.done", { ...base, content_index: 0, part: item.content[0] });
    } else if (item.type === "message") {
      item.status = "completed";
      const part = item.content[0];
      this.send("response.output_text.done", { ...base, content_index: 0, text: part.text, logprobs: [] });
      this.send("response.content_part.done", { ...base, content_index: 0, part });
    } else if (item.type === "function_call") {
      item.status = "completed";
      this.send("response.function_call_arguments.done", { ...base, name: item.name, arguments: item.arguments });
    }
    this.send("response.output_item.done", { output_index: this.outputIndex, item: structuredClone(item) });
  }

  /** The `response` object in its current state. */
  snapshot(status: "in_progress" | "completed" | "incomplete" = this.result ? this.status : "in_progress") {
    const usage = this.result?.usage;
    const { header, result } = this;
    return {
      id: this.id,
      object: "response" as const,
      created_at: this.createdAt,
      status,
      error: null,
      incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
      instructions: header.instructions,
      max_output_tokens: header.echo.maxOutputTokens,
      model: header.model,
      output: structuredClone(this.output),
      output_text: result ? this.output.flatMap((item) => (item.type === "message" ? item.content.map((c) => c.text) : [])).join("") : "",
      parallel_tool_calls: true,
      previous_response_id: header.previousResponseId,
      reasoning: { effort: header.reasoningEffort, summary: null },
      store: header.store,
      temperature: header.temperature,
      text: { format: header.echo.textFormat },
      tool_choice: header.echo.toolChoice,
      tools: header.echo.tools,
      top_p: header.topP,
      metadata: header.echo.metadata,
      usage: usage
        ? {
            input_tokens: usage.promptTokens,
            input_tokens_details: { cached_tokens: usage.cachedPromptTokens },
            output_tokens: usage.completionTokens,
            output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
            total_tokens: usage.totalTokens,
          }
        : null,
    };
  }
}
