/**
 * A concurrency cap with a bounded FIFO wait queue, one per served model. A request holds a slot while it
 * generates; when all are taken it waits in line; when the line is full it is refused at once (503). A waiting
 * request whose client leaves (AbortSignal) leaves the line.
 */
import { ApiError } from "./errors.js";

interface Waiter {
  grant: (release: () => void) => void;
  reject: (error: unknown) => void;
}

export class AdmissionGate {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  /**
   * @param limit most requests generating at once (normally the model's parallel slots)
   * @param maxQueue most requests waiting for a slot
   */
  constructor(
    readonly limit: number,
    readonly maxQueue: number,
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a `release` function (call it exactly once) when a slot is free. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxQueue) {
      return Promise.reject(
        new ApiError("server_busy", `The server is at capacity (${this.limit} generating, ${this.waiting.length} waiting); retry later.`, null, { "Retry-After": "1" }),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
        reject,
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant(this.releaser());
      else this.running--;
    };
  }
}
