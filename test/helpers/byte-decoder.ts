import type { TokenDecoderSource } from "../../src/harmony/index.js";

/** Byte-level fake vocabulary: ordinary id N < 256 is the single byte N. Real UTF-8 streaming via TextDecoder. */
export const byteDecoder: TokenDecoderSource = {
  createStreamDecoder() {
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    return { write: (id) => decoder.decode(Uint8Array.of(id), { stream: true }), flush: () => decoder.decode() };
  },
};
