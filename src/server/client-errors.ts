/**
 * Errors Node's HTTP parser raises before fastify sees a request (a header too large, a malformed request line,
 * a client timeout), answered in OpenAI's error shape on the raw socket (there is no request to reply to).
 */
import type { Socket } from "node:net";
import { STATUS_CODES } from "node:http";
import { ApiError, type ServerErrorCode } from "./errors.js";
import { newRequestId } from "./request-id.js";

const PARSER_ERRORS: Record<string, { code: ServerErrorCode; message: string }> = {
  HPE_HEADER_OVERFLOW: { code: "request_header_fields_too_large", message: "The request headers are larger than the server accepts." },
  ERR_HTTP_REQUEST_TIMEOUT: { code: "request_timeout", message: "The request was not received in time." },
};

/** fastify's `clientErrorHandler`. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const known = PARSER_ERRORS[error.code ?? ""] ?? { code: "bad_request" as const, message: "The request is not valid HTTP." };
  const apiError = new ApiError(known.code, known.message);
  const body = JSON.stringify(apiError.toBody());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${newRequestId()}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
