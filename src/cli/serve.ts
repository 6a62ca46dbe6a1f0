/** `gpt-oss serve`: the OpenAI-compatible server over one or more models. */
import { DEFAULTS, LIMITS } from "../chat/defaults.js";
import type { LoadModelOptions, Model } from "../chat/types.js";
import { REASONING_EFFORTS } from "../harmony/reasoning.js";
import { OPENAI_TEMPERATURE } from "../server/generation-params.js";
import {
  createServer,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_LISTEN,
  DEFAULT_MAX_MESSAGES,
  DEFAULT_MAX_TOOLS,
  DEFAULT_REDIS_KEY_PREFIX,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  describeRedisUrl,
  parseRateLimit,
  type ServerOptions,
} from "../server/index.js";
import { parseArgs } from "node:util";
import { enumOption, gpuOption, HELP_OPTION, intOption, numberOption, UsageError, withUsageErrors } from "./args.js";
import { endBySignal, EXIT_FAILURE, EXIT_OK } from "./exit-codes.js";
import { importLoadModel } from "./library.js";
import { describePlacement, PLACEMENT_HELP, PLACEMENT_OPTIONS, placementLoadOptions } from "./placement-flags.js";
import { DEMO_MODEL, DEMO_NOTICE, modelFile, resolveModelSpecs, type ModelSpec } from "./model-source.js";

/** On SIGTERM/SIGINT, how long the shutdown waits for an aborted model load to stop before exiting anyway. */
export const LOAD_ABORT_WAIT_MS = 5_000;

export const SERVE_HELP = `Usage: gpt-oss serve [options]

Serves gpt-oss models over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/responses,
/v1/models, /v1/health, /v1/metrics).

Options:
  --model PATH            GGUF file to serve; repeat for several models; "demo" = tiny random-weight model.
                          Default: $GPT_OSS_MODEL, else "model" in the config file, else demo.
  --alias NAME            id of the --model at the same position (default: file name without .gguf)
  --host HOST             address to listen on (default ${DEFAULT_LISTEN.host}; 0.0.0.0 for all interfaces)
  --port N                port (default ${DEFAULT_LISTEN.port}, or $PORT)
  --api-key KEY           require this bearer key (repeatable; default: $OPENAI_API_KEY; none = open server)
  --api-key-file PATH     keys from a JSON file, with names, allowed models/routes and limits per key
                          (default: $GPT_OSS_API_KEY_FILE; README "API keys"). Re-read when it changes and on
                          SIGHUP; an invalid new version keeps the keys in use and logs an error
  --cors ORIGIN           allow browser calls from this origin (repeatable; "*" = any; default: CORS off)
  --rate-limit RPS[:BURST]  requests per second per key/address (default: $API_RATE_LIMIT_RPS, else unlimited)
  --tokens-per-minute N   prompt + completion tokens per minute per key/address, unless its key sets
                          tokensPerMinute; over it: 429 + Retry-After (default 0 = unlimited)
  --max-concurrent-per-key N  generation requests at once per key/address, unless its key sets
                          maxConcurrent; beyond it: 429 (default 0 = unlimited)
  --request-timeout S     cancel a generation request running longer than S seconds: 504 generation_timeout,
                          or an error event ending a stream (default ${DEFAULT_REQUEST_TIMEOUT_MS / 1000}; 0 = no limit)
  --max-body-bytes N      largest request body accepted, else 413 (default ${DEFAULT_BODY_LIMIT_BYTES})
  --max-messages N        most messages (or /v1/responses input items) in one request, else 400
                          array_above_max_length (default ${DEFAULT_MAX_MESSAGES})
  --max-tools N           most tools in one request, else 400 array_above_max_length (default ${DEFAULT_MAX_TOOLS})
  --redis URL             share rate limits, token quotas and stored responses with other replicas through
                          this Redis (redis://[:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS; default:
                          $GPT_OSS_REDIS_URL, else in this process). Unreachable at start: exit 1; lost later: 503
                          until it is back
  --redis-prefix P        prefix of this deployment's Redis keys (default "${DEFAULT_REDIS_KEY_PREFIX}")
  --ctx-size N            context tokens: one KV pool shared by the parallel sequences, and the most one
                          request may use, prompt and output together (default ${DEFAULTS.contextSize})
  --parallel N            sequences generating at once per model (default ${DEFAULTS.parallel})
  --threads N             CPU threads (default: every logical core)
  --gpu auto|cpu|cuda|vulkan|metal   backend (default auto)
${PLACEMENT_HELP}
  --max-queue N           requests waiting for a slot or KV room before 503 + Retry-After (default ${DEFAULTS.maxQueue})
  --draft N               speculative decoding by prompt lookup: up to N guessed tokens per step for greedy
                          requests, checked in the same decode; same output (default ${DEFAULTS.draftTokens} = off)
  --reasoning-effort ${REASONING_EFFORTS.join("|")}  default for requests that set none (default ${DEFAULTS.reasoningEffort})
  --max-tokens N          default max_tokens, capped to the room the prompt leaves (default ${DEFAULTS.maxTokens})
  --temperature X         default temperature (default ${DEFAULTS.temperature})
  --top-p X               default top_p (default ${DEFAULTS.topP})
  --shutdown-timeout MS   on SIGTERM/SIGINT, time in-flight requests get to finish (default ${DEFAULT_SHUTDOWN_TIMEOUT_MS});
                          a model still loading is aborted. Exit 0; a second signal ends the process at once
  -h, --help              this help

Exit codes: 0 stopped by SIGTERM/SIGINT, 1 cannot start (address in use, Redis unreachable…), 2 usage error,
130/143 (killed by SIGINT/SIGTERM) when a second signal cut the shutdown short or an aborted model load did not
stop within ${LOAD_ABORT_WAIT_MS / 1000} s.
`;


