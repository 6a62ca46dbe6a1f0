/**
 * GenerationOptions → everything the engine needs for one assistant turn: the rendered prompt, sampling
 * parameters, turn rules (tools, tool choice, grammars, reasoning budget, stop strings) and the output checks.
 * Every option is validated here, before any work.
 */
import { assertGrammarUsable } from "../../grammar/gbnf-check.js";
import { jsonObjectGrammar, jsonSchemaToGrammar } from "../../grammar/json-schema-grammar.js";
import { limitName, SCHEMA_LIMITS } from "../../grammar/json-schema.js";
import { GptOssError } from "../../errors.js";
import { randomSeed, type SamplingParams } from "../../engine/sampling.js";
import type { TurnRules } from "./turn-policy.js";
import { renderChatPrompt } from "../../harmony/index.js";
import type { Tokenizer } from "../../tokenizer/index.js";
import { DEFAULTS, LIMITS } from "../defaults.js";
import { parseReasoningEffort } from "../../harmony/reasoning.js";
import { TOOL_NAME } from "../../types.js";
import type { ChatMessage, FunctionTool, GenerationDefaults, GenerationOptions, JsonSchema, ResponseFormat, ToolChoice } from "../types.js";
import {
  invalid,
  optionalChoice,
  optionalInteger,
  optionalNumber,
  optionalSignal,
  optionalString,
  rejectUnknownKeys,
  requireObject,
} from "../validate.js";

/** A resolved turn, ready for `Engine.generate`. */
export interface TurnRequest {
  prompt: number[];
  /** The caller's own limit (the engine refuses one that cannot fit with the prompt). */
  maxTokens?: number;
  /** The limit when the caller set none (the engine caps it to the room the prompt leaves). */
  defaultMaxTokens: number;
  sampling: SamplingParams;
  rules: TurnRules;
  /** JSON output expected (response format json_object / json_schema); the schema when one was given. */
  json?: { schema?: JsonSchema };
  signal?: AbortSignal;
}

/** What resolving a turn needs from the model. */
export interface TurnContext {
  tokenizer: Tokenizer;
  /** Special tokens the model may never sample. */
  bannedTokens: readonly number[];
}

const ROLES = ["system", "developer", "user", "assistant", "tool"] as const;

function validateMessages(messages: unknown): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw invalid("non-empty array of messages", "messages", messages);
  messages.forEach((message, i) => {
    const name = `messages[${i}]`;
    const m = requireObject(message, name);
    if (!ROLES.includes(m.role as (typeof ROLES)[number])) throw invalid(`one of ${ROLES.join(", ")}`, `${name}.role`, m.role);
    if (m.role === "assistant") {
      if (m.content !== undefined && m.content !== null) optionalString(m.content, `${name}.content`);
      if (m.reasoning !== undefined && m.reasoning !== null) optionalString(m.reasoning, `${name}.reasoning`);
      if (m.toolCalls !== undefined) {
        if (!Array.isArray(m.toolCalls)) throw invalid("array", `${name}.toolCalls`, m.toolCalls);
        m.toolCalls.forEach((call: unknown, k: number) => {
          const c = requireObject(call, `${name}.toolCalls[${k}]`);
          for (const key of ["id", "name", "arguments"]) {
            if (typeof c[key] !== "string") throw invalid("string", `${name}.toolCalls[${k}].${key}`, c[key]);
          }
        });
      }
    } else if (typeof m.content !== "string") {
      throw invalid("string", `${name}.content`, m.content);
    }
    if (m.role === "tool") optionalString(m.name, `${name}.name`);
  });
  return messages as ChatMessage[];
}

function validateTools(tools: unknown): FunctionTool[] {
  if (tools === undefined) return [];
  if (!Array.isArray(tools)) throw invalid("array of tools", "tools", tools);
  const names = new Set<string>();
  return tools.map((tool, i) => {
    const t = requireObject(tool, `tools[${i}]`);
    if (typeof t.name !== "string" || !TOOL_NAME.test(t.name)) {
      throw invalid("name of 1 to 64 letters, digits, _ or -", `tools[${i}].name`, t.name);
    }
    if (names.has(t.name)) throw invalid("unique tool names", `tools[${i}].name`, t.name);
    names.add(t.name);
    optionalString(t.description, `tools[${i}].description`);
    if (t.parameters !== undefined) requireObject(t.parameters, `tools[${i}].parameters`);
    return t as unknown as FunctionTool;
  });
}

