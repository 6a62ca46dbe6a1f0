/**
 * `runTools`: the harmony tool loop with JavaScript functions. Each round the model either answers or calls tools;
 * calls are executed and their results fed back as tool messages, with the round's chain of thought kept in the
 * assistant message (the renderer keeps analysis while a tool loop is in progress), until a final answer or
 * `maxRounds`. A tool that throws (or is unknown, or gets arguments that are not JSON) becomes an error result the
 * model sees. Aborting the signal stops the loop with ERR_ABORTED.
 */
import { GptOssError } from "../errors.js";
import { DEFAULTS, LIMITS } from "./defaults.js";
import type {
  ChatMessage,
  ChatResult,
  ExecutableTool,
  FunctionTool,
  Model,
  RunToolsOptions,
  RunToolsResult,
  ToolCall,
  Usage,
} from "./types.js";
import { invalid, optionalInteger, requireObject } from "./validate.js";

function validateExecutableTools(value: unknown): Record<string, ExecutableTool> {
  const tools = requireObject(value, "tools");
  if (Object.keys(tools).length === 0) throw invalid("at least one tool", "tools", value);
  for (const [name, tool] of Object.entries(tools)) {
    const t = requireObject(tool, `tools.${name}`);
    if (typeof t.execute !== "function") throw invalid("function", `tools.${name}.execute`, t.execute);
  }
  return tools as Record<string, ExecutableTool>;
}

/** The text a tool result is fed back as: strings verbatim, anything else as JSON. */
function resultText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "null";
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return JSON.stringify({ error: message });
}

async function execute(call: ToolCall, tools: Record<string, ExecutableTool>, signal: AbortSignal | undefined): Promise<string> {
  const tool = Object.hasOwn(tools, call.name) ? tools[call.name] : undefined;
  if (!tool) return errorText(new Error(`Unknown tool ${JSON.stringify(call.name)}; available: ${Object.keys(tools).join(", ")}`));
  let args: unknown;
  try {
    args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
  } catch {
    return errorText(new Error(`The arguments are not valid JSON: ${call.arguments}`));
  }
  try {
    return resultText(await tool.execute(args, { signal }));
  } catch (error) {
    if (signal?.aborted) throw new GptOssError("ERR_ABORTED", "The tool loop was aborted.", { cause: signal.reason });
    return errorText(error);
  }
}

function addUsage(total: Usage, round: Usage): Usage {
  return {
    promptTokens: total.promptTokens + round.promptTokens,
    completionTokens: total.completionTokens + round.completionTokens,
    reasoningTokens: total.reasoningTokens + round.reasoningTokens,
    cachedPromptTokens: total.cachedPromptTokens + round.cachedPromptTokens,
    totalTokens: total.totalTokens + round.totalTokens,
  };
}

/** Runs the loop on `model`. Usage is summed over all rounds; `toolChoice` applies to the first round only. */
export async function runToolLoop(model: Model, messages: ChatMessage[], optionsInput: RunToolsOptions): Promise<RunToolsResult> {
  const options = requireObject(optionsInput, "options") as unknown as RunToolsOptions;
  const tools = validateExecutableTools(options.tools);
  const maxRounds = optionalInteger(options.maxRounds, "maxRounds", LIMITS.maxRounds) ?? DEFAULTS.maxRounds;
  const { tools: _tools, maxRounds: _maxRounds, ...generation } = options;
  const definitions: FunctionTool[] = Object.entries(tools).map(([name, tool]) => ({
    name,
    ...(tool.description !== undefined && { description: tool.description }),
    ...(tool.parameters !== undefined && { parameters: tool.parameters }),
  }));
  if (!Array.isArray(messages)) throw invalid("non-empty array of messages", "messages", messages);
  const conversation: ChatMessage[] = [...messages];
  let usage: Usage | undefined;
  for (let round = 1; ; round++) {
    const result: ChatResult = await model.chat(conversation, {
      ...generation,
      tools: definitions,
      toolChoice: round === 1 ? generation.toolChoice : "auto",
    });
    usage = usage ? addUsage(usage, result.usage) : result.usage;
    if (result.finishReason !== "tool_calls") {
      if (result.content || result.reasoning) {
        conversation.push({ role: "assistant", content: result.content, reasoning: result.reasoning || null });
      }
      return { ...result, usage, messages: conversation, rounds: round };
    }
    conversation.push({
      role: "assistant",
      content: result.content || null,
      reasoning: result.reasoning || null,
      toolCalls: result.toolCalls,
    });
    if (round >= maxRounds) return { ...result, usage, messages: conversation, rounds: round };
    for (const call of result.toolCalls) {
      if (options.signal?.aborted) throw new GptOssError("ERR_ABORTED", "The tool loop was aborted.", { cause: options.signal.reason });
      const content = await execute(call, tools, options.signal);
      conversation.push({ role: "tool", toolCallId: call.id, name: call.name, content });
    }
  }
}