const SERVE_OPTIONS = {
  model: { type: "string", multiple: true },
  alias: { type: "string", multiple: true },
  host: { type: "string" },
  port: { type: "string" },
  "api-key": { type: "string", multiple: true },
  "api-key-file": { type: "string" },
  "tokens-per-minute": { type: "string" },
  "max-concurrent-per-key": { type: "string" },
  "request-timeout": { type: "string" },
  "max-body-bytes": { type: "string" },
  "max-messages": { type: "string" },
  "max-tools": { type: "string" },
  cors: { type: "string", multiple: true },
  "rate-limit": { type: "string" },
  redis: { type: "string" },
  "redis-prefix": { type: "string" },
  "ctx-size": { type: "string" },
  parallel: { type: "string" },
  threads: { type: "string" },
  gpu: { type: "string" },
  ...PLACEMENT_OPTIONS,
  "max-queue": { type: "string" },
  draft: { type: "string" },
  "reasoning-effort": { type: "string" },
  "max-tokens": { type: "string" },
  temperature: { type: "string" },
  "top-p": { type: "string" },
  "shutdown-timeout": { type: "string" },
} as const;

export interface ServeConfig {
  help: boolean;
  specs: ModelSpec[];
  host: string;
  port: number;
  load: LoadModelOptions;
  server: Omit<ServerOptions, "models">;
  shutdownTimeoutMs: number;
}

