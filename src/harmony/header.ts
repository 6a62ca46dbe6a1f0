/**
 * Parsing a message header as models really write it. The header arrives as sections split at special
 * tokens: the role section (text before any special), then one section after each `<|channel|>` or
 * `<|constrain|>`. Working on sections (not on decoded text) means a special token's text can never end up
 * in a channel, recipient or tool name.
 *
 * Accepted: `assistant`, `<|channel|>analysis`, the recipient in the role section
 * (`assistant to=functions.f<|channel|>commentary`) or after the channel (`<|channel|>commentary to=functions.f`),
 * `<|constrain|>json` with or without a space before it, a bare content type (`commentary json`), a repeated or
 * stray channel (the last one wins: `<|channel|>commentary to=assistant<|channel|>analysis` is analysis), tool
 * authors (`browser.search to=assistant`).
 */
import type { HarmonyRole } from "./conversation.js";

export type HeaderMarker = "role" | "channel" | "constrain";

export interface HeaderSection {
  marker: HeaderMarker;
  text: string;
}

/** What a generated message's header says: its author, recipient, channel and content type. */
export interface HarmonyMessageHeader {
  role: HarmonyRole;
  /** Tool author name (`browser.search`) when the header starts with one. */
  authorName?: string;
  channel?: string;
  recipient?: string;
  /** Content type without the `<|constrain|>` marker (`json`, `code`). */
  contentType?: string;
  /** True when the content type followed a `<|constrain|>` token. */
  constrained: boolean;
}

export interface ParsedHeader extends HarmonyMessageHeader {
  /** The sections' ordinary text that the header consumed (everything but `leftover`). */
  headerText: string;
  /** Only for headers that never got `<|message|>`: trailing text that is really content. */
  leftover: string;
}

const ROLES: ReadonlySet<string> = new Set<HarmonyRole>(["system", "developer", "user", "assistant", "tool"]);

interface Word {
  word: string;
  start: number;
}

function scanWords(text: string): Word[] {
  const words: Word[] = [];
  for (const match of text.matchAll(/\S+/g)) words.push({ word: match[0], start: match.index });
  return words;
}

/**
 * Parses `sections`. `knownRole` is the role already given by the prompt (`<|start|>assistant`), else null
 * (an unknown role defaults to assistant). With `complete` false (no `<|message|>` came: a stop token, the
 * end of the stream or a header that ran too long), only the leading structural words are header and the
 * rest of the last section is returned as `leftover` content.
 */
export function parseHeader(sections: readonly HeaderSection[], knownRole: HarmonyRole | null, complete: boolean): ParsedHeader {
  const header: ParsedHeader = { role: knownRole ?? "assistant", constrained: false, headerText: "", leftover: "" };
  let fullText = "";
  sections.forEach((section, sectionIndex) => {
    const words = scanWords(section.text);
    const isLast = sectionIndex === sections.length - 1;
    let next = 0;
    const first = words[0]?.word;
    if (section.marker === "role" && first !== undefined) {
      if (ROLES.has(first)) {
        header.role = first as HarmonyRole;
        next = 1;
      } else if (knownRole === null && !first.startsWith("to=") && words[1]?.word.startsWith("to=")) {
        header.role = "tool";
        header.authorName = first;
        next = 1;
      }
    } else if (section.marker === "channel" && first !== undefined && !first.startsWith("to=")) {
      header.channel = first;
      next = 1;
    } else if (section.marker === "constrain" && first !== undefined) {
      header.contentType = first;
      header.constrained = true;
      next = 1;
    }
    for (; next < words.length; next++) {
      const { word, start } = words[next]!;
      if (word.startsWith("to=")) {
        if (word.length > 3) header.recipient = word.slice(3);
      } else if (!complete && isLast) {
        header.leftover = section.text.slice(start);
        break;
      } else if (complete && header.contentType === undefined) {
        header.contentType = word;
      }
      // Any other word is unparseable header text: it stays in headerText and is otherwise ignored.
    }
    fullText += section.text;
  });
  header.headerText = fullText.slice(0, fullText.length - header.leftover.length);
  return header;
}
