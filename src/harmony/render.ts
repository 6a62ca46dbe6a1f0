/**
 * Harmony renderer for the structured conversation model (openai/harmony `encoding.rs`, FORMAT.md §1):
 * `<|start|>{header}<|message|>{content}<|end|>` per message, with the chain-of-thought filter (§1.8).
 */
import { GptOssError } from "../errors.js";
import type {
  HarmonyContent,
  HarmonyDeveloperContent,
  HarmonyMessage,
  HarmonyRole,
  HarmonySystemContent,
  HarmonyToolNamespace,
} from "./conversation.js";
import { type PromptPart, RenderedPrompt, special, text } from "./parts.js";
import { FUNCTIONS_NAMESPACE, renderToolsSection } from "./tools-section.js";

/**
 * Which earlier `analysis` (chain-of-thought) messages a prompt keeps.
 * - `"openai"` (default): OpenAI's guidance — drop every analysis message before the last assistant
 *   `final` message; analysis after it (a tool loop in progress) is kept.
 * - `"harmony-reference"`: openai/harmony v0.0.8's own rule, for byte parity with its vectors — only when the
 *   last assistant message is `final`, drop analysis before the *first* `final` message.
 * - `"keep"`: drop nothing (the reference's `auto_drop_analysis: false`).
 */
export type AnalysisRetention = "openai" | "harmony-reference" | "keep";

export interface RenderOptions {
  /** Default `"openai"`. */
  analysisRetention?: AnalysisRetention;
}

const CONSTRAIN_PREFIX = "<|constrain|>";
const FUNCTION_CHANNEL_LINE = "Calls to these tools must go to the commentary channel: 'functions'.";

function hasEntries(tools: Record<string, HarmonyToolNamespace> | null | undefined): tools is Record<string, HarmonyToolNamespace> {
  return tools != null && Object.keys(tools).length > 0;
}

/** True when a developer message defines a non-empty `functions` namespace (this triggers the routing line). */
function conversationHasFunctionTools(messages: readonly HarmonyMessage[]): boolean {
  return messages.some((message) =>
    message.content.some(
      (content) => typeof content !== "string" && content.type === "developer" && (content.tools?.[FUNCTIONS_NAMESPACE]?.tools.length ?? 0) > 0,
    ),
  );
}

/** The text of a system message's content (§1.3). */
export function renderSystemContent(content: HarmonySystemContent, hasFunctionTools: boolean): string {
  const sections: string[] = [];
  const top: string[] = [];
  if (content.modelIdentity != null) top.push(content.modelIdentity);
  if (content.knowledgeCutoff != null) top.push(`Knowledge cutoff: ${content.knowledgeCutoff}`);
  if (content.conversationStartDate != null) top.push(`Current date: ${content.conversationStartDate}`);
  if (top.length > 0) sections.push(top.join("\n"));
  if (content.reasoningEffort != null) sections.push(`Reasoning: ${content.reasoningEffort}`);
  if (hasEntries(content.tools)) sections.push(renderToolsSection(content.tools));
  const channels = content.channelConfig;
  if (channels != null && channels.validChannels.length > 0) {
    let line = `# Valid channels: ${channels.validChannels.join(", ")}.`;
    if (channels.channelRequired) line += " Channel must be included for every message.";
    if (hasFunctionTools) line += `\n${FUNCTION_CHANNEL_LINE}`;
    sections.push(line);
  }
  return sections.join("\n\n");
}

/** The text of a developer message's content (§1.4), `# Response Formats` last. */
export function renderDeveloperContent(content: HarmonyDeveloperContent): string {
  const sections: string[] = [];
  if (content.instructions != null) sections.push("# Instructions", content.instructions);
  if (hasEntries(content.tools)) sections.push(renderToolsSection(content.tools));
  if (content.responseFormats != null && content.responseFormats.length > 0) {
    sections.push("# Response Formats");
    for (const format of content.responseFormats) {
      const comment = format.description ? `// ${format.description}\n` : "";
      sections.push(`## ${format.name}`, `${comment}${JSON.stringify(format.schema)}`);
    }
  }
  return sections.join("\n\n");
}

function renderContent(content: HarmonyContent | string, role: HarmonyRole, hasFunctionTools: boolean): string {
  if (typeof content === "string") return content;
  switch (content.type) {
    case "text":
      return content.text;
    case "system":
      if (role !== "system") throw new GptOssError("ERR_INVALID_ARGUMENT", `system content is only allowed in a system message, not ${role}`);
      return renderSystemContent(content, hasFunctionTools);
    case "developer":
      if (role !== "developer") throw new GptOssError("ERR_INVALID_ARGUMENT", `developer content is only allowed in a developer message, not ${role}`);
      return renderDeveloperContent(content);
  }
}

