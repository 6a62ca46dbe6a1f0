/**
 * CORS for browser clients: off unless `ServerOptions.cors` lists origins (or is "*"). An allowed origin gets
 * `Access-Control-Allow-Origin` on every response; a preflight (`OPTIONS` with `Access-Control-Request-Method`) is
 * answered 204 here, before authentication (browsers never send credentials on a preflight).
 */
import type { FastifyReply, FastifyRequest } from "fastify";

/** Headers a browser client may read besides the safelisted ones. */
const EXPOSED = "x-request-id, retry-after, openai-model, openai-processing-ms";
const PREFLIGHT_MAX_AGE_S = "600";
const METHODS = "GET, POST, DELETE, OPTIONS";

export class CorsPolicy {
  private readonly any: boolean;
  private readonly origins: Set<string>;

  /** `origins`: exact origins (`https://app.example`), or "*" for any. Empty: CORS off. */
  constructor(origins: readonly string[] | "*" | undefined) {
    const list = origins === "*" ? ["*"] : [...(origins ?? [])];
    this.any = list.includes("*");
    this.origins = new Set(list.filter((o) => o !== "*").map((o) => o.replace(/\/+$/, "")));
  }

  get enabled(): boolean {
    return this.any || this.origins.size > 0;
  }

  get allowsAnyOrigin(): boolean {
    return this.any;
  }

  /**
   * Adds the CORS headers for this request's origin; returns true when the request was a preflight and has
   * been answered.
   */
  apply(request: FastifyRequest, reply: FastifyReply): boolean {
    const origin = request.headers.origin;
    if (!this.enabled || typeof origin !== "string") return false;
    const allowed = this.any || this.origins.has(origin);
    reply.header("vary", "Origin");
    if (!allowed) return false;
    reply.header("access-control-allow-origin", this.any ? "*" : origin);
    reply.header("access-control-expose-headers", EXPOSED);
    const requestedMethod = request.headers["access-control-request-method"];
    if (request.method !== "OPTIONS" || typeof requestedMethod !== "string") return false;
    reply.header("access-control-allow-methods", METHODS);
    const requestedHeaders = request.headers["access-control-request-headers"];
    reply.header("access-control-allow-headers", typeof requestedHeaders === "string" ? requestedHeaders : "authorization, content-type");
    reply.header("access-control-max-age", PREFLIGHT_MAX_AGE_S);
    void reply.code(204).send();
    return true;
  }
}
