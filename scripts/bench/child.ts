// Runs each measured engine in a child process of its own: the addon and node-llama-cpp each load their own
// libllama/libggml, which must not meet in one address space, and every engine starts from a fresh process.
// Imported by the parent for `runInChild`; run as a script, it is the child and serves one task over IPC.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildReply, ChildTask } from "./types.js";

const SELF = fileURLToPath(import.meta.url);

/** Forks this file with the parent's loader flags (tsx), sends it `task`, resolves with its result. */
export function runInChild<T>(task: ChildTask): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let reply: ChildReply<T> | undefined;
    child.on("message", (message: ChildReply<T>) => (reply = message));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (reply?.ok) resolve(reply.result);
      else if (reply) reject(new Error(`${task.task}: ${reply.error}`));
      else reject(new Error(`${task.task}: the child process died (${signal ?? `exit ${code}`}) before reporting`));
    });
    child.send(task);
  });
}

async function serve(task: ChildTask): Promise<unknown> {
  switch (task.task) {
    case "addon":
      return (await import("./engine-addon.js")).benchAddon(task.settings);
    case "library":
      return (await import("./engine-library.js")).benchLibrary(task.settings);
    case "node-llama-cpp":
      return (await import("./engine-node-llama-cpp.js")).benchNodeLlamaCpp(task.settings);
    case "prefix-reuse":
      return (await import("./prefix-reuse.js")).benchPrefixReuse(task.settings, task.historyTokens);
  }
}

if (process.send && process.argv[1] === SELF) {
  process.once("message", async (task: ChildTask) => {
    let reply: ChildReply<unknown>;
    try {
      reply = { ok: true, result: await serve(task) };
    } catch (error) {
      reply = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
    process.send!(reply, () => process.exit(0));
  });
}
