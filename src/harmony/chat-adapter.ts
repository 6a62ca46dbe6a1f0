/**
 * From the library's `ChatMessage[]` + options to the structured harmony conversation, then to a prompt.
 *
 * Mapping (see README.md for where this differs from the official Jinja template):
 * - one system message (identity, cutoff, optional date, reasoning, channels, built-in tools);
 * - one developer message: `options.instructions`, then the text of every `system`/`developer` chat message in
 *   order (joined by a blank line, `Reasoning: X` lines removed), function tools, response format;
 * - user → `user`; assistant → `analysis` (reasoning), then `final` (content) or, when it has tool calls,
 *   a `commentary` preamble (content) and one `to=functions.NAME … <|constrain|>json` message per call;
 * - tool → `functions.NAME to=assistant<|channel|>commentary` with the result text verbatim.
 */
import type { ChatMessage, FunctionTool, ReasoningEffort, ResponseFormat } from "../types.js";
import { referenceBrowserNamespace, referencePythonNamespace } from "./builtin-tools.js";
import {
  createSystemContent,
  DEFAULT_KNOWLEDGE_CUTOFF,
  DEFAULT_MODEL_IDENTITY,
  type HarmonyDeveloperContent,
  type HarmonyMessage,
  type HarmonyResponseFormat,
  type HarmonyToolNamespace,
} from "./conversation.js";
import type { RenderedPrompt } from "./parts.js";
import { resolveReasoningEffort, stripReasoningLines } from "./reasoning.js";
import { type AnalysisRetention, renderConversationForCompletion } from "./render.js";
import { FUNCTIONS_NAMESPACE, functionsNamespace } from "./tools-section.js";

/** Content type of function-call arguments (`<|constrain|>json` in the header). */
export const FUNCTION_CALL_CONTENT_TYPE = "<|constrain|>json";
/** Name given to a `json_schema` response format without a name. */
export const DEFAULT_RESPONSE_FORMAT_NAME = "response";

export interface HarmonyChatOptions {
  /** Request field; wins over a `Reasoning: X` line in a system message. */
  reasoningEffort?: string | null;
  /** The effort when neither the field nor a system line sets one. Default `"medium"`. */
  defaultReasoningEffort?: ReasoningEffort;
  /** Function tools, rendered as `namespace functions` in the developer message. Default none. */
  tools?: readonly FunctionTool[];
  /** Extra instructions, first in the developer message's `# Instructions`. */
  instructions?: string;
  /** A `json_schema` format is described under `# Response Formats`; other formats render nothing. */
  responseFormat?: ResponseFormat;
  /** Default "You are ChatGPT, a large language model trained by OpenAI." (the text the model was trained on). */
  modelIdentity?: string;
  /** Default `"2024-06"`. */
  knowledgeCutoff?: string;
  /** `Current date:` line: a `YYYY-MM-DD` string or a Date (local calendar date). Default: no date line. */
  currentDate?: string | Date | null;
  /** Built-in tools in the system message: `true` for the reference definition, or your own namespace. Default off. */
  builtinTools?: { browser?: boolean | HarmonyToolNamespace; python?: boolean | HarmonyToolNamespace };
  /** Chain-of-thought retention (default `"openai"`: drop analysis before the last final answer). */
  analysisRetention?: AnalysisRetention;
}

