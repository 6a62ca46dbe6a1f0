// The public API's types, as a user's editor sees them (checked by tsc through vitest's typecheck mode): what
// `loadModel` returns, what options accept and refuse, and the shape of results and stream events.
import { describe, expectTypeOf, it } from "vitest";
import {
  GptOssError,
  loadModel,
  type ChatMessage,
  type ChatResult,
  type EngineStats,
  type ErrorCode,
  type GenerationOptions,
  type Model,
  type StreamEvent,
} from "../../src/index.js";
import { createServer, type GptOssServer, type ServerOptions } from "../../src/server/index.js";

describe("library", () => {
  it("loadModel takes a path and options and gives a Model", () => {
    expectTypeOf(loadModel).parameter(0).toEqualTypeOf<string>();
    expectTypeOf(loadModel).returns.resolves.toEqualTypeOf<Model>();
    expectTypeOf<Parameters<typeof loadModel>[1]>().toMatchTypeOf<{ contextSize?: number; parallel?: number } | undefined>();
  });

  it("chat resolves a ChatResult; stream yields StreamEvents ending in done", () => {
    expectTypeOf<Model["chat"]>().returns.resolves.toEqualTypeOf<ChatResult>();
    expectTypeOf<ReturnType<Model["stream"]>>().toEqualTypeOf<AsyncIterable<StreamEvent>>();
    expectTypeOf<Extract<StreamEvent, { type: "done" }>["result"]>().toEqualTypeOf<ChatResult>();
    expectTypeOf<StreamEvent["type"]>().toEqualTypeOf<"reasoning" | "content" | "tool_call_start" | "tool_call_delta" | "done">();
    expectTypeOf<ChatResult["finishReason"]>().toEqualTypeOf<"stop" | "length" | "tool_calls" | "cancelled">();
  });

  it("options: the three efforts only, defaults as their own object, messages by role", () => {
    expectTypeOf<GenerationOptions["reasoningEffort"]>().toEqualTypeOf<"low" | "medium" | "high" | undefined>();
    expectTypeOf<{ defaults: { maxTokens: number } }>().toMatchTypeOf<GenerationOptions>();
    // @ts-expect-error an effort the model was not trained with
    const bad: GenerationOptions = { reasoningEffort: "max" };
    void bad;
    expectTypeOf<{ role: "tool"; name: string; content: string }>().toMatchTypeOf<ChatMessage>();
    // @ts-expect-error a tool message names its tool
    const anonymous: ChatMessage = { role: "tool", content: "18C" };
    void anonymous;
    expectTypeOf<EngineStats["preemptionsTotal"]>().toEqualTypeOf<number>();
  });

  it("errors carry a typed code", () => {
    expectTypeOf<GptOssError["code"]>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<"ERR_CONTEXT_OVERFLOW">().toMatchTypeOf<ErrorCode>();
  });
});

describe("server", () => {
  it("createServer takes models and library defaults", () => {
    expectTypeOf(createServer).returns.toEqualTypeOf<GptOssServer>();
    expectTypeOf<{ models: []; defaults: { reasoningEffort: "high" } }>().toMatchTypeOf<ServerOptions>();
    expectTypeOf<GptOssServer["listen"]>().returns.resolves.toEqualTypeOf<string>();
  });
});
