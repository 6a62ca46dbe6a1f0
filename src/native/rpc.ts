/**
 * Remote devices through ggml's RPC backend: `rpc: ["host:port", ...]` attaches the devices of `gpt-oss rpc-server`
 * processes (or llama.cpp's `rpc-server`) on other machines, and llama.cpp splits the layers across them.
 * RPC traffic is neither authenticated nor encrypted: run rpc-servers on a private network only.
 */
import { connect } from "node:net";
import { GptOssError } from "../errors.js";
import type { NativeAddon } from "./types.js";

/** How long an RPC server may take to accept the probe connection. */
const PROBE_TIMEOUT_MS = 3000;

/** "host:port" (IPv6 hosts in brackets) with a port in 1..65535, or undefined. */
export function parseEndpoint(endpoint: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(endpoint);
  const port = match ? Number(match[3]) : 0;
  if (!match || port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2]!, port };
}

/**
 * ggml's RPC handshake (ggml/src/ggml-rpc: `| cmd (1 byte) | size (u64) | data |`, answered `| size (u64) | data |`):
 * HELLO is command 14 for every protocol version; its request is the client's 24 transport-capability bytes (zero:
 * plain TCP), its answer the server's protocol version (major, minor, patch, padding) and capabilities.
 */
const RPC_HELLO = { command: 14, capsBytes: 24, protocolMajor: 7 } as const;

/** Endpoints this thread's addon has attached (see attachRpcServers). */
const attached = new Set<string>();

/**
 * Says HELLO to an RPC server and resolves once it has answered and the connection is closed again; rejects with
 * what went wrong. ggml's server serves one client at a time, and its client blocks the thread (here: the event
 * loop) for good when the server never answers, so whether it answers is settled here, with a timeout, first.
 */
function probe(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let failure: Error | undefined;
    let received = Buffer.alloc(0);
    const answerBytes = 8 + 4 + RPC_HELLO.capsBytes;
    const fail = (error: Error) => {
      failure ??= error;
      socket.destroy();
    };
    const timer = setTimeout(() => fail(new Error(socket.connecting
      ? `no connection within ${PROBE_TIMEOUT_MS} ms`
      : `no handshake within ${PROBE_TIMEOUT_MS} ms: it is busy with another client (an rpc-server serves one at a time) or is not an RPC server`)),
    PROBE_TIMEOUT_MS);
    socket.once("connect", () => {
      const request = Buffer.alloc(1 + 8 + RPC_HELLO.capsBytes);
      request.writeUInt8(RPC_HELLO.command, 0);
      request.writeBigUInt64LE(BigInt(RPC_HELLO.capsBytes), 1);
      socket.write(request);
    });
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < answerBytes) return;
      const major = received.readUInt8(8);
      if (received.readBigUInt64LE(0) !== BigInt(answerBytes - 8) || major !== RPC_HELLO.protocolMajor) {
        fail(new Error(`it speaks RPC protocol ${major}.x, this build ${RPC_HELLO.protocolMajor}.x`));
      } else {
        socket.destroy();
      }
    });
    socket.once("error", fail);
    socket.once("close", () => {
      clearTimeout(timer);
      if (failure === undefined && received.length < answerBytes) failure = new Error("it closed the connection during the handshake");
      if (failure) reject(failure);
      else resolve();
    });
  });
}

/**
 * Attaches every endpoint's devices and returns their ggml names, in order. Each server is probed first: ggml's
 * RPC client aborts the whole process when it cannot connect, so an unreachable server must be caught here.
 * @throws GptOssError ERR_INVALID_ARGUMENT (not host:port), ERR_BACKEND_UNAVAILABLE (no answer, no devices).
 */
export async function attachRpcServers(addon: NativeAddon, endpoints: readonly string[]): Promise<string[]> {
  const devices: string[] = [];
  for (const endpoint of endpoints) {
    const parsed = parseEndpoint(endpoint);
    if (!parsed) throw new GptOssError("ERR_INVALID_ARGUMENT", `Expected "host:port" for an rpc server but received ${JSON.stringify(endpoint)}`);
    // ggml keeps one connection per endpoint for the life of the process: a server attached before is not probed
    // again (it would be busy with that very connection).
    if (!attached.has(endpoint)) {
      try {
        await probe(parsed.host, parsed.port);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new GptOssError("ERR_BACKEND_UNAVAILABLE", `RPC server ${endpoint} does not answer (${code ?? (error as Error).message}).` +
          (code === "ECONNREFUSED" ? ` Start it there with \`gpt-oss rpc-server --host <address> --port ${parsed.port}\`.` : ""));
      }
    }
    devices.push(...addon.addRpcServer(endpoint));
    attached.add(endpoint);
  }
  return devices;
}