/** Parses and validates `serve` flags against the environment (no side effects). */
export function parseServeConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const { values } = withUsageErrors("serve", () => parseArgs({ args: argv, options: { ...SERVE_OPTIONS, ...HELP_OPTION }, strict: true }));
  const gpu = gpuOption(values.gpu);
  const rateLimitText = values["rate-limit"] ?? env.API_RATE_LIMIT_RPS;
  let rateLimit: ServerOptions["rateLimit"];
  if (rateLimitText) {
    try {
      rateLimit = parseRateLimit(rateLimitText);
    } catch (error) {
      throw new UsageError(`${(error as Error).message} for ${values["rate-limit"] ? "--rate-limit" : "API_RATE_LIMIT_RPS"}`);
    }
  }
  const redis = redisOption(values.redis ?? env.GPT_OSS_REDIS_URL, values.redis ? "--redis" : "GPT_OSS_REDIS_URL", values["redis-prefix"]);
  const apiKeys = values["api-key"]?.length ? values["api-key"] : env.OPENAI_API_KEY ? [env.OPENAI_API_KEY] : [];
  const apiKeyFile = values["api-key-file"] ?? (env.GPT_OSS_API_KEY_FILE || undefined);
  const limits = limitOptions(values);
  const cors = corsOption(values.cors);
  const reasoningEffort = enumOption(values["reasoning-effort"], "--reasoning-effort", REASONING_EFFORTS);
  const defaults: NonNullable<ServerOptions["defaults"]> = {};
  const maxTokens = intOption(values["max-tokens"], "--max-tokens", LIMITS.maxTokens.min, LIMITS.maxTokens.max);
  const temperature = numberOption(values.temperature, "--temperature", OPENAI_TEMPERATURE.min, OPENAI_TEMPERATURE.max);
  const topP = numberOption(values["top-p"], "--top-p", LIMITS.topP.min, LIMITS.topP.max);
  if (reasoningEffort) defaults.reasoningEffort = reasoningEffort;
  if (maxTokens !== undefined) defaults.maxTokens = maxTokens;
  if (temperature !== undefined) defaults.temperature = temperature;
  if (topP !== undefined) defaults.topP = topP;
  const load: LoadModelOptions = placementLoadOptions(values);
  const contextSize = intOption(values["ctx-size"], "--ctx-size", LIMITS.contextSize.min, LIMITS.contextSize.max);
  const parallel = intOption(values.parallel, "--parallel", LIMITS.parallel.min, LIMITS.parallel.max);
  const threads = intOption(values.threads, "--threads", LIMITS.threads.min, LIMITS.threads.max);
  const maxQueue = intOption(values["max-queue"], "--max-queue", LIMITS.maxQueue.min, LIMITS.maxQueue.max);
  if (contextSize !== undefined) load.contextSize = contextSize;
  if (parallel !== undefined) load.parallel = parallel;
  if (threads !== undefined) load.threads = threads;
  if (gpu !== undefined) load.gpu = gpu;
  if (maxQueue !== undefined) load.maxQueue = maxQueue;
  const draftTokens = intOption(values.draft, "--draft", LIMITS.draftTokens.min, LIMITS.draftTokens.max);
  if (draftTokens !== undefined) load.draftTokens = draftTokens;
  const help = values.help === true;
  return {
    help,
    // --help must work even where the configured model is missing.
    specs: help ? [] : resolveModelSpecs(values.model, values.alias, env).specs,
    host: values.host ?? DEFAULT_LISTEN.host,
    port: intOption(values.port ?? env.PORT, values.port ? "--port" : "PORT", 0, 65535) ?? DEFAULT_LISTEN.port,
    load,
    server: { apiKeys, ...(apiKeyFile !== undefined && { apiKeyFile }), ...limits, ...(cors && { cors }), ...(rateLimit && { rateLimit }), ...(redis && { redis }), defaults, logger: { level: env.LOG_LEVEL ?? "info" } },
    shutdownTimeoutMs: intOption(values["shutdown-timeout"], "--shutdown-timeout", 0) ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
  };
}

/**
 * `--tokens-per-minute`, `--max-concurrent-per-key`, `--request-timeout` (seconds), `--max-body-bytes`,
 * `--max-messages` and `--max-tools`, as server options.
 */
function limitOptions(values: Record<string, string | boolean | string[] | undefined>): Partial<ServerOptions> {
  const flag = (name: string) => values[name] as string | undefined;
  const tokensPerMinute = intOption(flag("tokens-per-minute"), "--tokens-per-minute", 0);
  const maxConcurrentPerKey = intOption(flag("max-concurrent-per-key"), "--max-concurrent-per-key", 0);
  const requestTimeoutSeconds = numberOption(flag("request-timeout"), "--request-timeout", 0, 7 * 24 * 3600);
  const bodyLimitBytes = intOption(flag("max-body-bytes"), "--max-body-bytes", 1024);
  const maxMessages = intOption(flag("max-messages"), "--max-messages", 1);
  const maxTools = intOption(flag("max-tools"), "--max-tools", 0);
  return {
    ...(tokensPerMinute !== undefined && { tokensPerMinute }),
    ...(maxConcurrentPerKey !== undefined && { maxConcurrentPerKey }),
    ...(requestTimeoutSeconds !== undefined && { requestTimeoutMs: Math.round(requestTimeoutSeconds * 1000) }),
    ...(bodyLimitBytes !== undefined && { bodyLimitBytes }),
    ...(maxMessages !== undefined && { maxMessages }),
    ...(maxTools !== undefined && { maxTools }),
  };
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::ffff:127.0.0.1";
}

/** `--redis` (or GPT_OSS_REDIS_URL) and `--redis-prefix`: a redis:// or rediss:// URL with a host. */
function redisOption(url: string | undefined, source: string, keyPrefix: string | undefined): ServerOptions["redis"] {
  if (!url) {
    if (keyPrefix !== undefined) throw new UsageError("--redis-prefix needs --redis (or GPT_OSS_REDIS_URL)");
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (!parsed || !["redis:", "rediss:"].includes(parsed.protocol) || parsed.hostname === "") {
    throw new UsageError(`${source} expects a URL like redis://127.0.0.1:6379, got ${JSON.stringify(url.replace(/\/\/[^@/]*@/, "//…@"))}`);
  }
  return { url, ...(keyPrefix !== undefined && { keyPrefix }) };
}

/** `--cors` values: "*" alone, or origins like https://app.example (scheme, host, optional port). */
function corsOption(values: string[] | undefined): ServerOptions["cors"] {
  if (!values?.length) return undefined;
  if (values.includes("*")) {
    if (values.length > 1) throw new UsageError('--cors "*" allows every origin; give it alone');
    return "*";
  }
  for (const origin of values) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(origin)) throw new UsageError(`--cors expects an origin like https://app.example, got ${JSON.stringify(origin)}`);
  }
  return values;
}

