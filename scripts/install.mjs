#!/usr/bin/env node
// `npm install` hook. Uses the prebuilt binary for this platform when one loads; otherwise, in a clone of the
// repository, vendors llama.cpp and builds the addon from source. A user installing the published package gets
// a prebuilt binary and never needs a compiler; when none matches, this says so and how to proceed.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

if (process.env.GPT_OSS_SKIP_NATIVE === "1") {
  console.log("[gpt-oss-node] GPT_OSS_SKIP_NATIVE=1: skipping the native addon");
  process.exit(0);
}

function prebuiltLoads() {
  try {
    const nodeGypBuild = require("node-gyp-build");
    const file = nodeGypBuild.resolve(root);
    if (!file.startsWith(join(root, "prebuilds") + sep)) return false; // a stale local build is rebuilt, not trusted
    require(file);
    console.log(`[gpt-oss-node] using prebuilt binary ${file}`);
    return true;
  } catch {
    return false;
  }
}

if (prebuiltLoads()) process.exit(0);

const canBuild = existsSync(join(root, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle")) &&
  existsSync(join(root, "node_modules", "cmake-js"));
if (!canBuild) {
  console.error(
    `[gpt-oss-node] no prebuilt binary for ${process.platform}-${process.arch} and no source toolchain here.\n` +
      "Building from source needs a clone of the repository (`npm install` there vendors llama.cpp and builds).",
  );
  process.exit(1);
}
const build = spawnSync(process.execPath, [join(root, "scripts", "build-native.mjs")], { stdio: "inherit" });
process.exit(build.status ?? 1);
