/** Server-sent events over a fastify reply (piped through a stream, so fastify's hooks still see the response). */
import { PassThrough } from "node:stream";
import type { FastifyReply } from "fastify";

export interface SseStream {
  /** Sends one event: `event: NAME` (when given) and `data: JSON`. */
  send(data: unknown, event?: string): void;
  /** Sends a raw `data:` payload (e.g. "[DONE]"). */
  sendRaw(data: string): void;
  end(): void;
}

export function openSse(reply: FastifyReply): SseStream {
  const stream = new PassThrough();
  reply
    .code(200)
    .header("content-type", "text/event-stream; charset=utf-8")
    .header("cache-control", "no-cache")
    .header("x-accel-buffering", "no");
  void reply.send(stream);
  const write = (text: string) => {
    if (!stream.destroyed && !stream.writableEnded) stream.write(text);
  };
  return {
    send: (data, event) => write(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`),
    sendRaw: (data) => write(`data: ${data}\n\n`),
    end: () => {
      if (!stream.writableEnded) stream.end();
    },
  };
}
