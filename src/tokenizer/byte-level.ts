/**
 * GPT-2 "byte-level" text: every byte 0..255 is written as one printable Unicode character, so a vocabulary of
 * arbitrary byte strings can be stored as ordinary strings (this is how GGUF `tokenizer.ggml.tokens` holds them
 * for `tokenizer.ggml.model = "gpt2"`, and what llama.cpp's `unicode_byte_to_utf8` maps to).
 *
 * Printable Latin-1 bytes map to themselves; the remaining 68 bytes (controls, space, DEL, NBSP, soft hyphen)
 * map, in byte order, to U+0100, U+0101, ….
 */

function buildByteToChar(): string[] {
  const table: string[] = new Array<string>(256);
  const isPrintable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 0x100;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(isPrintable(b) ? b : next++);
  return table;
}

/** `BYTE_TO_CHAR[b]` is the one-character byte-level form of byte `b`. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Char code of a byte-level character → its byte, or -1 for characters that are not byte-level. */
const CHAR_CODE_TO_BYTE: Int16Array = (() => {
  const table = new Int16Array(0x144).fill(-1);
  BYTE_TO_CHAR.forEach((ch, b) => (table[ch.charCodeAt(0)] = b));
  return table;
})();

/** Byte-level form of `bytes`: one character per byte. */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_CHAR[bytes[i]!]!;
  return out;
}

/**
 * Bytes of a byte-level string written as a "binary string" (one char code 0..255 per byte), or `undefined` when
 * `text` contains a character outside the byte-level alphabet.
 */
export function byteLevelToBinary(text: string): string | undefined {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const byte = code < CHAR_CODE_TO_BYTE.length ? CHAR_CODE_TO_BYTE[code]! : -1;
    if (byte < 0) return undefined;
    out += String.fromCharCode(byte);
  }
  return out;
}
