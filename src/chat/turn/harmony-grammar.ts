/**
 * Harmony message headers the engine can force, as token ids (one allowed header: written straight into the
 * sequence) or as a GBNF grammar over the choices (several allowed headers: the model picks). Special tokens
 * appear in the grammar by id (`<[200005]>`), which matches exactly that token.
 */
import { assistantHeaderParts, FUNCTION_CALL_CONTENT_TYPE, type PlainTextEncoder } from "../../harmony/index.js";
import { HarmonyToken } from "../../tokenizer/special-tokens.js";
import { gbnfLiteral } from "../../grammar/json-schema-grammar.js";

/** A message the engine allows at a header position. */
export type HeaderOption = { kind: "analysis" } | { kind: "final" } | { kind: "call"; name: string };

const token = (id: number): string => `<[${id}]>`;

/** Channel text of an option: `analysis`, `final`, `commentary to=functions.NAME`. */
function channelText(option: HeaderOption): string {
  return option.kind === "call" ? `commentary to=functions.${option.name}` : option.kind;
}

/**
 * The header of `option` after `<|start|>assistant`: `<|channel|>final<|message|>`, or
 * `<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>` for a call (the form the model writes).
 */
export function headerTokens(option: HeaderOption, encoder: PlainTextEncoder): number[] {
  const contentType = option.kind === "call" ? FUNCTION_CALL_CONTENT_TYPE : undefined;
  return assistantHeaderParts(channelText(option), contentType).renderTokens(encoder);
}

/** GBNF matching exactly one of the headers of `options` (after `<|start|>assistant`), ending at `<|message|>`. */
export function headerGrammar(options: readonly HeaderOption[]): string {
  const alternatives = options.map((option) => {
    const suffix = option.kind === "call" ? ` " " ${token(HarmonyToken.constrain)} "json"` : "";
    return `${gbnfLiteral(channelText(option))}${suffix} ${token(HarmonyToken.message)}`;
  });
  return `root ::= ${token(HarmonyToken.channel)} ( ${alternatives.join(" | ")} )\n`;
}
