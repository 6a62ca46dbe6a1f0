// The oldest glibc the Linux binary packages support, and the check that no shipped file needs a newer one.
// A binary built on a newer system may reference newer symbol versions (GLIBC_2.xx); those would fail to load
// on older systems with "version `GLIBC_2.xx' not found". The release workflow builds on a system old enough.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** RHEL 9, Ubuntu 22.04, Debian 12 and newer (what the build image yields; checked on every package). */
export const GLIBC_BASELINE = "2.34";

const compare = (a, b) => {
  const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** Newest GLIBC_ version any file in `dir` references (objdump -T); throws when it is newer than the baseline. */
export function checkGlibcBaseline(dir) {
  let newest = "0";
  const offenders = [];
  for (const file of readdirSync(dir)) {
    const dump = spawnSync("objdump", ["-T", join(dir, file)], { encoding: "utf8" });
    if (dump.status !== 0) throw new Error(`objdump -T ${file} failed: ${dump.stderr || dump.error?.message} (install binutils)`);
    for (const [, version] of dump.stdout.matchAll(/GLIBC_(\d+\.\d+(?:\.\d+)?)/g)) {
      if (compare(version, newest) > 0) newest = version;
      if (compare(version, GLIBC_BASELINE) > 0) offenders.push(`${file}: GLIBC_${version}`);
    }
  }
  if (offenders.length) throw new Error(`symbols newer than the glibc baseline ${GLIBC_BASELINE}:\n  ${[...new Set(offenders)].join("\n  ")}`);
  return newest;
}
