/** A one-line download progress bar on stderr: bytes, percent, speed, ETA. */

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** The text of one progress line (no terminal control characters). */
export function progressLine(label: string, done: number, total: number | undefined, bytesPerSecond: number): string {
  const speed = `${formatBytes(bytesPerSecond)}/s`;
  if (!total) return `${label} ${formatBytes(done)} ${speed}`;
  const fraction = Math.min(1, done / total);
  const width = 24;
  const filled = Math.round(fraction * width);
  const bar = "#".repeat(filled) + "-".repeat(width - filled);
  const eta = bytesPerSecond > 0 ? formatDuration((total - done) / bytesPerSecond) : "--:--";
  return `${label} [${bar}] ${(fraction * 100).toFixed(1)}% ${formatBytes(done)}/${formatBytes(total)} ${speed} ETA ${eta}`;
}

export interface ProgressBar {
  update(done: number, total: number | undefined): void;
  finish(): void;
}

/** Redraws at most every `intervalMs` on a TTY; prints a line per 10 % otherwise (logs stay readable). */
export function createProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr, intervalMs = 200): ProgressBar {
  const startedAt = Date.now();
  let startBytes: number | undefined;
  let lastDraw = 0;
  let lastDecile = -1;
  let lastLine = "";
  let last: [number, number | undefined] = [0, undefined];
  const line = (done: number, total: number | undefined) => {
    startBytes ??= done;
    const seconds = (Date.now() - startedAt) / 1000;
    return progressLine(label, done, total, seconds > 0 ? (done - startBytes) / seconds : 0);
  };
  return {
    update(done, total) {
      last = [done, total];
      const now = Date.now();
      if (stream.isTTY) {
        if (now - lastDraw < intervalMs) return;
        lastDraw = now;
        lastLine = line(done, total);
        stream.write(`\r${lastLine}\x1b[K`);
        return;
      }
      const decile = total ? Math.floor((done / total) * 10) : -1;
      if (decile > lastDecile) {
        lastDecile = decile;
        stream.write(`${line(done, total)}\n`);
      }
    },
    finish() {
      // Draw the final state (throttling may have skipped it), then end the line.
      if (stream.isTTY && lastLine) stream.write(`\r${line(...last)}\x1b[K\n`);
    },
  };
}
