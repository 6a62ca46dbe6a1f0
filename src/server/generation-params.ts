/**
 * Request fields shared by /v1/chat/completions and /v1/responses → GenerationOptions: tools, tool choice,
 * structured output, the raw `grammar` extension, and sampling parameters.
 */
import type { FunctionTool, GenerationOptions, JsonSchema, ResponseFormat, ToolChoice } from "../chat/types.js";
import { LIMITS } from "../chat/defaults.js";
import { hasCode } from "../errors.js";
import { jsonSchemaToGrammar } from "../grammar/json-schema-grammar.js";
import { limitName, SCHEMA_LIMITS } from "../grammar/json-schema.js";
import { TOOL_NAME } from "../types.js";
import { ApiError } from "./errors.js";
import { checkArrayLength, isObject, jsonTypeName, optionalInteger, optionalNumber, optionalStop, optionalString, requireArray, type JsonObject } from "./validate.js";

/** Temperature range of the OpenAI API (narrower than the library's LIMITS.temperature). */
export const OPENAI_TEMPERATURE = { min: 0, max: 2 } as const;

/** Grammar bytes of one request's schemas so far, against SCHEMA_LIMITS.maxRequestGrammarBytes. */
export interface SchemaBudget {
  bytes: number;
}

/**
 * A JSON schema field, checked here as the library will check it (supported keywords, SCHEMA_LIMITS, the grammar
 * built within its bounds), so a bad or oversized schema is a 400 before any model work. The error names `param`
 * when the field is not a schema at all, else `refusedParam` (a response format's own field, as OpenAI names it).
 */
function parseSchema(value: unknown, param: string, budget: SchemaBudget, refusedParam = param): JsonSchema | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    throw new ApiError("invalid_schema", `Invalid schema for '${param}': expected a JSON Schema object, but got ${jsonTypeName(value)}.`, param);
  }
  let grammar: string;
  try {
    grammar = jsonSchemaToGrammar(value);
  } catch (error) {
    if (hasCode(error, "ERR_SCHEMA_INVALID")) throw new ApiError("invalid_schema", `Invalid schema for '${param}': ${(error as Error).message}`, refusedParam);
    throw error;
  }
  budget.bytes += Buffer.byteLength(grammar);
  if (budget.bytes > SCHEMA_LIMITS.maxRequestGrammarBytes) {
    throw new ApiError(
      "invalid_schema",
      `Invalid schema for '${param}': the grammars of this request's schemas take more than ${SCHEMA_LIMITS.maxRequestGrammarBytes} bytes together, over the limit (${limitName("maxRequestGrammarBytes")}).`,
      refusedParam,
    );
  }
  return value;
}

/**
 * `tools`: Chat Completions shape `{type: "function", function: {name, description, parameters}}` or the flat
 * Responses shape `{type: "function", name, description, parameters}`; at most `maxTools` (`ServerOptions.maxTools`).
 */
export function parseTools(value: unknown, budget: SchemaBudget = { bytes: 0 }, maxTools = Number.MAX_SAFE_INTEGER, param = "tools"): FunctionTool[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = requireArray(value, param);
  checkArrayLength(list, param, maxTools, "--max-tools");
  const tools = list.map((tool, i): FunctionTool => {
    const tp = `${param}[${i}]`;
    if (!isObject(tool)) throw new ApiError("invalid_type", `Invalid type for '${tp}': expected an object, but got ${jsonTypeName(tool)} instead.`, tp);
    if (tool.type !== "function") {
      throw new ApiError("invalid_value", `Invalid value for '${tp}.type': only 'function' tools are supported, but got '${String(tool.type)}'.`, `${tp}.type`);
    }
    const nested = isObject(tool.function);
    const fn: JsonObject = nested ? (tool.function as JsonObject) : tool;
    const fp = nested ? `${tp}.function` : tp;
    const name = optionalString(fn.name, `${fp}.name`);
    if (name === undefined) throw new ApiError("missing_required_parameter", `Missing required parameter: '${fp}.name'.`, `${fp}.name`);
    if (!TOOL_NAME.test(name)) {
      throw new ApiError("invalid_value", `Invalid value for '${fp}.name': '${name}' must be 1-64 letters, digits, '_' or '-'.`, `${fp}.name`);
    }
    const description = optionalString(fn.description, `${fp}.description`);
    const parameters = parseSchema(fn.parameters, `${fp}.parameters`, budget);
    return { name, ...(description !== undefined && { description }), ...(parameters && { parameters }) };
  });
  const seen = new Set<string>();
  for (const [i, tool] of tools.entries()) {
    if (seen.has(tool.name)) throw new ApiError("invalid_value", `Invalid value for '${param}[${i}]': duplicate tool name '${tool.name}'.`, `${param}[${i}]`);
    seen.add(tool.name);
  }
  return tools;
}