export async function runServe(argv: string[]): Promise<number> {
  const config = parseServeConfig(argv);
  if (config.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  const loadModel = await importLoadModel();
  if (config.specs.some((s) => s.path === DEMO_MODEL)) process.stderr.write(`${DEMO_NOTICE}\n`);
  const loaded: Model[] = [];
  const loading = new AbortController();
  // Models load once the server listens: a Redis that cannot be reached fails the start before a long load.
  let listening!: () => void;
  const listened = new Promise<void>((resolve) => (listening = resolve));
  const models = config.specs.map((spec) => ({
    id: spec.id,
    model: listened.then(() => modelFile(spec)).then(async (path) => {
      const model = await loadModel(path, { ...config.load, signal: loading.signal });
      loaded.push(model);
      process.stderr.write(`Model "${spec.id}" ready: ${model.info.architecture}, ${describePlacement(model.info)}, context ${model.info.contextSize}, ${model.info.parallel} slots\n`);
      return model;
    }),
  }));
  for (const { id, model } of models) model.catch((error: unknown) => process.stderr.write(`Model "${id}" failed to load: ${(error as Error).message}\n`));

  const server = createServer({ models, ...config.server });
  const url = await server.listen({ host: config.host, port: config.port }).catch((error: unknown) => {
    throw listenError(error, config.host, config.port);
  });
  listening();
  process.stdout.write(`gpt-oss server listening on ${url} (OpenAI base URL: ${url}/v1)\n`);
  const keysRequired = Boolean(config.server.apiKeys?.length) || config.server.apiKeyFile !== undefined;
  process.stdout.write(`Models: ${config.specs.map((s) => s.id).join(", ")}${keysRequired ? " · API key required" : ""}\n`);
  if (!keysRequired && !isLoopbackHost(config.host)) {
    process.stderr.write(`Warning: listening on ${config.host} without an API key: anyone who can reach this address can use the server (--api-key or --api-key-file).\n`);
  }
  if (config.server.redis) process.stdout.write(`Shared state (rate limits, stored responses): Redis at ${describeRedisUrl(config.server.redis.url)}\n`);


  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`Second ${signal}: exiting now.\n`);
        return endBySignal(signal);
      }
      stopping = true;
      loading.abort();
      process.stderr.write(`${signal}: finishing in-flight requests (up to ${config.shutdownTimeoutMs} ms)…\n`);
      void server
        .shutdown({ timeoutMs: config.shutdownTimeoutMs })
        .then(() => loadsStopped(server.registry.settled))
        .then(async (stopped) => {
          if (!stopped) {
            process.stderr.write(`A model load did not stop within ${LOAD_ABORT_WAIT_MS} ms of being aborted (stuck reading the file?); ending the process by ${signal}.\n`);
            return endBySignal(signal);
          }
          await Promise.allSettled(loaded.map((m) => m.dispose()));
          resolve(EXIT_OK);
        })
        .catch(() => resolve(EXIT_FAILURE));
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    // Re-read the key file (the server logs the outcome); without one, SIGHUP does nothing rather than kill the server.
    process.on("SIGHUP", () => server.reloadApiKeys());
  });
}

/** Whether the aborted model loads settled within LOAD_ABORT_WAIT_MS (a load stuck in file I/O cannot stop). */
async function loadsStopped(settled: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), LOAD_ABORT_WAIT_MS)));
  const stopped = await Promise.race([settled.then(() => true), gaveUp]);
  clearTimeout(timer);
  return stopped;
}

/** A listen failure as one line naming the address (EADDRINUSE, EACCES, EADDRNOTAVAIL), keeping its code. */
export function listenError(error: unknown, host: string, port: number): Error {
  const code = (error as { code?: string }).code;
  const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const why: Record<string, string> = {
    EADDRINUSE: "the address is already in use (another server on this port? pick another with --port)",
    EACCES: "permission denied (ports below 1024 need privileges; pick another with --port)",
    EADDRNOTAVAIL: "this machine has no such address (check --host)",
  };
  const reason = code ? why[code] : undefined;
  if (!reason) return error instanceof Error ? error : new Error(String(error));
  return Object.assign(new Error(`cannot listen on ${address}: ${reason}`), { code });
}
