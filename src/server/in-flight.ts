/**
 * The requests being served, each with an AbortController: the signal aborts when the client disconnects before
 * its response finished, when the request runs past the request timeout, or when shutdown cancels what is left;
 * shutdown waits on them.
 */
import type { FastifyReply } from "fastify";
import { GptOssError } from "../errors.js";
import { ApiError } from "./errors.js";

/** The AbortControllers of requests being served, so shutdown can wait for them or cancel them. */
export class InFlightRequests {
  private readonly controllers = new Set<AbortController>();
  private idleWaiters: Array<() => void> = [];
  private readonly timeoutMs: number;

  /** `timeoutMs`: a tracked request still running after it is cancelled with 504 `generation_timeout` (0: never). */
  constructor({ timeoutMs = 0 }: { timeoutMs?: number } = {}) {
    this.timeoutMs = timeoutMs;
  }

  get size(): number {
    return this.controllers.size;
  }

  /**
   * Tracks a request until its response closes. The signal aborts when the client disconnects before the
   * response finished, when the request times out, or when `abortAll` is called.
   */
  track(reply: FastifyReply): AbortSignal {
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = this.timeoutMs > 0 ? setTimeout(() => controller.abort(timedOut(this.timeoutMs)), this.timeoutMs) : undefined;
    timer?.unref();
    reply.raw.once("close", () => {
      clearTimeout(timer);
      if (!reply.raw.writableFinished) controller.abort(new GptOssError("ERR_ABORTED", "The client closed the connection."));
      this.controllers.delete(controller);
      if (this.controllers.size === 0) {
        for (const wake of this.idleWaiters) wake();
        this.idleWaiters = [];
      }
    });
    return controller.signal;
  }

  /** Cancels every request; each answers (or ends its stream with) 503 `shutting_down` and `reason`. */
  abortAll(reason: string): void {
    for (const controller of this.controllers) controller.abort(new ApiError("shutting_down", reason));
  }

  /** Resolves true when no request is in flight, or false after `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.controllers.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

function timedOut(timeoutMs: number): ApiError {
  const limit = timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`;
  return new ApiError("generation_timeout", `The request ran longer than the server's limit of ${limit} and was cancelled.`);
}