/** `tool_choice`: "auto" | "none" | "required" | {type: "function", function: {name}} | {type: "function", name}. */
export function parseToolChoice(value: unknown, tools: FunctionTool[] | undefined, param = "tool_choice"): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  let choice: ToolChoice;
  if (value === "auto" || value === "none" || value === "required") {
    choice = value;
  } else if (isObject(value) && value.type === "function") {
    const name = isObject(value.function) ? value.function.name : value.name;
    if (typeof name !== "string") throw new ApiError("missing_required_parameter", `Missing required parameter: '${param}.function.name'.`, `${param}.function.name`);
    choice = { name };
  } else {
    throw new ApiError("invalid_value", `Invalid value for '${param}': expected 'auto', 'none', 'required' or {type: 'function', function: {name}}.`, param);
  }
  if (choice !== "none" && choice !== "auto" && !tools?.length) {
    throw new ApiError("invalid_value", `Invalid value for '${param}': a tool is required but 'tools' is empty.`, param);
  }
  if (typeof choice === "object" && !tools?.some((t) => t.name === choice.name)) {
    throw new ApiError("invalid_value", `Invalid value for '${param}': no tool named '${choice.name}' in 'tools'.`, param);
  }
  return choice;
}

/**
 * Structured output. Chat Completions: `{type: "json_schema", json_schema: {name, schema, strict}}`;
 * Responses (`text.format`): `{type: "json_schema", name, schema, strict}`.
 */
export function parseResponseFormat(value: unknown, param: string, budget: SchemaBudget = { bytes: 0 }): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new ApiError("invalid_type", `Invalid type for '${param}': expected an object, but got ${jsonTypeName(value)} instead.`, param);
  switch (value.type) {
    case "text":
      return { type: "text" };
    case "json_object":
      return { type: "json_object" };
    case "json_schema": {
      const nested = isObject(value.json_schema);
      const spec: JsonObject = nested ? (value.json_schema as JsonObject) : value;
      const sp = nested ? `${param}.json_schema` : param;
      const schema = parseSchema(spec.schema, `${sp}.schema`, budget, param);
      if (!schema) throw new ApiError("invalid_schema", `Missing required parameter: '${sp}.schema'.`, `${sp}.schema`);
      const name = optionalString(spec.name, `${sp}.name`);
      const strict = spec.strict === undefined || spec.strict === null ? undefined : spec.strict === true;
      return { type: "json_schema", schema, ...(name !== undefined && { name }), ...(strict !== undefined && { strict }) };
    }
    default:
      throw new ApiError("invalid_value", `Invalid value for '${param}.type': expected 'text', 'json_object' or 'json_schema', but got '${String(value.type)}'.`, `${param}.type`);
  }
}

/** Sampling fields common to both endpoints (names as the Chat Completions API spells them). */
export function parseSampling(body: JsonObject): Pick<GenerationOptions, "temperature" | "topP" | "topK" | "minP" | "seed" | "stop" | "frequencyPenalty" | "presencePenalty"> {
  const out: ReturnType<typeof parseSampling> = {};
  const temperature = optionalNumber(body.temperature, "temperature", OPENAI_TEMPERATURE.min, OPENAI_TEMPERATURE.max);
  const topP = optionalNumber(body.top_p, "top_p", LIMITS.topP.min, LIMITS.topP.max);
  const topK = optionalInteger(body.top_k, "top_k", LIMITS.topK.min, LIMITS.topK.max);
  const minP = optionalNumber(body.min_p, "min_p", LIMITS.minP.min, LIMITS.minP.max);
  const seed = optionalInteger(body.seed, "seed", LIMITS.seed.min, LIMITS.seed.max);
  const stop = optionalStop(body.stop, "stop");
  const frequencyPenalty = optionalNumber(body.frequency_penalty, "frequency_penalty", LIMITS.penalty.min, LIMITS.penalty.max);
  const presencePenalty = optionalNumber(body.presence_penalty, "presence_penalty", LIMITS.penalty.min, LIMITS.penalty.max);
  if (temperature !== undefined) out.temperature = temperature;
  if (topP !== undefined) out.topP = topP;
  if (topK !== undefined) out.topK = topK;
  if (minP !== undefined) out.minP = minP;
  if (seed !== undefined) out.seed = seed;
  if (stop !== undefined) out.stop = stop;
  if (frequencyPenalty !== undefined) out.frequencyPenalty = frequencyPenalty;
  if (presencePenalty !== undefined) out.presencePenalty = presencePenalty;
  return out;
}

/** The raw GBNF `grammar` extension field (exclusive with a JSON response format). */
export function parseGrammar(value: unknown, responseFormat: ResponseFormat | undefined, param = "grammar"): string | undefined {
  const grammar = optionalString(value, param);
  if (grammar === undefined) return undefined;
  if (grammar.trim() === "") throw new ApiError("invalid_grammar", `Invalid value for '${param}': the grammar is empty.`, param);
  if (responseFormat && responseFormat.type !== "text") {
    throw new ApiError("invalid_value", `Invalid value for '${param}': use either 'grammar' or a JSON response format, not both.`, param);
  }
  return grammar;
}
