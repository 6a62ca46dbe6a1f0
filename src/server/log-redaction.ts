/**
 * Credentials never reach the log. fastify's request serializer logs method, URL, host and address, not headers,
 * but a custom serializer or a logged request object could; so every logger the server builds redacts the
 * headers that carry secrets (pino `redact`), and nothing in the server logs prompts, outputs or keys.
 */
import type { FastifyServerOptions } from "fastify";

/** Request headers that may carry a secret. */
const SECRET_HEADERS = ["authorization", "proxy-authorization", "cookie", "x-api-key", "api-key"];

/** Paths pino censors wherever a request or its headers are logged. */
export const REDACTED_LOG_PATHS = SECRET_HEADERS.flatMap((header) => [`req.headers["${header}"]`, `headers["${header}"]`, `request.headers["${header}"]`]);

/** The server's fastify `logger` option with credential headers redacted (false stays false). */
export function redactedLogger(logger: FastifyServerOptions["logger"]): FastifyServerOptions["logger"] {
  if (logger === false || logger === undefined) return false;
  const options = logger === true ? {} : logger;
  const redact = (options as { redact?: unknown }).redact;
  const paths = Array.isArray(redact) ? redact : ((redact as { paths?: string[] } | undefined)?.paths ?? []);
  return { ...options, redact: { paths: [...REDACTED_LOG_PATHS, ...paths], censor: "[redacted]" } } as FastifyServerOptions["logger"];
}