/** `YYYY-MM-DD` of a Date in local time. */
export function formatConversationDate(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function builtinNamespaces(options: HarmonyChatOptions): Record<string, HarmonyToolNamespace> | null {
  const namespaces: Record<string, HarmonyToolNamespace> = {};
  const { browser, python } = options.builtinTools ?? {};
  if (browser) namespaces.browser = browser === true ? referenceBrowserNamespace() : browser;
  if (python) namespaces.python = python === true ? referencePythonNamespace() : python;
  return Object.keys(namespaces).length > 0 ? namespaces : null;
}

function responseFormats(format: ResponseFormat | undefined): HarmonyResponseFormat[] | null {
  if (format?.type !== "json_schema") return null;
  return [{ name: format.name ?? DEFAULT_RESPONSE_FORMAT_NAME, schema: format.schema }];
}

function developerContent(messages: readonly ChatMessage[], options: HarmonyChatOptions): HarmonyDeveloperContent | null {
  const pieces: string[] = [];
  if (options.instructions?.trim()) pieces.push(options.instructions.trim());
  for (const message of messages) {
    if (message.role === "system") pieces.push(stripReasoningLines(message.content));
    else if (message.role === "developer") pieces.push(message.content.trim());
  }
  const instructions = pieces.filter((p) => p.length > 0).join("\n\n");
  const tools = options.tools && options.tools.length > 0 ? { [FUNCTIONS_NAMESPACE]: functionsNamespace(options.tools) } : null;
  const formats = responseFormats(options.responseFormat);
  if (!instructions && !tools && !formats) return null;
  return { type: "developer", instructions: instructions || null, tools, responseFormats: formats };
}

/** Where a tool call went, so its result can be addressed back the same way. */
interface CallRoute {
  recipient: string;
  channel: string;
}

/**
 * Builds the structured harmony conversation (system, developer, then the chat turns) for `messages`.
 * @throws GptOssError `ERR_INVALID_REASONING_EFFORT` for an unknown reasoning effort.
 */
export function chatToHarmonyMessages(messages: readonly ChatMessage[], options: HarmonyChatOptions = {}): HarmonyMessage[] {
  const builtins = builtinNamespaces(options);
  const date = options.currentDate instanceof Date ? formatConversationDate(options.currentDate) : options.currentDate;
  const system = createSystemContent({
    modelIdentity: options.modelIdentity ?? DEFAULT_MODEL_IDENTITY,
    knowledgeCutoff: options.knowledgeCutoff ?? DEFAULT_KNOWLEDGE_CUTOFF,
    conversationStartDate: date ?? null,
    reasoningEffort: resolveReasoningEffort(options.reasoningEffort, messages, options.defaultReasoningEffort),
    tools: builtins,
  });
  const out: HarmonyMessage[] = [{ author: { role: "system" }, content: [system] }];
  const developer = developerContent(messages, options);
  if (developer) out.push({ author: { role: "developer" }, content: [developer] });

  const isBuiltin = (name: string): boolean =>
    (builtins?.python !== undefined && name === "python") || (builtins?.browser !== undefined && name.startsWith("browser."));
  const routeFor = (name: string): CallRoute =>
    isBuiltin(name)
      ? { recipient: name, channel: "analysis" }
      : { recipient: name.startsWith(`${FUNCTIONS_NAMESPACE}.`) ? name : `${FUNCTIONS_NAMESPACE}.${name}`, channel: "commentary" };
  const routesById = new Map<string, CallRoute>();
  let lastRoute: CallRoute | undefined;

  for (const message of messages) {
    switch (message.role) {
      case "system":
      case "developer":
        break; // folded into the developer message above
      case "user":
        out.push({ author: { role: "user" }, content: [message.content] });
        break;
      case "assistant": {
        const calls = message.toolCalls ?? [];
        if (message.reasoning) out.push({ author: { role: "assistant" }, channel: "analysis", content: [message.reasoning] });
        if (calls.length === 0) {
          if (message.content != null || !message.reasoning) {
            out.push({ author: { role: "assistant" }, channel: "final", content: [message.content ?? ""] });
          }
          break;
        }
        if (message.content) out.push({ author: { role: "assistant" }, channel: "commentary", content: [message.content] });
        for (const call of calls) {
          const route = routeFor(call.name);
          routesById.set(call.id, route);
          lastRoute = route;
          out.push({
            author: { role: "assistant" },
            recipient: route.recipient,
            channel: route.channel,
            contentType: isBuiltin(call.name) ? "code" : FUNCTION_CALL_CONTENT_TYPE,
            content: [call.arguments],
          });
        }
        break;
      }
      case "tool": {
        const called = message.toolCallId !== undefined ? routesById.get(message.toolCallId) : undefined;
        const route = message.name ? routeFor(message.name) : (called ?? lastRoute ?? routeFor(""));
        out.push({
          author: { role: "tool", name: route.recipient },
          recipient: "assistant",
          channel: called?.channel ?? route.channel,
          content: [message.content],
        });
        break;
      }
    }
  }
  return out;
}

/**
 * The prompt for the next assistant turn: the conversation rendered and `<|start|>assistant` appended.
 * Use `.renderText()` or `.renderTokens(tokenizer)` on the result.
 * @throws GptOssError `ERR_INVALID_REASONING_EFFORT` for an unknown reasoning effort.
 */
export function renderChatPrompt(messages: readonly ChatMessage[], options: HarmonyChatOptions = {}): RenderedPrompt {
  return renderConversationForCompletion(chatToHarmonyMessages(messages, options), "assistant", {
    analysisRetention: options.analysisRetention,
  });
}
