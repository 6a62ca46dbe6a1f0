#!/usr/bin/env node
// `prepare` hook of a clone of the repository (npm runs it on a plain `npm install` there; never for a user who
// installs the published package, whose binary comes from a platform package: see src/native/index.ts).
// Vendors llama.cpp and builds the addon into build/Release (incremental after the first time).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

if (process.env.GPT_OSS_SKIP_NATIVE === "1") {
  console.log("[gpt-oss-node] GPT_OSS_SKIP_NATIVE=1: skipping the native addon");
  process.exit(0);
}
if (process.versions.electron) {
  console.log("[gpt-oss-node] inside Electron: never building from source (the platform package ships the binary)");
  process.exit(0);
}
const canBuild = existsSync(join(root, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle")) && existsSync(join(root, "node_modules", "cmake-js"));
if (!canBuild) {
  console.error("[gpt-oss-node] the devDependencies (node-llama-cpp, cmake-js) are missing: run `npm install` in the clone first.");
  process.exit(1);
}
const build = spawnSync(process.execPath, [join(root, "scripts", "build-native.mjs")], { stdio: "inherit" });
process.exit(build.status ?? 1);
