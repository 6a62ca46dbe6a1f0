#!/usr/bin/env node
// `npm run test:pack`: what a user's `npm install gpt-oss-node` gets, proven on this machine. Packs this
// platform's binary package and the main package, installs both into a fresh temporary project with
// --ignore-scripts and no compiler or cmake on PATH, then (1) chats through the library on the demo model and
// (2) starts `npx gpt-oss serve --model demo` and answers one request with the openai SDK. Also checks that,
// without the platform package, loading fails with the error that names the fix. Prints the tarball sizes.
//
// Options: --from-build DIR  package an existing build instead of the portable one (CI uses the clone's build/)
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { "from-build": { type: "string" }, keep: { type: "boolean" } } });
const work = mkdtempSync(join(tmpdir(), "gpt-oss-pack-"));
const log = (message) => console.log(`[test:pack] ${message}`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", stdio: options.capture ? "pipe" : "inherit", ...options });
  if (result.status !== 0 && !options.allowFailure) {
    if (options.capture) process.stderr.write(`${result.stdout}\n${result.stderr}\n`);
    throw new Error(`${command} ${args.join(" ")} exited with ${result.status}`);
  }
  return result;
}

/** `npm pack` of a folder into `work`; returns the tarball's path. */
function pack(dir) {
  const out = run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: dir, capture: true });
  const [info] = JSON.parse(out.stdout);
  return { path: join(work, info.filename), bytes: statSync(join(work, info.filename)).size, files: info.entryCount, name: info.name };
}

/** A PATH holding node, npm and sh (npx runs commands through it) only: no cc, c++, g++, cmake, make or python. */
function bareBin() {
  const bin = join(work, "bare-bin");
  mkdirSync(bin);
  const nodeDir = dirname(process.execPath);
  for (const tool of ["node", "npm", "npx"]) symlinkSync(join(nodeDir, tool), join(bin, tool));
  symlinkSync("/bin/sh", join(bin, "sh"));
  return bin;
}

const CHAT_SCRIPT = `
import { readFileSync } from "node:fs";
import { loadModel } from "gpt-oss-node";
const model = await loadModel(process.argv[2], { contextSize: 512, parallel: 1 });
const result = await model.chat([{ role: "user", content: "Hello!" }], { maxTokens: 8, temperature: 0, maxReasoningTokens: 0 });
await model.dispose();
if (result.usage.completionTokens < 1) throw new Error("no tokens generated");
console.log(JSON.stringify({ finishReason: result.finishReason, completionTokens: result.usage.completionTokens }));
`;

const SERVE_CLIENT = `
import OpenAI from "openai";
const client = new OpenAI({ baseURL: process.argv[2] + "/v1", apiKey: "unused", maxRetries: 0 });
const completion = await client.chat.completions.create({ model: "gpt-oss-demo", messages: [{ role: "user", content: "Hi" }], max_tokens: 6, temperature: 0 });
if (!completion.choices[0] || completion.usage.completion_tokens < 1) throw new Error("no completion");
console.log(JSON.stringify({ model: completion.model, finish_reason: completion.choices[0].finish_reason, usage: completion.usage }));
`;

async function serveOnce(project, env) {
  // Its own process group: npx runs the server as a child of its own, and both must go at the end.
  const server = spawn("npx", ["--no-install", "gpt-oss", "serve", "--model", "demo", "--port", "0", "--ctx-size", "512", "--parallel", "1"], { cwd: project, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const exited = new Promise((r) => server.once("exit", r));
  try {
    const url = await new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start in 120 s:\n${output}`)), 120_000);
      const onData = (chunk) => {
        output += chunk;
        const ready = /listening on (http:\/\/[^\s]+)/i.exec(output) ?? /Server listening at (http:\/\/[^\s"]+)/.exec(output);
        if (ready && /ready/.test(output)) {
          clearTimeout(timer);
          resolvePromise(ready[1]);
        }
      };
      server.stdout.on("data", onData);
      server.stderr.on("data", onData);
      server.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited with ${code}:\n${output}`));
      });
    });
    return run("node", ["serve-client.mjs", url], { cwd: project, env, capture: true }).stdout.trim();
  } finally {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      // the whole group is gone already
    }
    await exited;
  }
}

try {
  const main = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  log("building dist/ and this platform's binary package");
  run("npm", ["run", "build", "--silent"], { cwd: root });
  run(process.execPath, [join(root, "scripts", "prebuild.mjs"), "--out", join(work, "packages"), ...(values["from-build"] ? ["--from-build", values["from-build"]] : [])]);
  const [platformId] = readdirSync(join(work, "packages"));
  const platformTgz = pack(join(work, "packages", platformId));
  const mainTgz = pack(root);
  log(`${mainTgz.name}: ${(mainTgz.bytes / 1024).toFixed(0)} kB packed, ${mainTgz.files} files`);
  log(`${platformTgz.name}: ${(platformTgz.bytes / 2 ** 20).toFixed(1)} MiB packed, ${platformTgz.files} files`);

  const bin = bareBin();
  const env = { ...process.env, PATH: bin, GPT_OSS_CACHE_DIR: join(work, "cache"), npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? work, ".npm") };
  delete env.GPT_OSS_NODE_ADDON;
  for (const tool of ["cc", "c++", "g++", "cmake", "make"]) {
    if (run("sh", ["-c", `command -v ${tool}`], { env, capture: true, allowFailure: true }).status === 0) throw new Error(`${tool} is reachable on the bare PATH`);
  }

  const project = join(work, "app");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "pack-test-app", version: "1.0.0", type: "module", private: true }));
  writeFileSync(join(project, "chat.mjs"), CHAT_SCRIPT);
  writeFileSync(join(project, "serve-client.mjs"), SERVE_CLIENT);
  const openaiVersion = main.devDependencies.openai;
  log(`installing both tarballs and openai@${openaiVersion} with --ignore-scripts, PATH=${bin}`);
  run("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", mainTgz.path, platformTgz.path, `openai@${openaiVersion}`], { cwd: project, env });

  log("(2) npx gpt-oss serve --model demo + the openai SDK");
  log(`served: ${await serveOnce(project, env)}`);
  const demo = join(env.GPT_OSS_CACHE_DIR, "demo", "gpt-oss-tiny-random.gguf");
  log("(1) a library chat on the demo model");
  log(`chat: ${run("node", ["chat.mjs", demo], { cwd: project, env, capture: true }).stdout.trim()}`);

  // As after `npm install --omit=optional`, or a lockfile written on another platform.
  log("without the platform package, loading must fail with the fix");
  rmSync(join(project, "node_modules", ...platformTgz.name.split("/")), { recursive: true });
  const failed = run("node", ["chat.mjs", demo], { cwd: project, env, capture: true, allowFailure: true });
  const message = failed.stderr;
  const expected = [`ERR_NATIVE_LOAD_FAILED`, `${platformTgz.name}: not installed`, `npm install ${platformTgz.name}@${main.version}`];
  const missing = expected.filter((text) => !message.includes(text));
  if (failed.status === 0 || missing.length) throw new Error(`expected a load failure naming ${missing.join(", ")}; got status ${failed.status}:\n${message}`);
  log(`refused as expected: ${message.split("\n").find((l) => l.includes("Fix:"))?.trim()}`);
  log("passed");
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}
