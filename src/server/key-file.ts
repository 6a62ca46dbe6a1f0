/**
 * API keys from a JSON file (`ServerOptions.apiKeyFile`, `gpt-oss serve --api-key-file`):
 *
 *   {"keys": [{"key": "sk-…", "name": "team-a", "models": ["gpt-oss-20b", "auto"],
 *              "routes": ["/v1/chat/completions", "/v1/models"], "tokensPerMinute": 20000, "maxConcurrent": 4}]}
 *
 * Only `key` is required (see ApiKeyEntry for each field). The file is re-read when it changes (watched through its
 * folder, so editors that replace the file are seen too; changes are debounced) and on `reload()` (SIGHUP in the
 * CLI). A file that cannot be read or is invalid keeps the keys in use and logs one error line; errors never echo a
 * key.
 */
import { readFileSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { KEY_NAME_PATTERN, type ApiKeyEntry } from "./key-grants.js";

/** Wait after the last change event before re-reading (editors write in several steps). */
export const KEY_FILE_DEBOUNCE_MS = 200;

const ENTRY_FIELDS = new Set(["key", "name", "models", "routes", "tokensPerMinute", "maxConcurrent"]);

/** Where the watcher reports reloads (info) and rejected files (error): fastify's logger fits. */
export interface KeyFileLog {
  info(message: string): void;
  error(message: string): void;
}

function stringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item === "")) {
    throw new Error(`${where} must be an array of non-empty strings`);
  }
  return value as string[];
}

function count(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new Error(`${where} must be an integer >= 0 (0: unlimited)`);
  return value;
}

/** Validates a key file's parsed JSON; throws an Error naming the first problem (never a key). */
export function parseKeyFile(json: unknown): ApiKeyEntry[] {
  const keys = (json as { keys?: unknown } | null)?.keys;
  if (typeof json !== "object" || json === null || Array.isArray(json) || !Array.isArray(keys)) throw new Error('expected {"keys": [ … ]}');
  const seen = new Set<string>();
  return keys.map((item: unknown, i): ApiKeyEntry => {
    const where = `keys[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw new Error(`${where} must be an object`);
    const raw = item as Record<string, unknown>;
    const unknown = Object.keys(raw).find((field) => !ENTRY_FIELDS.has(field));
    if (unknown !== undefined) throw new Error(`${where} has an unknown field "${unknown}" (known: ${[...ENTRY_FIELDS].join(", ")})`);
    if (typeof raw.key !== "string" || raw.key.trim() === "" || /\s/.test(raw.key)) throw new Error(`${where}.key must be a non-empty string without spaces`);
    if (seen.has(raw.key)) throw new Error(`${where}.key repeats an earlier key`);
    seen.add(raw.key);
    const entry: ApiKeyEntry = { key: raw.key };
    if (raw.name !== undefined) {
      if (typeof raw.name !== "string" || !KEY_NAME_PATTERN.test(raw.name)) throw new Error(`${where}.name must be 1-64 letters, digits, ".", "_" or "-"`);
      entry.name = raw.name;
    }
    if (raw.models !== undefined) entry.models = stringList(raw.models, `${where}.models`);
    if (raw.routes !== undefined) {
      entry.routes = stringList(raw.routes, `${where}.routes`);
      const bad = entry.routes.find((route) => !route.startsWith("/"));
      if (bad !== undefined) throw new Error(`${where}.routes entries must be paths starting with "/", got ${JSON.stringify(bad)}`);
    }
    if (raw.tokensPerMinute !== undefined) entry.tokensPerMinute = count(raw.tokensPerMinute, `${where}.tokensPerMinute`);
    if (raw.maxConcurrent !== undefined) entry.maxConcurrent = count(raw.maxConcurrent, `${where}.maxConcurrent`);
    return entry;
  });
}

/** Reads and validates a key file; throws `API key file PATH: …` when it cannot be used. */
export function readKeyFile(path: string): ApiKeyEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`API key file ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message may quote the file's text, a key included: say where, not what.
    throw new Error(`API key file ${path}: not valid JSON`);
  }
  try {
    return parseKeyFile(json);
  } catch (error) {
    throw new Error(`API key file ${path}: ${(error as Error).message}`);
  }
}

/** Keeps a key file's entries current: `apply` gets every valid new version, until `close()`. */
export class KeyFileWatcher {
  private readonly path: string;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastText: string | undefined;

  /** Reads the file now (throws when it is unusable: a server must not start with keys it cannot read), then watches it. */
  constructor(
    path: string,
    private readonly apply: (entries: ApiKeyEntry[]) => void,
    private readonly log: KeyFileLog,
  ) {
    this.path = resolve(path);
    this.apply(readKeyFile(this.path));
    this.lastText = this.text();
    const name = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        if (file === null || file === name) this.schedule();
      });
      this.watcher.on("error", () => this.watcher?.close());
    } catch {
      // A folder that cannot be watched: reload() (SIGHUP) still works.
    }
  }

  /** Re-reads the file now; keeps the current keys (and logs why) when it is invalid. Returns whether it applied. */
  reload(): boolean {
    clearTimeout(this.timer);
    try {
      const entries = readKeyFile(this.path);
      this.apply(entries);
      this.lastText = this.text();
      this.log.info(`API key file ${this.path} reloaded: ${entries.length} key(s).`);
      return true;
    } catch (error) {
      this.log.error(`${(error as Error).message}; keeping the keys in use.`);
      return false;
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      // Touches and editor swap files change nothing: reload only what differs from the last applied text.
      if (this.text() !== this.lastText) this.reload();
    }, KEY_FILE_DEBOUNCE_MS);
    this.timer.unref();
  }

  private text(): string | undefined {
    try {
      return readFileSync(this.path, "utf8");
    } catch {
      return undefined;
    }
  }
}
