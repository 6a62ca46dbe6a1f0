/** Which ggml CPU backend module this process runs. */
import { readFileSync } from "node:fs";

/**
 * The ggml CPU backend module ggml chose at load (every build carries CPU variants, libggml-cpu-<level>, and ggml
 * loads the best one the CPU supports), read from the process's mapped files; undefined where that list is not
 * readable (not Linux) or before the backends are loaded.
 */
export function loadedCpuVariant(): string | undefined {
  try {
    const maps = readFileSync("/proc/self/maps", "utf8");
    return /\/(libggml-cpu[\w-]*\.(?:so|dylib|dll))\s*$/m.exec(maps)?.[1];
  } catch {
    return undefined;
  }
}
