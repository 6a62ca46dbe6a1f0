/**
 * `gpt-oss rpc-server`: lends this machine's devices to a `--rpc HOST:PORT` model on another machine (ggml's RPC
 * backend; llama.cpp's own `rpc-server` speaks the same protocol). The traffic is unauthenticated and unencrypted.
 */
import { mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LIMITS } from "../chat/defaults.js";
import { parseEndpoint } from "../native/rpc.js";
import { HELP_OPTION, intOption, UsageError, withUsageErrors } from "./args.js";
import { cacheDir } from "./paths.js";

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 50052;

export const RPC_SERVER_HELP = `Usage: gpt-oss rpc-server [--host HOST] [--port N] [--device NAME] [--threads N]

Serves this machine's ggml devices to a model loaded elsewhere with --rpc HOST:PORT (or rpc: ["HOST:PORT"]).
Anyone who can reach the port can run computations on it and read what it holds: there is no key and no
encryption. Bind it to a private network address only.

Options:
  --host HOST      address to listen on (default ${DEFAULT_HOST})
  --port N         port (default ${DEFAULT_PORT})
  --device NAME    a device to serve, as 'gpt-oss info' names it (repeatable; default: the GPUs, else the CPU)
  --threads N      CPU threads for the CPU device (default: every logical core)
  --no-cache       do not keep received tensors in the local cache (${join("<cache>", "rpc")})
  -h, --help       this help
`;

export async function runRpcServer(argv: string[]): Promise<number> {
  const { values } = withUsageErrors("rpc-server", () => parseArgs({
    args: argv,
    strict: true,
    options: { host: { type: "string" }, port: { type: "string" }, device: { type: "string", multiple: true }, threads: { type: "string" }, "no-cache": { type: "boolean" }, ...HELP_OPTION },
  }));
  if (values.help) {
    process.stdout.write(RPC_SERVER_HELP);
    return 0;
  }
  const host = values.host ?? DEFAULT_HOST;
  const port = intOption(values.port, "--port", 1, 65535) ?? DEFAULT_PORT;
  const endpoint = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  if (!parseEndpoint(endpoint)) throw new UsageError(`--host ${JSON.stringify(host)} is not an address to listen on`);
  const threads = intOption(values.threads, "--threads", LIMITS.threads.min, LIMITS.threads.max) ?? availableParallelism();
  const { loadNative } = await import("../native/index.js");
  const addon = loadNative(false);
  addon.loadBackends();
  const local = addon.listDevices().filter((d) => d.backend !== "RPC");
  const gpus = local.filter((d) => d.type === "gpu" || d.type === "igpu");
  const devices = values.device?.length ? values.device : (gpus.length ? gpus : local.filter((d) => d.type === "cpu")).map((d) => d.name);
  const unknown = devices.filter((name) => !local.some((d) => d.name === name));
  if (unknown.length) throw new UsageError(`No device named ${unknown.join(", ")}; this machine has ${local.map((d) => d.name).join(", ")}`);
  if (!/^(127\.|::1$|localhost$)/.test(host)) {
    process.stderr.write(`Warning: serving ${devices.join(", ")} on ${host} to anyone who can reach it (RPC has no authentication).\n`);
  }
  const tensorCache = values["no-cache"] ? "" : join(cacheDir(), "rpc");
  if (tensorCache) mkdirSync(tensorCache, { recursive: true });
  addon.startRpcServer({ endpoint, threads, devices, cacheDir: tensorCache });
  process.stdout.write(`gpt-oss rpc-server serving ${devices.join(", ")} on ${endpoint}\n`);
  // ggml's server loop runs on a native thread for the life of the process; SIGTERM/SIGINT end it.
  return new Promise<number>((resolve) => {
    const keepAlive = setInterval(() => {}, 1 << 30);
    const stop = () => {
      clearInterval(keepAlive);
      resolve(0);
      setImmediate(() => process.exit(0));
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}
