/**
 * `gpt-oss-node/harmony`: the harmony chat format of gpt-oss.
 *
 * - Render a conversation to a prompt: {@link renderChatPrompt} for the library's `ChatMessage[]`, or
 *   {@link renderConversationForCompletion} for the structured {@link HarmonyMessage} model. The result gives
 *   `renderText()` (special tokens as literal text) and `renderTokens(encoder)` (text encoded as plain text,
 *   special tokens as ids: user text that looks like `<|start|>` stays text).
 * - Parse what the model generates: {@link HarmonyStreamParser} (ids in, typed events out) or
 *   {@link parseCompletion} for a whole completion.
 *
 * @example
 * ```ts
 * const prompt = renderChatPrompt([{ role: "user", content: "Hi" }], { reasoningEffort: "low" });
 * const ids = prompt.renderTokens(tokenizer); // ends with <|start|>assistant
 * const parser = new HarmonyStreamParser(tokenizer);
 * for (const id of generated) for (const event of parser.push(id)) console.log(event);
 * ```
 * @module
 */
export {
  createSystemContent,
  DEFAULT_KNOWLEDGE_CUTOFF,
  DEFAULT_MODEL_IDENTITY,
  DEFAULT_REASONING_EFFORT,
  DEFAULT_VALID_CHANNELS,
  type HarmonyAuthor,
  type HarmonyChannelConfig,
  type HarmonyContent,
  type HarmonyDeveloperContent,
  type HarmonyMessage,
  type HarmonyResponseFormat,
  type HarmonyRole,
  type HarmonySystemContent,
  type HarmonyTextContent,
  type HarmonyToolDescription,
  type HarmonyToolNamespace,
} from "./conversation.js";
export {
  partsToText,
  partsToTokens,
  type PlainTextEncoder,
  type PromptPart,
  RenderedPrompt,
  type SpecialPart,
  type TextPart,
} from "./parts.js";
export {
  type AnalysisRetention,
  assistantHeaderParts,
  droppedAnalysisIndices,
  renderConversation,
  renderConversationForCompletion,
  renderConversationForTraining,
  renderDeveloperContent,
  type RenderOptions,
  renderSystemContent,
} from "./render.js";
export { jsonSchemaToTypeScript } from "./schema-to-typescript.js";
export { FUNCTIONS_NAMESPACE, functionsNamespace, renderToolsSection } from "./tools-section.js";
export { referenceBrowserNamespace, referencePythonNamespace } from "./builtin-tools.js";
export { parseReasoningEffort, REASONING_EFFORTS, resolveReasoningEffort } from "./reasoning.js";
export {
  chatToHarmonyMessages,
  DEFAULT_RESPONSE_FORMAT_NAME,
  formatConversationDate,
  FUNCTION_CALL_CONTENT_TYPE,
  type HarmonyChatOptions,
  renderChatPrompt,
} from "./chat-adapter.js";
export type { HarmonyMessageHeader } from "./header.js";
export {
  type HarmonyParserEvent,
  type HarmonyParserOptions,
  HarmonyStreamParser,
  type MessageEndReason,
  type MessageKind,
  randomToolCallId,
  type TokenDecoderSource,
  type TokenTextDecoder,
} from "./parser.js";
export {
  HarmonyCompletionCollector,
  type ParsedCompletion,
  type ParsedMessage,
  type ParsedToolCall,
  parseCompletion,
} from "./completion.js";
export { ASSISTANT_STOP_TOKENS, ASSISTANT_TURN_PREFIX } from "./constants.js";
