/** `gpt-oss serve`: the OpenAI-compatible server over one or more models. */
import { DEFAULTS, LIMITS } from "../chat/defaults.js";
import type { LoadModelOptions, Model } from "../chat/types.js";
import { REASONING_EFFORTS } from "../harmony/reasoning.js";
import { OPENAI_TEMPERATURE } from "../server/generation-params.js";
import { createServer, DEFAULT_LISTEN, DEFAULT_SHUTDOWN_TIMEOUT_MS, parseRateLimit, type ServerOptions } from "../server/index.js";
import { parseArgs } from "node:util";
import { enumOption, gpuOption, HELP_OPTION, intOption, numberOption, UsageError, withUsageErrors } from "./args.js";
import { importLoadModel } from "./library.js";
import { DEMO_MODEL, DEMO_NOTICE, modelFile, resolveModelSpecs, type ModelSpec } from "./model-source.js";

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
  --cors ORIGIN           allow browser calls from this origin (repeatable; "*" = any; default: CORS off)
  --rate-limit RPS[:BURST]  requests per second per key/address (default: $API_RATE_LIMIT_RPS, else unlimited)
  --ctx-size N            context tokens: one KV pool shared by the parallel sequences, and the most one
                          request may use, prompt and output together (default ${DEFAULTS.contextSize})
  --parallel N            sequences generating at once per model (default ${DEFAULTS.parallel})
  --threads N             CPU threads (default: every logical core)
  --gpu auto|cpu|cuda|vulkan|metal   backend (default auto)
  --max-queue N           requests waiting for a slot or KV room before 503 + Retry-After (default ${DEFAULTS.maxQueue})
  --reasoning-effort ${REASONING_EFFORTS.join("|")}  default for requests that set none (default ${DEFAULTS.reasoningEffort})
  --max-tokens N          default max_tokens, capped to the room the prompt leaves (default ${DEFAULTS.maxTokens})
  --temperature X         default temperature (default ${DEFAULTS.temperature})
  --top-p X               default top_p (default ${DEFAULTS.topP})
  --shutdown-timeout MS   on SIGTERM/SIGINT, time in-flight requests get to finish (default ${DEFAULT_SHUTDOWN_TIMEOUT_MS})
  -h, --help              this help
`;

const SERVE_OPTIONS = {
  model: { type: "string", multiple: true },
  alias: { type: "string", multiple: true },
  host: { type: "string" },
  port: { type: "string" },
  "api-key": { type: "string", multiple: true },
  cors: { type: "string", multiple: true },
  "rate-limit": { type: "string" },
  "ctx-size": { type: "string" },
  parallel: { type: "string" },
  threads: { type: "string" },
  gpu: { type: "string" },
  "max-queue": { type: "string" },
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
  const apiKeys = values["api-key"]?.length ? values["api-key"] : env.OPENAI_API_KEY ? [env.OPENAI_API_KEY] : [];
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
  const load: LoadModelOptions = {};
  const contextSize = intOption(values["ctx-size"], "--ctx-size", LIMITS.contextSize.min, LIMITS.contextSize.max);
  const parallel = intOption(values.parallel, "--parallel", LIMITS.parallel.min, LIMITS.parallel.max);
  const threads = intOption(values.threads, "--threads", LIMITS.threads.min, LIMITS.threads.max);
  const maxQueue = intOption(values["max-queue"], "--max-queue", LIMITS.maxQueue.min, LIMITS.maxQueue.max);
  if (contextSize !== undefined) load.contextSize = contextSize;
  if (parallel !== undefined) load.parallel = parallel;
  if (threads !== undefined) load.threads = threads;
  if (gpu !== undefined) load.gpu = gpu;
  if (maxQueue !== undefined) load.maxQueue = maxQueue;
  const help = values.help === true;
  return {
    help,
    // --help must work even where the configured model is missing.
    specs: help ? [] : resolveModelSpecs(values.model, values.alias, env).specs,
    host: values.host ?? DEFAULT_LISTEN.host,
    port: intOption(values.port ?? env.PORT, values.port ? "--port" : "PORT", 0, 65535) ?? DEFAULT_LISTEN.port,
    load,
    server: { apiKeys, ...(cors && { cors }), ...(rateLimit && { rateLimit }), defaults, logger: { level: env.LOG_LEVEL ?? "info" } },
    shutdownTimeoutMs: intOption(values["shutdown-timeout"], "--shutdown-timeout", 0) ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
  };
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
  const models = config.specs.map((spec) => ({
    id: spec.id,
    model: modelFile(spec).then(async (path) => {
      const model = await loadModel(path, { ...config.load, signal: loading.signal });
      loaded.push(model);
      process.stderr.write(`Model "${spec.id}" ready: ${model.info.architecture}, ${model.info.backend}, context ${model.info.contextSize}, ${model.info.parallel} slots\n`);
      return model;
    }),
  }));
  for (const { id, model } of models) model.catch((error: unknown) => process.stderr.write(`Model "${id}" failed to load: ${(error as Error).message}\n`));

  const server = createServer({ models, ...config.server });
  const url = await server.listen({ host: config.host, port: config.port });
  process.stdout.write(`gpt-oss server listening on ${url} (OpenAI base URL: ${url}/v1)\n`);
  process.stdout.write(`Models: ${config.specs.map((s) => s.id).join(", ")}${config.server.apiKeys?.length ? " · API key required" : ""}\n`);


  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`Second ${signal}: exiting now.\n`);
        process.exit(1);
      }
      stopping = true;
      loading.abort();
      process.stderr.write(`${signal}: finishing in-flight requests (up to ${config.shutdownTimeoutMs} ms)…\n`);
      void server
        .shutdown({ timeoutMs: config.shutdownTimeoutMs })
        .then(() => server.registry.settled)
        .then(() => Promise.allSettled(loaded.map((m) => m.dispose())))
        .then(() => resolve(0), () => resolve(1));
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
