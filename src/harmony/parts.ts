/**
 * A rendered prompt is a sequence of parts: ordinary text (always encoded as plain text, so user text that
 * looks like `<|start|>` stays text) and special tokens (emitted only by the renderer, as ids).
 */
import { GptOssError } from "../errors.js";
import { HarmonyToken, specialTokenName } from "../tokenizer/special-tokens.js";

/** Ordinary text, encoded with the plain-text BPE. */
export interface TextPart {
  kind: "text";
  text: string;
}

/** A structural special token, by id (see `HarmonyToken`). */
export interface SpecialPart {
  kind: "special";
  id: number;
}

export type PromptPart = TextPart | SpecialPart;

/** Plain-text encoder: must not turn any text into special tokens (e.g. the package `Tokenizer`). */
export interface PlainTextEncoder {
  encode(text: string): number[];
}

/** The special tokens the renderer emits. */
export type StructuralToken = "start" | "end" | "message" | "channel" | "constrain" | "call" | "return";

/** A text part. */
export function text(value: string): TextPart {
  return { kind: "text", text: value };
}

/** The part for one of the renderer's special tokens. */
export function special(token: StructuralToken): SpecialPart {
  return { kind: "special", id: HarmonyToken[token] };
}

/** Literal text of a special id (`<|start|>`, …). */
function specialText(id: number): string {
  const name = specialTokenName(id);
  if (name === undefined) throw new GptOssError("ERR_INVALID_ARGUMENT", `${id} is not a special token id`);
  return name;
}

/** The parts as one string, special tokens written as their literal names. */
export function partsToText(parts: readonly PromptPart[]): string {
  let out = "";
  for (const part of parts) out += part.kind === "text" ? part.text : specialText(part.id);
  return out;
}

/**
 * The parts as token ids: each text part is encoded on its own with `encoder` (as the reference does),
 * special parts are their ids.
 */
export function partsToTokens(parts: readonly PromptPart[], encoder: PlainTextEncoder): number[] {
  const out: number[] = [];
  for (const part of parts) {
    if (part.kind === "special") out.push(part.id);
    else if (part.text.length > 0) for (const id of encoder.encode(part.text)) out.push(id);
  }
  return out;
}

/** A rendered conversation (or fragment), ready to be written as text or encoded to token ids. */
export class RenderedPrompt {
  constructor(readonly parts: readonly PromptPart[]) {}

  /** Special tokens appear as their literal text, e.g. `<|start|>user<|message|>Hi<|end|>`. */
  renderText(): string {
    return partsToText(this.parts);
  }

  /** Token ids; text goes through `encoder` (plain text only), special tokens are emitted as ids. */
  renderTokens(encoder: PlainTextEncoder): number[] {
    return partsToTokens(this.parts, encoder);
  }
}
