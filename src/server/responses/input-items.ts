/**
 * The input items of a stored response as `GET /v1/responses/{id}/input_items` lists them (OpenAI's shapes):
 * a string input is one user message; messages get `type: "message"` and content parts (`input_text`, or
 * `output_text` for assistant turns); every item gets an id when it had none. Kept as sent otherwise.
 */
import { newItemId } from "./output.js";

type Item = Record<string, unknown>;

function messageItem(role: string, content: unknown, id?: unknown): Item {
  const partType = role === "assistant" ? "output_text" : "input_text";
  const parts = typeof content === "string" ? [{ type: partType, text: content }] : content;
  return { type: "message", id: typeof id === "string" ? id : newItemId("msg"), role, status: "completed", content: parts };
}

/** Items in OpenAI's shape, from a request's (already validated) `input`. */
export function inputItemsOf(input: unknown): Item[] {
  if (typeof input === "string") return [messageItem("user", input)];
  if (!Array.isArray(input)) return [];
  return input.map((raw: Item) => {
    if ((raw.type === undefined || raw.type === "message") && typeof raw.role === "string") return messageItem(raw.role, raw.content, raw.id);
    return { ...raw, id: typeof raw.id === "string" ? raw.id : newItemId(raw.type === "function_call_output" ? "fco" : "item") };
  });
}

/** One page of a list, `after` an item id (exclusive), newest first unless `order` is "asc" (OpenAI's default: desc). */
export function pageOf(items: Item[], query: { limit?: string; after?: string; order?: string }) {
  const limit = Math.min(100, Math.max(1, Number.parseInt(query.limit ?? "20", 10) || 20));
  const ordered = query.order === "asc" ? items : [...items].reverse();
  const start = query.after ? ordered.findIndex((item) => item.id === query.after) + 1 : 0;
  const data = ordered.slice(start, start + limit);
  return {
    object: "list" as const,
    data,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data[data.length - 1]?.id as string | undefined) ?? null,
    has_more: start + limit < ordered.length,
  };
}
