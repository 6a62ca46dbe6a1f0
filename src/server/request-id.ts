/**
 * Request ids: a client's `X-Client-Request-Id` (when it is a short printable token) is kept, else one is made
 * (`req_` + 24 hex digits). fastify logs it as `reqId`; every response carries it as `x-request-id`, which the
 * OpenAI SDKs surface as `request_id`.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

const CLIENT_HEADER = "x-client-request-id";
/** What a client id may look like (OpenAI allows up to 512 ASCII characters). */
const CLIENT_ID = /^[\x21-\x7e]{1,512}$/;

export const REQUEST_ID_HEADER = "x-request-id";

/** fastify's `genReqId`. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[CLIENT_HEADER];
  if (typeof given === "string" && CLIENT_ID.test(given)) return given;
  return newRequestId();
}

export function newRequestId(): string {
  return `req_${randomBytes(12).toString("hex")}`;
}