function validateToolChoice(value: unknown, tools: FunctionTool[]): ToolChoice {
  if (value === undefined) return "auto";
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const name = (value as { name?: unknown }).name;
    if (typeof name !== "string" || !tools.some((t) => t.name === name)) {
      throw invalid(`the name of one of the tools (${tools.map((t) => t.name).join(", ") || "none given"})`, "toolChoice.name", name);
    }
    return { name };
  }
  const choice = optionalChoice(value, "toolChoice", ["auto", "none", "required"] as const)!;
  if (choice === "required" && tools.length === 0) throw invalid("tools to go with toolChoice \"required\"", "tools", undefined);
  return choice;
}

function validateStop(value: unknown): string[] {
  if (value === undefined) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string" && s.length > 0)) {
    throw invalid("non-empty string or array of non-empty strings", "stop", value);
  }
  return list;
}

/** GBNF for the final answer, from `responseFormat` or `grammar` (not both). */
function finalFormat(options: GenerationOptions): { grammar?: string; json?: { schema?: JsonSchema } } {
  const grammar = optionalString(options.grammar, "grammar");
  const format = options.responseFormat === undefined ? undefined : (requireObject(options.responseFormat, "responseFormat") as ResponseFormat);
  if (format === undefined || format.type === "text") {
    if (grammar) assertGrammarUsable(grammar); // what llama.cpp's parser does not survive, or takes long over
    return grammar ? { grammar } : {};
  }
  if (grammar !== undefined) throw invalid("either responseFormat or grammar, not both", "grammar", grammar);
  if (format.type === "json_object") return { grammar: jsonObjectGrammar(), json: {} };
  if (format.type === "json_schema") {
    const schema = requireObject(format.schema, "responseFormat.schema");
    return { grammar: jsonSchemaToGrammar(schema), json: { schema } };
  }
  throw invalid('responseFormat.type "text", "json_object" or "json_schema"', "responseFormat.type", (format as { type: unknown }).type);
}

/**
 * Each tool's argument grammar (a tool without parameters takes any object), checked before anything renders the
 * schemas, together with the answer's grammar within SCHEMA_LIMITS.maxRequestGrammarBytes.
 * @throws GptOssError ERR_SCHEMA_INVALID naming the tool.
 */
function toolGrammarsOf(tools: readonly FunctionTool[], finalGrammar: string | undefined): Map<string, string> {
  const grammars = new Map<string, string>();
  let bytes = finalGrammar === undefined ? 0 : Buffer.byteLength(finalGrammar);
  tools.forEach((tool, i) => {
    let grammar: string;
    try {
      grammar = tool.parameters ? jsonSchemaToGrammar(tool.parameters) : jsonObjectGrammar();
    } catch (error) {
      if (!(error instanceof GptOssError)) throw error;
      throw new GptOssError(error.code, `tools[${i}] (${tool.name}) parameters: ${error.message}`, { cause: error });
    }
    bytes += Buffer.byteLength(grammar);
    if (bytes > SCHEMA_LIMITS.maxRequestGrammarBytes) {
      throw new GptOssError(
        "ERR_SCHEMA_INVALID",
        `tools[${i}] (${tool.name}) parameters: the grammars of this request's schemas take more than ${SCHEMA_LIMITS.maxRequestGrammarBytes} bytes together, over the limit (${limitName("maxRequestGrammarBytes")}).`,
      );
    }
    grammars.set(tool.name, grammar);
  });
  return grammars;
}

const DEFAULTS_KEYS = ["maxTokens", "temperature", "topP", "reasoningEffort"] as const;

