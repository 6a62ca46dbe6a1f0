/** Incremental ids → text conversion that never splits a UTF-8 character. */
export interface StreamDecoder {
  /** Text completed by token `id`; bytes of a character still missing its continuation are held back. */
  write(id: number): string;
  /** Ends the stream: returns held-back bytes as text (an incomplete character becomes U+FFFD) and resets. */
  flush(): string;
}

/** A {@link StreamDecoder} over `bytesOf(id)`. A leading U+FEFF is kept as text, like `decode` does. */
export function createStreamDecoder(bytesOf: (id: number) => Uint8Array): StreamDecoder {
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  return {
    write: (id) => decoder.decode(bytesOf(id), { stream: true }),
    flush: () => decoder.decode(),
  };
}
