/**
 * Loads the native addon once per process (per worker thread, each gets its own instance) and returns its
 * typed surface. The only module that touches the binary; everything else imports `loadNative()`.
 *
 * Where the binary comes from, first that loads wins:
 *   1. `GPT_OSS_NODE_ADDON`, a path to a .node file (its libraries beside it);
 *   2. an installed GPU package for this platform (`@gpt-oss-node/linux-x64-cuda`, ...): the one `gpu` names,
 *      or any with `gpu: "auto"`;
 *   3. the platform package (`@gpt-oss-node/linux-x64-gnu`, ...), an optional dependency of this package;
 *   4. a local build (`build/Release`, in a clone of the repository).
 * Inside an Electron archive the binary is loaded from `app.asar.unpacked`. When nothing loads, one error lists
 * every attempt, the platform (with its C library) and the command that fixes it.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GptOssError } from "../errors.js";
import { PACKAGE_VERSION } from "../version.js";
import type { GpuChoice } from "./devices.js";
import { ADDON_FILE, BINARY_DIR, currentPlatform, describePlatform, packageName, packagesFor, unpackedPath, type PlatformInfo } from "./platforms.js";
import type { NativeAddon } from "./types.js";

export type * from "./types.js";

const require = createRequire(import.meta.url);

/** The package root (works from src/ under tsx/vitest and from dist/ once compiled). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where the loaded binary came from (`gpt-oss info` shows it). */
export interface NativeBinding {
  kind: "override" | "gpu-package" | "platform-package" | "local-build";
  /** The .node file loaded. */
  path: string;
  /** The npm package it came from, for the package kinds. */
  package?: string;
}

/** One place the loader may find the binary. */
export interface BinaryCandidate {
  kind: NativeBinding["kind"];
  /** The .node file, or undefined when the package is not installed. */
  path: string | undefined;
  package?: string;
  /** Shown in the error when this candidate was not there. */
  missing: string;
}

export interface CandidateSources {
  platform: PlatformInfo;
  gpu: GpuChoice;
  env: Record<string, string | undefined>;
  /** The directory of an installed package, or undefined. */
  resolvePackage: (name: string) => string | undefined;
  packageRoot: string;
}

function resolveInstalled(name: string): string | undefined {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** The candidates, in the order they are tried. */
export function binaryCandidates(sources: CandidateSources): BinaryCandidate[] {
  const out: BinaryCandidate[] = [];
  const override = sources.env.GPT_OSS_NODE_ADDON;
  if (override) out.push({ kind: "override", path: override, missing: `GPT_OSS_NODE_ADDON=${override}` });
  const packages = packagesFor(sources.platform);
  const fromPackage = (name: string) => {
    const dir = sources.resolvePackage(name);
    return dir === undefined ? undefined : join(unpackedPath(dir), BINARY_DIR, ADDON_FILE);
  };
  if (sources.gpu !== false) {
    for (const pkg of packages) {
      if (!pkg.gpu || (sources.gpu !== "auto" && sources.gpu !== pkg.gpu)) continue;
      const name = packageName(pkg);
      out.push({ kind: "gpu-package", path: fromPackage(name), package: name, missing: `${name}: not installed` });
    }
  }
  for (const pkg of packages) {
    if (pkg.gpu) continue;
    const name = packageName(pkg);
    out.push({ kind: "platform-package", path: fromPackage(name), package: name, missing: `${name}: not installed` });
  }
  const local = join(unpackedPath(sources.packageRoot), "build", "Release", "gpt_oss_node.node");
  out.push({ kind: "local-build", path: existsSync(local) ? local : undefined, missing: `${local}: no local build` });
  return out;
}

/** The command that installs the binary this platform needs, or undefined when no package is published for it. */
export function fixCommand(platform: PlatformInfo, gpu: GpuChoice): string | undefined {
  const packages = packagesFor(platform);
  const wanted = packages.find((pkg) => typeof gpu === "string" && pkg.gpu === gpu) ?? packages.find((pkg) => !pkg.gpu);
  return wanted && `npm install ${packageName(wanted)}@${PACKAGE_VERSION}`;
}

let addon: NativeAddon | undefined;
let binding: NativeBinding | undefined;

/** The binary this process loaded, or undefined before the first `loadNative()`. */
export function nativeBinding(): NativeBinding | undefined {
  return binding;
}

/**
 * The native addon, loaded on first use (see the module comment for the order).
 * @param gpu which GPU package to prefer (default "auto": any installed one); the CPU package otherwise.
 * @throws GptOssError ERR_NATIVE_LOAD_FAILED listing every attempt and the fix.
 */
export function loadNative(gpu: GpuChoice = "auto"): NativeAddon {
  if (addon) return addon;
  const platform = currentPlatform();
  const attempts: string[] = [];
  for (const candidate of binaryCandidates({ platform, gpu, env: process.env, resolvePackage: resolveInstalled, packageRoot: PACKAGE_ROOT })) {
    if (candidate.path === undefined) {
      attempts.push(candidate.missing);
      continue;
    }
    try {
      addon = require(candidate.path) as NativeAddon;
      addon.setErrorClass(GptOssError as new (code: string, message: string) => Error);
      binding = { kind: candidate.kind, path: candidate.path, ...(candidate.package && { package: candidate.package }) };
      return addon;
    } catch (error) {
      attempts.push(`${candidate.path}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  const fix = fixCommand(platform, gpu);
  throw new GptOssError(
    "ERR_NATIVE_LOAD_FAILED",
    `Could not load the gpt-oss-node native addon on ${describePlatform(platform)} (Node ${process.version}, N-API ${process.versions.napi}).\n` +
      `Tried:\n  - ${attempts.join("\n  - ")}\n` +
      (fix
        ? `Fix: \`${fix}\` (npm installs it with gpt-oss-node unless optional dependencies are omitted: --omit=optional, or a lockfile made on another platform).`
        : `No prebuilt package exists for ${describePlatform(platform)}: build one from a clone of the repository (\`npm install\` there builds the addon) and point GPT_OSS_NODE_ADDON at build/Release/gpt_oss_node.node.`),
  );
}
