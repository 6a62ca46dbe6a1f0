/**
 * Prometheus metrics of one server instance, in a registry of its own (several servers may share a process).
 * Names are prefixed `gpt_oss_`; see `describeMetrics` in the README table.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Usage } from "../chat/types.js";
import type { GpuUtilizationProbe } from "./gpu-utilization.js";
import type { ModelEntry } from "./model-registry.js";

export interface MetricsSource {
  activeRequests(): number;
  models(): ModelEntry[];
}

const LATENCY_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"route" | "status">;
  private readonly requestCount: Counter<"status">;
  private readonly latency: Histogram<"route">;
  private readonly ttft: Histogram<"model">;
  private readonly promptTokens: Counter<"model">;
  private readonly completionTokens: Counter<"model">;
  private readonly reasoningTokens: Counter<"model">;
  private readonly cachedPromptTokens: Counter<"model">;
  private readonly tokensPerSecond: Gauge<"model">;
  private readonly routed: Counter<"model" | "reason">;
  private readonly keyTokens: Counter<"key">;
  private generationLatencyMsSum = 0;
  private generationCount = 0;

  constructor(source: MetricsSource, gpuProbe?: GpuUtilizationProbe) {
    const registers = [this.registry];
    this.requests = new Counter({ name: "gpt_oss_requests_total", help: "HTTP requests by route and status code.", labelNames: ["route", "status"], registers });
    this.requestCount = new Counter({ name: "gpt_oss_request_count", help: "HTTP requests by status code (all routes).", labelNames: ["status"], registers });
    this.latency = new Histogram({ name: "gpt_oss_request_duration_seconds", help: "HTTP request latency (whole response, streams included).", labelNames: ["route"], buckets: LATENCY_BUCKETS, registers });
    this.ttft = new Histogram({ name: "gpt_oss_time_to_first_token_seconds", help: "Time from request to the first generated token.", labelNames: ["model"], buckets: TTFT_BUCKETS, registers });
    this.promptTokens = new Counter({ name: "gpt_oss_prompt_tokens_total", help: "Prompt tokens processed.", labelNames: ["model"], registers });
    this.completionTokens = new Counter({ name: "gpt_oss_completion_tokens_total", help: "Tokens generated (reasoning included).", labelNames: ["model"], registers });
    this.reasoningTokens = new Counter({ name: "gpt_oss_reasoning_tokens_total", help: "Chain-of-thought tokens generated.", labelNames: ["model"], registers });
    this.cachedPromptTokens = new Counter({ name: "gpt_oss_cached_prompt_tokens_total", help: "Prompt tokens served from the KV cache.", labelNames: ["model"], registers });
    this.routed = new Counter({ name: "gpt_oss_routed_requests_total", help: 'Requests for model "auto", by the model the routing policy picked and why.', labelNames: ["model", "reason"], registers });
    this.keyTokens = new Counter({ name: "gpt_oss_key_tokens_total", help: "Prompt + completion tokens of finished generations, by API key name (never the key).", labelNames: ["key"], registers });
    this.tokensPerSecond = new Gauge({ name: "gpt_oss_tokens_per_second", help: "Speed of the last finished request: completion tokens / seconds from slot to last token (prefill included).", labelNames: ["model"], registers });

    const self = this;
    new Gauge({
      name: "gpt_oss_avg_latency_ms",
      help: "Mean latency of generation requests (chat completions, responses) in milliseconds.",
      registers,
      collect() {
        this.set(self.generationCount ? self.generationLatencyMsSum / self.generationCount : 0);
      },
    });
    new Gauge({
      name: "gpt_oss_active_requests",
      help: "Requests being served now (generation requests, waiting or running).",
      registers,
      collect() {
        this.set(source.activeRequests());
      },
    });
    const perModel = (name: string, help: string, value: (entry: ModelEntry) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ["model"],
        registers,
        collect() {
          this.reset();
          for (const entry of source.models()) {
            const v = value(entry);
            if (v !== undefined) this.set({ model: entry.id }, v);
          }
        },
      });
    perModel("gpt_oss_queue_depth", "Requests waiting for a sequence slot or KV cells.", (e) => e.model?.stats().queuedRequests);
    perModel("gpt_oss_kv_cache_used_cells", "KV cache cells in use.", (e) => e.model?.stats().kvCellsUsed);
    perModel("gpt_oss_kv_cache_usage_ratio", "Share of the KV cache in use (0..1).", (e) => {
      const stats = e.model?.stats();
      return stats && stats.contextSize > 0 ? stats.kvCellsUsed / stats.contextSize : undefined;
    });
    perModel("gpt_oss_model_ready", "1 when the model is loaded and serving, 0 while loading or after a failed load.", (e) => (e.state === "ready" ? 1 : 0));
    if (gpuProbe) {
      new Gauge({
        name: "gpt_oss_gpu_utilization_percent",
        help: "GPU utilization percent (nvidia-smi), reported while a model runs on a GPU backend.",
        labelNames: ["gpu"],
        registers,
        async collect() {
          this.reset();
          const onGpu = source.models().some((e) => e.model && e.model.info.backend.toLowerCase() !== "cpu");
          if (!onGpu) return;
          (await gpuProbe()).forEach((value, index) => this.set({ gpu: String(index) }, value));
        },
      });
    }
  }

  observeRequest(route: string, status: number, seconds: number, isGeneration: boolean): void {
    this.requests.inc({ route, status: String(status) });
    this.requestCount.inc({ status: String(status) });
    this.latency.observe({ route }, seconds);
    if (isGeneration) {
      this.generationLatencyMsSum += seconds * 1000;
      this.generationCount++;
    }
  }

  /** One `model: "auto"` request routed to `model` for `reason`. */
  observeRoute(model: string, reason: string): void {
    this.routed.inc({ model, reason });
  }

  /** Tokens one finished generation spent for the API key named `keyName` (a name, never a secret). */
  observeKeyTokens(keyName: string, tokens: number): void {
    this.keyTokens.inc({ key: keyName }, tokens);
  }

  observeFirstToken(model: string, seconds: number): void {
    this.ttft.observe({ model }, seconds);
  }

  /** Token counters and speed of one finished generation; `seconds` runs from getting a slot to the last token. */
  observeGeneration(model: string, usage: Usage, seconds: number): void {
    this.promptTokens.inc({ model }, usage.promptTokens);
    this.completionTokens.inc({ model }, usage.completionTokens);
    this.reasoningTokens.inc({ model }, usage.reasoningTokens);
    this.cachedPromptTokens.inc({ model }, usage.cachedPromptTokens);
    if (usage.completionTokens > 0 && seconds > 0) this.tokensPerSecond.set({ model }, usage.completionTokens / seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
