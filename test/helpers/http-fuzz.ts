/**
 * Generated request bodies for the HTTP fuzz (test/server/http-fuzz.test.ts and scripts/fuzz-http.ts): each case is
 * what a careless or hostile client might send to a generation route — wrong types, huge and odd numbers, deep
 * nesting, very long strings, invalid UTF-8, thousands of messages or tools, giant schemas, odd content types.
 * Seeded, so a failure names a case that can be replayed. Cases over a server limit (schema bounds, message and tool
 * counts) also say the exact 400 they must get.
 */
import { Prng } from "../../src/fixture/prng.js";

export interface FuzzCase {
  name: string;
  route: "/v1/chat/completions" | "/v1/responses";
  contentType: string;
  body: string | Buffer;
  /** The answer this case must get (else any 200 or OpenAI-shaped 4xx will do). */
  expect?: { status: number; code: string; param?: string };
}

const user = { role: "user", content: "hi" };
const ODD_VALUES: unknown[] = [
  null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, "", "NaN", "Infinity", "-0", "1e999", "0x10", [], {}, [[]], { a: {} },
  "x".repeat(10_000), "\u0000", "\ud800", "<|start|>", "<|return|>", [null], ["user"], { role: "user" },
];
/** Request fields, for both routes, to fill with odd values. */
const FIELDS = [
  "model", "messages", "input", "max_tokens", "max_completion_tokens", "max_output_tokens", "temperature", "top_p", "top_k",
  "min_p", "seed", "stop", "stream", "stream_options", "n", "tools", "tool_choice", "response_format", "text", "grammar",
  "reasoning", "reasoning_effort", "reasoning_level", "frequency_penalty", "presence_penalty", "logprobs", "instructions",
  "previous_response_id", "store", "metadata",
];

/** `depth` levels of alternating objects and arrays, as JSON text (built as text: JSON.stringify recurses). */
function deepJson(depth: number): string {
  let open = "";
  let close = "";
  for (let i = 0; i < depth; i++) {
    open += i % 2 ? "[" : '{"a":';
    close = (i % 2 ? "]" : "}") + close;
  }
  return `${open}"leaf"${close}`;
}

/** Object schemas nested `levels` deep through `properties`, as JSON text. */
function deepSchema(levels: number): string {
  return `${'{"type":"object","properties":{"a":'.repeat(levels)}{"type":"string"}${"}}".repeat(levels)}`;
}

