/** `gpt-oss info`: versions, backends and devices from the native addon, and a model file's metadata. */
import { stat } from "node:fs/promises";
import type { GgufValue } from "../gguf/index.js";
import { PACKAGE_VERSION } from "../version.js";
import { parseArgs } from "node:util";
import { loadedCpuVariant } from "../native/cpu-variant.js";
import { HELP_OPTION, withUsageErrors } from "./args.js";
import { formatBytes } from "./progress.js";
import { currentPlatform, describePlatform } from "../native/platforms.js";

export const INFO_HELP = `Usage: gpt-oss info [--model PATH] [--rpc HOST:PORT] [--json]

Prints the package, Node and llama.cpp versions, the ggml backends and devices this machine offers, and,
with --model, the GGUF's metadata (architecture, size, context, layers, experts).

Options:
  --model PATH   a GGUF file to describe
  --rpc HOST:PORT  list the devices of this \`gpt-oss rpc-server\` too (repeatable; exit 1 when one does not answer)
  --json         machine-readable output
  -h, --help     this help
`;

/** Metadata keys worth showing, by suffix after `<architecture>.`. */
const ARCH_KEYS = ["context_length", "embedding_length", "block_count", "attention.head_count", "attention.head_count_kv", "expert_count", "expert_used_count", "attention.sliding_window", "rope.scaling.factor"];

function show(value: GgufValue | undefined): string {
  if (value === undefined) return "-";
  if (Array.isArray(value)) return `[${value.length} items]`;
  return String(value);
}

export async function describeModel(path: string): Promise<Record<string, string>> {
  const { readGguf } = await import("../gguf/index.js");
  const file = await readGguf(path);
  const arch = String(file.metadata["general.architecture"] ?? "unknown");
  const out: Record<string, string> = {
    path,
    size: formatBytes((await stat(path)).size),
    gguf_version: String(file.version),
    name: show(file.metadata["general.name"]),
    architecture: arch,
    tensors: String(file.tensors.length),
    split_count: show(file.metadata["split.count"]),
  };
  for (const key of ARCH_KEYS) out[key] = show(file.metadata[`${arch}.${key}`]);
  out.vocab_size = show(file.metadata["tokenizer.ggml.tokens"]).replace(/^\[(\d+) items\]$/, "$1");
  return out;
}

async function describeNative(rpc: string[]): Promise<Record<string, unknown>> {
  try {
    const { loadNative, nativeBinding } = await import("../native/index.js");
    const { attachRpcServers } = await import("../native/rpc.js");
    const addon = loadNative();
    const binding = nativeBinding();
    // An RPC server that cannot be attached fails the command (exit 1) after the local report.
    const rpcError = await attachRpcServers(addon, rpc).then(() => undefined, (error: Error) => error.message);
    const versions = addon.versions();
    const backends = addon.loadBackends();
    const devices = addon.listDevices().map((d) => ({ name: d.name, backend: d.backend, type: d.type, description: d.description, memory: `${formatBytes(d.memoryFreeBytes)} free / ${formatBytes(d.memoryTotalBytes)}`, extraBufferTypes: d.extraBufferTypes }));
    return { addon: versions.addon, cpuVariant: loadedCpuVariant(), binary: binding && `${binding.path} (${binding.package ?? binding.kind})`, llamaCppCommit: versions.llamaCppCommit, systemInfo: versions.systemInfo, backends, devices, ...(rpcError && { rpcError }) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export async function runInfo(argv: string[]): Promise<number> {
  const { values } = withUsageErrors("info", () => parseArgs({ args: argv, strict: true, options: { model: { type: "string" }, rpc: { type: "string", multiple: true }, json: { type: "boolean" }, ...HELP_OPTION } }));
  if (values.help) {
    process.stdout.write(INFO_HELP);
    return 0;
  }
  const native = await describeNative(values.rpc ?? []);
  const model = values.model ? await describeModel(values.model) : undefined;
  const report = { package: PACKAGE_VERSION, node: process.version, platform: describePlatform(currentPlatform()), native, ...(model && { model }) };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return "rpcError" in native ? 1 : 0;
  }
  const lines = [`gpt-oss-node ${PACKAGE_VERSION} · Node ${process.version} · ${report.platform}`];
  if ("error" in native) {
    lines.push(`native addon: not available — ${String(native.error)}`);
  } else {
    lines.push(`native addon ${String(native.addon)} · llama.cpp ${String(native.llamaCppCommit)}`, `binary: ${String(native.binary)}`, `cpu backend: ${String(native.cpuVariant ?? "unknown")}`, `system: ${String(native.systemInfo)}`);
    lines.push(`backends: ${(native.backends as string[]).join(", ") || "none"}`, "devices:");
    for (const d of native.devices as Array<Record<string, string> & { extraBufferTypes: string[] }>) {
      const extra = d.extraBufferTypes.length ? ` · weight layouts: ${d.extraBufferTypes.join(", ")}` : "";
      lines.push(`  ${d.name} (${d.backend}, ${d.type}) ${d.description} — ${d.memory}${extra}`);
    }
  }
  if (model) {
    lines.push("model:");
    for (const [key, value] of Object.entries(model)) lines.push(`  ${key.padEnd(26)} ${value}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  if ("rpcError" in native) {
    process.stderr.write(`gpt-oss info: ${String(native.rpcError)}\n`);
    return 1;
  }
  return 0;
}
