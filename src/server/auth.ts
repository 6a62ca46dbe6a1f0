/**
 * Bearer API keys. Keys are kept only as SHA-256 digests and compared with crypto.timingSafeEqual over the
 * digests (equal lengths always, so neither a key's content nor its length leaks through timing); every
 * configured key is compared, with no early exit. The set can be replaced while serving (a reloaded key file).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { grantOf, type ApiKeyEntry, type KeyGrant } from "./key-grants.js";

const digest = (key: string): Buffer => createHash("sha256").update(key, "utf8").digest();

interface KnownKey {
  digest: Buffer;
  grant: KeyGrant;
}

export class ApiKeyVerifier {
  private known: KnownKey[] = [];
  private readonly required: boolean;

  /**
   * `keys`: plain strings are keys without restrictions. `required`: ask for a key even while none is configured
   * (a key file that lists none locks every client out rather than opening the server).
   */
  constructor(keys: ReadonlyArray<string | ApiKeyEntry>, { required = false }: { required?: boolean } = {}) {
    this.required = required;
    this.replace(keys);
  }

  /** False when no keys are configured nor required (every request is let in). */
  get enabled(): boolean {
    return this.required || this.known.length > 0;
  }

  /** How many keys are configured. */
  get size(): number {
    return this.known.length;
  }

  /** Swaps the whole set of keys (the first entry of a repeated key wins). */
  replace(keys: ReadonlyArray<string | ApiKeyEntry>): void {
    const seen = new Set<string>();
    const known: KnownKey[] = [];
    for (const item of keys) {
      const entry = typeof item === "string" ? { key: item } : item;
      if (entry.key === "" || seen.has(entry.key)) continue;
      seen.add(entry.key);
      known.push({ digest: digest(entry.key), grant: grantOf(entry) });
    }
    this.known = known;
  }

  /**
   * Checks an `Authorization` header value. Returns the key's grant (its non-secret name, permissions and
   * limits), or null when the header carries no known key.
   */
  verify(authorization: string | undefined): KeyGrant | null {
    const match = /^Bearer[ \t]+(\S.*)$/i.exec(authorization?.trim() ?? "");
    if (!match) return null;
    const presented = digest(match[1].trim());
    let found: KeyGrant | null = null;
    for (const known of this.known) {
      if (timingSafeEqual(presented, known.digest) && found === null) found = known.grant;
    }
    return found;
  }
}