/** Schemas over a bound of SCHEMA_LIMITS (src/grammar/json-schema.ts), each a 400 `invalid_schema`. */
const BAD_SCHEMAS: Array<[string, () => string]> = [
  ["10,000 levels deep", () => deepSchema(10_000)],
  ["a $ref cycle", () => JSON.stringify({ $defs: { a: { anyOf: [{ $ref: "#/$defs/b" }, { type: "null" }] }, b: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" })],
  ["a 20,000-value enum", () => JSON.stringify({ enum: Array.from({ length: 20_000 }, (_, i) => `v${i}`) })],
  ["a pattern counting out 10^9 characters", () => JSON.stringify({ type: "string", pattern: "^((?:a{1000}){1000}){1000}$" })],
  ["anyOf of 2000 branches", () => JSON.stringify({ anyOf: Array.from({ length: 2000 }, (_, i) => ({ const: i })) })],
  ["10,000 properties", () => JSON.stringify({ type: "object", properties: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`p${i}`, { type: "integer" }])) })],
  ["a grammar over 1 MiB", () => JSON.stringify({ const: '"'.repeat(300_000) })],
];

export function fuzzCases(seed: number, count: number): FuzzCase[] {
  const rng = new Prng(seed);
  const pick = <T>(items: readonly T[]): T => items[rng.nextUint32() % items.length]!;
  const cases: FuzzCase[] = [];
  const json = (name: string, route: FuzzCase["route"], body: unknown, expect?: FuzzCase["expect"]) =>
    cases.push({ name, route, contentType: "application/json", body: JSON.stringify(body), ...(expect && { expect }) });

  // Fixed hard cases first.
  const raw = (name: string, body: string, route: FuzzCase["route"] = "/v1/chat/completions", expect?: FuzzCase["expect"]) =>
    cases.push({ name, route, contentType: "application/json", body, ...(expect && { expect }) });
  const schemaError = (param: string) => ({ status: 400, code: "invalid_schema", param });
  raw("deep nesting in a field", `{"messages":[{"role":"user","content":"hi"}],"metadata":${deepJson(5000)}}`);
  raw("deep nesting as a schema", `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${deepJson(400)}}}}`, undefined, schemaError("response_format"));
  raw("deep nesting as a tool schema", `{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deepJson(3000).replace(/"a":/g, '"properties":{"a":').replace(/\}/g, "}}")}}}]}`, undefined, schemaError("tools[0].function.parameters"));
  // Every bad schema in each place a schema goes: response formats and tool parameters, on both routes.
  for (const [what, schema] of BAD_SCHEMAS) {
    const text = schema();
    raw(`${what} as response_format`, `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${text}}}}`, undefined, schemaError("response_format"));
    raw(`${what} as tool parameters`, `{"messages":[{"role":"user","content":"hi"}],"stream":true,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}},{"type":"function","function":{"name":"g","parameters":${text}}}]}`, undefined, schemaError("tools[1].function.parameters"));
    raw(`${what} as text.format`, `{"input":"hi","text":{"format":{"type":"json_schema","name":"x","schema":${text}}}}`, "/v1/responses", schemaError("text.format"));
    raw(`${what} as Responses tool parameters`, `{"input":"hi","tools":[{"type":"function","name":"f","parameters":${text}}]}`, "/v1/responses", schemaError("tools[0].parameters"));
  }
  const bigTool = (i: number) => ({ type: "function", function: { name: `t${i}`, parameters: { const: '"'.repeat(225_000) } } });
  json("tool grammars over 4 MiB together", "/v1/chat/completions", { messages: [user], tools: Array.from({ length: 5 }, (_, i) => bigTool(i)) }, schemaError("tools[4].function.parameters"));
  const tooLong = (param: string) => ({ status: 400, code: "array_above_max_length", param });
  json("5000 messages", "/v1/chat/completions", { messages: Array.from({ length: 5000 }, () => user), max_tokens: 1 }, tooLong("messages"));
  json("5000 input items", "/v1/responses", { input: Array.from({ length: 5000 }, () => user), max_output_tokens: 1 }, tooLong("input"));
  json("2000 tools", "/v1/chat/completions", {
    messages: [user],
    tools: Array.from({ length: 2000 }, (_, i) => ({ type: "function", function: { name: `t${i}`, parameters: { type: "object" } } })),
    max_tokens: 1,
  }, tooLong("tools"));
  json("600 Responses tools", "/v1/responses", { input: "hi", tools: Array.from({ length: 600 }, (_, i) => ({ type: "function", name: `t${i}` })) }, tooLong("tools"));
  json("giant enum schema", "/v1/chat/completions", {
    messages: [user],
    response_format: { type: "json_schema", json_schema: { name: "x", schema: { enum: Array.from({ length: 20_000 }, (_, i) => `v${i}`) } } },
    max_tokens: 1,
  }, schemaError("response_format"));
  json("a 1 MB message", "/v1/chat/completions", { messages: [{ role: "user", content: "word ".repeat(200_000) }], max_tokens: 1 });
  cases.push({ name: "invalid UTF-8", route: "/v1/chat/completions", contentType: "application/json", body: Buffer.from([0x7b, 0x22, 0x6d, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) });
  cases.push({ name: "truncated JSON", route: "/v1/chat/completions", contentType: "application/json", body: '{"messages": [{"role": "user", "content": "hi"' });
  cases.push({ name: "text/plain body", route: "/v1/chat/completions", contentType: "text/plain", body: "hello" });
  cases.push({ name: "form body", route: "/v1/responses", contentType: "application/x-www-form-urlencoded", body: "input=hi" });
  cases.push({ name: "empty body", route: "/v1/responses", contentType: "application/json", body: "" });
  cases.push({ name: "JSON scalar", route: "/v1/responses", contentType: "application/json", body: "42" });

  // Then random mutations of a valid request: one to three fields set to odd values.
  while (cases.length < count) {
    const route = rng.nextUint32() % 2 ? "/v1/chat/completions" : "/v1/responses";
    const body: Record<string, unknown> = route === "/v1/responses" ? { input: "hi", max_output_tokens: 2 } : { messages: [user], max_tokens: 2 };
    const changes = 1 + (rng.nextUint32() % 3);
    const set: string[] = [];
    for (let i = 0; i < changes; i++) {
      const field = pick(FIELDS);
      body[field] = pick(ODD_VALUES);
      set.push(field);
    }
    json(`#${cases.length} ${route} with ${set.join(", ")}`, route, body);
  }
  return cases;
}

export interface FuzzReport {
  /** Answers by HTTP status. */
  counts: Map<number, number>;
  /** Cases answered with a 5xx, a non-OpenAI error body, or a malformed 200. */
  failures: string[];
}

/** Sends every case to the server at `baseUrl` and checks each answer: a 200 (JSON or SSE) or an OpenAI-shaped 4xx. */
export async function sendFuzz(baseUrl: string, cases: readonly FuzzCase[]): Promise<FuzzReport> {
  const counts = new Map<number, number>();
  const failures: string[] = [];
  for (const fuzz of cases) {
    const response = await fetch(`${baseUrl}${fuzz.route}`, { method: "POST", headers: { "content-type": fuzz.contentType }, body: fuzz.body });
    const text = await response.text();
    counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
    if (fuzz.expect) {
      const error = isJson(text) ? (JSON.parse(text) as { error?: Record<string, unknown> }).error : undefined;
      const param = fuzz.expect.param ?? error?.param;
      if (response.status !== fuzz.expect.status || error?.code !== fuzz.expect.code || error?.param !== param || error?.type !== "invalid_request_error" || typeof error?.message !== "string") {
        failures.push(`${fuzz.name}: expected ${fuzz.expect.status} ${fuzz.expect.code} (param ${String(param)}), got ${response.status} ${text.slice(0, 200)}`);
      }
      continue;
    }
    if (response.status === 200) {
      const isStream = (response.headers.get("content-type") ?? "").startsWith("text/event-stream");
      if (isStream ? !text.includes("data: ") : !isJson(text)) failures.push(`${fuzz.name}: 200 with a malformed body`);
      continue;
    }
    if (response.status < 400 || response.status >= 500) {
      failures.push(`${fuzz.name}: ${response.status} ${text.slice(0, 200)}`);
      continue;
    }
    const error = isJson(text) ? (JSON.parse(text) as { error?: Record<string, unknown> }).error : undefined;
    if (!error || typeof error.message !== "string" || typeof error.type !== "string" || typeof error.code !== "string" || !("param" in error)) {
      failures.push(`${fuzz.name}: ${response.status} not in OpenAI's error shape: ${text.slice(0, 200)}`);
    }
  }
  return { counts, failures };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
