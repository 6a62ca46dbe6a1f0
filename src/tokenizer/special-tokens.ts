/**
 * The o200k_harmony special tokens: the single source of truth for their ids in this package.
 * Ids 0..199997 are the o200k_base BPE ranks; everything from 199998 up is special.
 */
export const HarmonyToken = {
  startOfText: 199998,
  endOfText: 199999,
  return: 200002,
  constrain: 200003,
  channel: 200005,
  start: 200006,
  end: 200007,
  message: 200008,
  call: 200012,
  endOfPrompt: 200018,
} as const;

/** Names of the harmony special tokens as they appear in the vocabulary. */
export const HARMONY_SPECIAL_NAMES: Readonly<Record<number, string>> = {
  [HarmonyToken.startOfText]: "<|startoftext|>",
  [HarmonyToken.endOfText]: "<|endoftext|>",
  200000: "<|reserved_200000|>",
  200001: "<|reserved_200001|>",
  [HarmonyToken.return]: "<|return|>",
  [HarmonyToken.constrain]: "<|constrain|>",
  200004: "<|reserved_200004|>",
  [HarmonyToken.channel]: "<|channel|>",
  [HarmonyToken.start]: "<|start|>",
  [HarmonyToken.end]: "<|end|>",
  [HarmonyToken.message]: "<|message|>",
  200009: "<|reserved_200009|>",
  200010: "<|reserved_200010|>",
  200011: "<|reserved_200011|>",
  [HarmonyToken.call]: "<|call|>",
  [HarmonyToken.endOfPrompt]: "<|endofprompt|>",
};

/** First id that is not an ordinary BPE rank. */
export const FIRST_SPECIAL_ID = 199998;
/** Total vocabulary size of o200k_harmony (ids 0..201087). */
export const HARMONY_VOCAB_SIZE = 201088;

/** Name of special id `id` (reserved ids are `<|reserved_N|>`), or undefined for ordinary ranks. */
export function specialTokenName(id: number): string | undefined {
  if (id < FIRST_SPECIAL_ID || id >= HARMONY_VOCAB_SIZE) return undefined;
  return HARMONY_SPECIAL_NAMES[id] ?? `<|reserved_${id}|>`;
}

/** Tokens that stop sampling for an assistant turn (`<|return|>`, `<|call|>`). */
export const ASSISTANT_STOP_TOKENS: readonly number[] = [HarmonyToken.return, HarmonyToken.call];