/** Header parts: author, ` to=recipient`, `<|channel|>channel`, content type (§1.1). */
function renderHeader(message: HarmonyMessage, out: PromptPart[]): void {
  const { role, name } = message.author;
  if (role === "tool") {
    if (!name) throw new GptOssError("ERR_INVALID_ARGUMENT", "a tool message needs an author name (e.g. functions.get_weather)");
    out.push(text(name));
  } else {
    out.push(text(name ? `${role}:${name}` : role));
  }
  if (message.recipient != null && message.recipient !== "all") out.push(text(` to=${message.recipient}`));
  if (message.channel != null) out.push(special("channel"), text(message.channel));
  appendContentType(message.contentType, out);
}

function appendContentType(contentType: string | null | undefined, out: PromptPart[]): void {
  if (contentType == null) return;
  if (contentType.startsWith(CONSTRAIN_PREFIX)) {
    out.push(text(" "), special("constrain"));
    const rest = contentType.slice(CONSTRAIN_PREFIX.length);
    if (rest.length > 0) out.push(text(rest));
  } else {
    out.push(text(` ${contentType}`));
  }
}

function renderMessageInto(message: HarmonyMessage, hasFunctionTools: boolean, out: PromptPart[]): void {
  out.push(special("start"));
  renderHeader(message, out);
  out.push(special("message"));
  for (const content of message.content) {
    const rendered = renderContent(content, message.author.role, hasFunctionTools);
    if (rendered.length > 0) out.push(text(rendered));
  }
  const isCall = message.author.role === "assistant" && message.recipient != null;
  out.push(special(isCall ? "call" : "end"));
}

/** Indices of the messages the chain-of-thought rule removes. */
export function droppedAnalysisIndices(messages: readonly HarmonyMessage[], retention: AnalysisRetention): Set<number> {
  const dropped = new Set<number>();
  if (retention === "keep") return dropped;
  const isFinal = (m: HarmonyMessage): boolean => m.channel === "final";
  let lastAssistant = -1;
  let lastFinalAssistant = -1;
  messages.forEach((m, i) => {
    if (m.author.role !== "assistant") return;
    lastAssistant = i;
    if (isFinal(m)) lastFinalAssistant = i;
  });
  let cutoff: number;
  if (retention === "openai") {
    cutoff = lastFinalAssistant;
  } else {
    if (lastAssistant < 0 || !isFinal(messages[lastAssistant]!)) return dropped;
    cutoff = messages.findIndex(isFinal);
  }
  for (let i = 0; i < cutoff; i++) if (messages[i]!.channel === "analysis") dropped.add(i);
  return dropped;
}

/** Renders every message (after the chain-of-thought filter), with no generation prompt. */
export function renderConversation(messages: readonly HarmonyMessage[], options: RenderOptions = {}): RenderedPrompt {
  return new RenderedPrompt(renderConversationParts(messages, options));
}

/** Renders the conversation and appends `<|start|>{nextRole}` (`<|start|>assistant` for sampling). */
export function renderConversationForCompletion(
  messages: readonly HarmonyMessage[],
  nextRole: HarmonyRole = "assistant",
  options: RenderOptions = {},
): RenderedPrompt {
  const parts = renderConversationParts(messages, options);
  parts.push(special("start"), text(nextRole));
  return new RenderedPrompt(parts);
}

/** Renders the conversation; when the last message is an assistant `final`, its `<|end|>` becomes `<|return|>`. */
export function renderConversationForTraining(messages: readonly HarmonyMessage[], options: RenderOptions = {}): RenderedPrompt {
  const parts = renderConversationParts(messages, options);
  const last = messages[messages.length - 1];
  if (last?.author.role === "assistant" && last.channel === "final") parts[parts.length - 1] = special("return");
  return new RenderedPrompt(parts);
}

function renderConversationParts(messages: readonly HarmonyMessage[], options: RenderOptions): PromptPart[] {
  const dropped = droppedAnalysisIndices(messages, options.analysisRetention ?? "openai");
  const hasFunctionTools = conversationHasFunctionTools(messages);
  const parts: PromptPart[] = [];
  messages.forEach((message, i) => {
    if (!dropped.has(i)) renderMessageInto(message, hasFunctionTools, parts);
  });
  return parts;
}

/**
 * Header continuation parts the engine can append after `<|start|>assistant` to force a channel, e.g.
 * `<|channel|>final<|message|>` or `<|channel|>final <|constrain|>json<|message|>`.
 */
export function assistantHeaderParts(channel: string, contentType?: string): RenderedPrompt {
  const parts: PromptPart[] = [special("channel"), text(channel)];
  appendContentType(contentType, parts);
  parts.push(special("message"));
  return new RenderedPrompt(parts);
}
