/**
 * Bearer API keys. Keys are kept only as SHA-256 digests and compared with crypto.timingSafeEqual over the
 * digests (equal lengths always, so neither a key's content nor its length leaks through timing); every
 * configured key is compared, with no early exit.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (key: string): Buffer => createHash("sha256").update(key, "utf8").digest();

export class ApiKeyVerifier {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = [...new Set(keys.filter((key) => key !== ""))].map(digest);
  }

  /** False when no keys are configured (every request is let in). */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /**
   * Checks an `Authorization` header value. Returns a stable, non-secret identity for the key (for rate
   * limiting and logs), or null when the header carries no known key.
   */
  verify(authorization: string | undefined): string | null {
    const match = /^Bearer[ \t]+(\S.*)$/i.exec(authorization?.trim() ?? "");
    if (!match) return null;
    const presented = digest(match[1].trim());
    let found = -1;
    for (let i = 0; i < this.digests.length; i++) {
      if (timingSafeEqual(presented, this.digests[i]) && found < 0) found = i;
    }
    return found < 0 ? null : `key:${presented.subarray(0, 6).toString("hex")}`;
  }
}
