/**
 * The structured harmony conversation model, close to openai/harmony's `chat.rs`: messages with an author,
 * an optional recipient, channel and content type, and a list of contents. `render.ts` turns it into
 * prompt parts; `chat-adapter.ts` builds it from the library's `ChatMessage[]`.
 */
import type { JsonSchema, ReasoningEffort } from "../types.js";

/** Author roles of harmony messages. */
export type HarmonyRole = "system" | "developer" | "user" | "assistant" | "tool";

/** The author of a message. A `tool` author needs a `name` (e.g. `functions.get_weather`, `browser.search`). */
export interface HarmonyAuthor {
  role: HarmonyRole;
  /** Rendered as `role:name` for non-tool roles, as the bare name for `tool`. */
  name?: string;
}

/** One tool as rendered in a `namespace … { }` block. */
export interface HarmonyToolDescription {
  name: string;
  /** Every line becomes a `// ` comment above the type. Empty: no comment. */
  description: string;
  /** JSON Schema of the single argument. Absent or null renders `() => any`. */
  parameters?: JsonSchema | null;
}

/** A tool namespace (`functions`, `browser`, `python`, …). */
export interface HarmonyToolNamespace {
  name: string;
  /** Rendered as `// ` lines when the namespace has tools, as plain text when it has none. */
  description?: string | null;
  tools: HarmonyToolDescription[];
}

/** Which channels the model may use (system message `# Valid channels:` line). */
export interface HarmonyChannelConfig {
  validChannels: string[];
  channelRequired: boolean;
}

/**
 * Content of the system message. A field that is `undefined` or `null` is not rendered; use
 * {@link createSystemContent} for the reference defaults.
 */
export interface HarmonySystemContent {
  type: "system";
  modelIdentity?: string | null;
  reasoningEffort?: ReasoningEffort | null;
  knowledgeCutoff?: string | null;
  /** `Current date: …` line, normally `YYYY-MM-DD`. */
  conversationStartDate?: string | null;
  channelConfig?: HarmonyChannelConfig | null;
  /** Namespaces keyed by name; rendered in sorted key order (built-ins `browser`, `python`). */
  tools?: Record<string, HarmonyToolNamespace> | null;
}

/** A structured-output format described in the developer message (`# Response Formats`). */
export interface HarmonyResponseFormat {
  name: string;
  /** Optional `// description` line above the schema. */
  description?: string;
  schema: JsonSchema;
}

/** Content of the developer message. */
export interface HarmonyDeveloperContent {
  type: "developer";
  /** Rendered as `# Instructions\n\n{instructions}`; an empty string still renders the heading. */
  instructions?: string | null;
  /** Namespaces keyed by name; function tools live under `functions`. */
  tools?: Record<string, HarmonyToolNamespace> | null;
  /** Appended as `# Response Formats` (described by OpenAI's docs; not in the reference renderer v0.0.8). */
  responseFormats?: HarmonyResponseFormat[] | null;
}

/** Plain text content. */
export interface HarmonyTextContent {
  type: "text";
  text: string;
}

export type HarmonyContent = HarmonyTextContent | HarmonySystemContent | HarmonyDeveloperContent;

/** One harmony message. */
export interface HarmonyMessage {
  author: HarmonyAuthor;
  /** ` to={recipient}` in the header (omitted for `"all"`); an assistant message with a recipient ends in `<|call|>`. */
  recipient?: string | null;
  channel?: string | null;
  /** ` {contentType}` in the header; a `<|constrain|>` prefix is rendered as the special token. */
  contentType?: string | null;
  /** Contents rendered back to back. A plain string is text content. */
  content: Array<HarmonyContent | string>;
}

/** The reference's default model identity. */
export const DEFAULT_MODEL_IDENTITY = "You are ChatGPT, a large language model trained by OpenAI.";
/** The reference's default knowledge cutoff. */
export const DEFAULT_KNOWLEDGE_CUTOFF = "2024-06";
/** The reference's default reasoning effort. */
export const DEFAULT_REASONING_EFFORT: ReasoningEffort = "medium";
/** The channels gpt-oss uses. */
export const DEFAULT_VALID_CHANNELS: readonly string[] = ["analysis", "commentary", "final"];

/**
 * System content with the reference defaults (`SystemContent::new()`): default identity, cutoff `2024-06`,
 * reasoning `medium`, no date, channels `analysis, commentary, final` (required), no tools.
 */
export function createSystemContent(overrides: Partial<Omit<HarmonySystemContent, "type">> = {}): HarmonySystemContent {
  return {
    type: "system",
    modelIdentity: DEFAULT_MODEL_IDENTITY,
    reasoningEffort: DEFAULT_REASONING_EFFORT,
    knowledgeCutoff: DEFAULT_KNOWLEDGE_CUTOFF,
    conversationStartDate: null,
    channelConfig: { validChannels: [...DEFAULT_VALID_CHANNELS], channelRequired: true },
    tools: null,
    ...overrides,
  };
}
