/** Starts a server on 127.0.0.1:0 with the given models and gives an `openai` SDK client for it. */
import OpenAI from "openai";
import type { Model } from "../../src/chat/types.js";
import { createServer, type GptOssServer, type ServerOptions } from "../../src/server/index.js";

export interface Harness {
  server: GptOssServer;
  baseUrl: string;
  client: OpenAI;
  close(): Promise<void>;
}

export async function startServer(
  models: Record<string, Model | Promise<Model>>,
  options: Omit<ServerOptions, "models"> = {},
  apiKey = "unused",
  clientTimeoutMs = 20_000,
): Promise<Harness> {
  const server = createServer({ models: Object.entries(models).map(([id, model]) => ({ id, model })), gpuProbe: false, ...options });
  const baseUrl = await server.listen({ host: "127.0.0.1", port: 0 });
  const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0, timeout: clientTimeoutMs });
  return { server, baseUrl, client, close: () => server.shutdown({ timeoutMs: 500 }) };
}

/** Every non-comment line of Prometheus text exposition is `name{labels} value`. */
export function assertPrometheusText(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|\+Inf|-Inf))$/;
  for (const raw of text.split("\n")) {
    if (raw === "" || raw.startsWith("#")) continue;
    const match = line.exec(raw);
    if (!match) throw new Error(`Not a Prometheus sample line: ${JSON.stringify(raw)}`);
    samples.set(`${match[1]}${match[2] ?? ""}`, Number(match[3]));
  }
  return samples;
}
