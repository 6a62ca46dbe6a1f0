/**
 * Per-client caps on generation requests running at once (`KeyGrant.maxConcurrent`, `ServerOptions.maxConcurrentPerKey`).
 * Counted in this process: each replica enforces the cap on its own.
 */
export class ConcurrencyCaps {
  private readonly running = new Map<string, number>();

  /** Takes a place for `client` under a cap of `max` (0: unlimited); returns its release, or null when the cap is reached. */
  tryAcquire(client: string, max: number): (() => void) | null {
    const running = this.running.get(client) ?? 0;
    if (max > 0 && running >= max) return null;
    this.running.set(client, running + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.running.get(client) ?? 1) - 1;
      if (left > 0) this.running.set(client, left);
      else this.running.delete(client);
    };
  }

  /** Requests `client` has running now. */
  runningFor(client: string): number {
    return this.running.get(client) ?? 0;
  }
}
