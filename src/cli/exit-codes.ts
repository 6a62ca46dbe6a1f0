/**
 * The exit codes of every `gpt-oss` command (README "Exit codes"): 0 success, 1 runtime failure, 2 usage error,
 * 128 + N when a signal N interrupted the work (130 for SIGINT, 143 for SIGTERM, as a shell reports it).
 * A server (`serve`, `rpc-server`) stopped by its first SIGTERM/SIGINT shuts down gracefully and exits 0.
 */
import { constants } from "node:os";

export const EXIT_OK = 0;
/** A runtime failure: address in use, a model that cannot load, a failed download, a full disk… */
export const EXIT_FAILURE = 1;
/** Unknown command or flag, or a bad value. */
export const EXIT_USAGE = 2;

/** 128 + the signal's number: what a shell reports for a process that `signal` interrupted. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Ends the process by `signal`'s default action (a shell reports 128 + N). Unlike `process.exit`, which waits for
 * Node's worker threads, no thread stuck in file I/O (a model on storage that stopped answering) can delay it.
 */
export function endBySignal(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

/**
 * Once a command has resolved, whatever still holds the event loop (a model load stuck in file I/O, a socket a
 * peer keeps open) does not keep the process alive longer than this.
 */
export const EXIT_GRACE_MS = 2_000;