/** `options.defaults` over the library's own: the values a request gets for what it leaves out. */
function resolveDefaults(input: unknown): Required<GenerationDefaults> {
  const given = input === undefined ? {} : requireObject(input, "defaults");
  rejectUnknownKeys(given, DEFAULTS_KEYS, "defaults");
  return {
    maxTokens: optionalInteger(given.maxTokens, "defaults.maxTokens", LIMITS.maxTokens) ?? DEFAULTS.maxTokens,
    temperature: optionalNumber(given.temperature, "defaults.temperature", LIMITS.temperature) ?? DEFAULTS.temperature,
    topP: optionalNumber(given.topP, "defaults.topP", LIMITS.topP) ?? DEFAULTS.topP,
    reasoningEffort: given.reasoningEffort === undefined ? DEFAULTS.reasoningEffort : parseReasoningEffort(given.reasoningEffort, "defaults.reasoningEffort"),
  };
}

/**
 * Validates `options` and builds the turn. Whether the prompt and `maxTokens` fit in the context is the
 * engine's to check (it owns the pool).
 * @throws GptOssError ERR_INVALID_ARGUMENT (any option), ERR_SCHEMA_INVALID (a schema outside the supported subset),
 *   ERR_INVALID_REASONING_EFFORT.
 */
export function resolveTurn(messagesInput: unknown, optionsInput: unknown, context: TurnContext): TurnRequest {
  const messages = validateMessages(messagesInput);
  const options = (optionsInput === undefined ? {} : requireObject(optionsInput, "options")) as GenerationOptions;
  const defaults = resolveDefaults(options.defaults);
  const maxReasoningTokens = optionalInteger(options.maxReasoningTokens, "maxReasoningTokens", LIMITS.maxReasoningTokens);
  const tools = validateTools(options.tools);
  const toolChoice = validateToolChoice(options.toolChoice, tools);
  const format = finalFormat(options);
  const explicitMaxTokens = optionalInteger(options.maxTokens, "maxTokens", LIMITS.maxTokens);
  const signal = optionalSignal(options.signal, "signal");
  const sampling: SamplingParams = {
    temperature: optionalNumber(options.temperature, "temperature", LIMITS.temperature) ?? defaults.temperature,
    topP: optionalNumber(options.topP, "topP", LIMITS.topP) ?? defaults.topP,
    topK: optionalInteger(options.topK, "topK", LIMITS.topK) ?? DEFAULTS.topK,
    minP: optionalNumber(options.minP, "minP", LIMITS.minP) ?? DEFAULTS.minP,
    seed: optionalInteger(options.seed, "seed", LIMITS.seed) ?? randomSeed(),
    frequencyPenalty: optionalNumber(options.frequencyPenalty, "frequencyPenalty", LIMITS.penalty) ?? DEFAULTS.frequencyPenalty,
    presencePenalty: optionalNumber(options.presencePenalty, "presencePenalty", LIMITS.penalty) ?? DEFAULTS.presencePenalty,
    bannedTokens: context.bannedTokens,
  };
  const stop = validateStop(options.stop);
  const instructions = optionalString(options.instructions, "instructions");
  // Before rendering: the prompt shows the schemas, which must have passed their checks (depth, size) first.
  const toolGrammars = toolGrammarsOf(tools, format.grammar);

  const prompt = renderChatPrompt(messages, {
    reasoningEffort: options.reasoningEffort ?? null,
    defaultReasoningEffort: defaults.reasoningEffort,
    tools,
    instructions,
    responseFormat: options.responseFormat,
  }).renderTokens(context.tokenizer);

  return {
    prompt,
    ...(explicitMaxTokens !== undefined && { maxTokens: explicitMaxTokens }),
    defaultMaxTokens: defaults.maxTokens,
    sampling,
    rules: {
      tools: toolGrammars,
      toolChoice: tools.length === 0 ? "auto" : toolChoice,
      ...(format.grammar !== undefined && { finalGrammar: format.grammar }),
      ...(maxReasoningTokens !== undefined && { maxReasoningTokens }),
      stop,
    },
    ...(format.json && { json: format.json }),
    ...(signal && { signal }),
  };
}
