/**
 * Token-level constants the engine needs. Ids come from `src/tokenizer/special-tokens.ts` (the one source
 * of truth); this file only groups them by purpose.
 */
import { ASSISTANT_STOP_TOKENS } from "../tokenizer/special-tokens.js";
import { RenderedPrompt, special, text } from "./parts.js";

export { ASSISTANT_STOP_TOKENS };

/**
 * `<|start|>assistant`: the whole generation prompt suffix (nothing follows it, not even a newline);
 * `ASSISTANT_TURN_PREFIX.renderTokens(tokenizer)` gives its ids.
 */
export const ASSISTANT_TURN_PREFIX: RenderedPrompt = new RenderedPrompt([special("start"), text("assistant")]);
