/**
 * The requests being served, each with an AbortController: the signal aborts when the client disconnects before
 * its response finished, or when shutdown cancels what is left; shutdown waits on them.
 */
import type { FastifyReply } from "fastify";
import { GptOssError } from "../errors.js";
import { ApiError } from "./errors.js";

/** The AbortControllers of requests being served, so shutdown can wait for them or cancel them. */
export class InFlightRequests {
  private readonly controllers = new Set<AbortController>();
  private idleWaiters: Array<() => void> = [];

  get size(): number {
    return this.controllers.size;
  }

  /**
   * Tracks a request until its response closes. The signal aborts when the client disconnects before the
   * response finished, or when `abortAll` is called.
   */
  track(reply: FastifyReply): AbortSignal {
    const controller = new AbortController();
    this.controllers.add(controller);
    reply.raw.once("close", () => {
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
