/**
 * Loads the native addon once per process (per worker thread, each gets its own instance) and returns its
 * typed surface. The only module that touches the binary; everything else imports `loadNative()`.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GptOssError } from "../errors.js";
import type { NativeAddon } from "./types.js";

export type * from "./types.js";

const require = createRequire(import.meta.url);

/** The package root (works from src/ under tsx/vitest and from dist/ once compiled). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "CMakeLists.txt"))) {
    const parent = dirname(dir);
    if (parent === dir) return resolve(start, "..", "..");
    dir = parent;
  }
  return dir;
}

let addon: NativeAddon | undefined;

/**
 * The native addon. Tries, in order: `GPT_OSS_NODE_ADDON` (a path to a .node file), the prebuilt binary for
 * this platform (prebuilds/), the local build (build/Release). Fails with one error that lists every attempt.
 */
export function loadNative(): NativeAddon {
  if (addon) return addon;
  const attempts: string[] = [];
  const override = process.env.GPT_OSS_NODE_ADDON;
  if (override) {
    try {
      addon = require(override) as NativeAddon;
      return addon;
    } catch (error) {
      attempts.push(`GPT_OSS_NODE_ADDON=${override}: ${(error as Error).message}`);
    }
  }
  try {
    const nodeGypBuild = require("node-gyp-build") as (dir: string) => unknown;
    addon = nodeGypBuild(PACKAGE_ROOT) as NativeAddon;
    return addon;
  } catch (error) {
    attempts.push(`prebuilds/${process.platform}-${process.arch} and build/Release: ${(error as Error).message}`);
  }
  throw new GptOssError(
    "ERR_NATIVE_LOAD_FAILED",
    `Could not load the gpt-oss-node native addon on ${process.platform}-${process.arch} (Node ${process.version}, ` +
      `N-API ${process.versions.napi}).\nTried:\n  - ${attempts.join("\n  - ")}\n` +
      `Fix: in a clone of the repository run \`npm install\` (vendors llama.cpp and builds the addon), or ` +
      `\`npm run build:native\` to rebuild it.`,
  );
}
