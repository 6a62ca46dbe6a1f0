/**
 * Token-level constants the engine needs. Ids come from `src/tokenizer/special-tokens.ts` (the one source
 * of truth); this file only groups them by purpose.
 */
import { ASSISTANT_STOP_TOKENS, HarmonyToken } from "../tokenizer/special-tokens.js";
import { RenderedPrompt, special, text } from "./parts.js";

export { ASSISTANT_STOP_TOKENS };

/** Tokens that end one message (`<|return|>`, `<|call|>`, `<|end|>`); `<|end|>` does not stop sampling. */
export const MESSAGE_END_TOKENS: readonly number[] = [HarmonyToken.return, HarmonyToken.call, HarmonyToken.end];

/**
 * `<|start|>assistant`: the whole generation prompt suffix (nothing follows it, not even a newline);
 * `ASSISTANT_TURN_PREFIX.renderTokens(tokenizer)` gives its ids.
 */
export const ASSISTANT_TURN_PREFIX: RenderedPrompt = new RenderedPrompt([special("start"), text("assistant")]);
