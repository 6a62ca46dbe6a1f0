/**
 * The models one server serves, by id. A model may still be loading when the server starts listening:
 * requests for it answer 503 `model_loading` until it is ready (or `model_unavailable` if loading failed).
 */
import type { Model } from "../chat/types.js";
import { ApiError } from "./errors.js";

/** One model to serve: a loaded Model or the promise of one (served as "loading" until it settles). */
export interface ServedModel {
  /** The id clients send as `model` (e.g. the file name without .gguf, or an alias). */
  id: string;
  model: Model | Promise<Model>;
}

export type ModelState = "loading" | "ready" | "failed";

export interface ModelEntry {
  readonly id: string;
  /** Unix seconds when the server took the model. */
  readonly created: number;
  state: ModelState;
  model?: Model;
  error?: Error;
}

/** A model entry that is ready to serve. */
export type ReadyModel = ModelEntry & { model: Model };

export class ModelRegistry {
  private readonly entries = new Map<string, ModelEntry>();
  /** Settles when every model has loaded or failed. */
  readonly settled: Promise<void>;

  constructor(models: readonly ServedModel[]) {
    const created = Math.floor(Date.now() / 1000);
    const loads: Promise<void>[] = [];
    for (const { id, model } of models) {
      if (this.entries.has(id)) throw new Error(`Two models share the id "${id}"; give one an alias.`);
      const entry: ModelEntry = { id, created, state: "loading" };
      this.entries.set(id, entry);
      const ready = (m: Model) => {
        entry.model = m;
        entry.state = "ready";
      };
      if (model instanceof Promise) {
        loads.push(
          model.then(ready, (error: unknown) => {
            entry.state = "failed";
            entry.error = error instanceof Error ? error : new Error(String(error));
          }),
        );
      } else {
        ready(model);
      }
    }
    this.settled = Promise.all(loads).then(() => undefined);
  }

  list(): ModelEntry[] {
    return [...this.entries.values()];
  }

  /** The model a request asked for (`undefined`: the first one), ready to use; else a 404/503 ApiError. */
  resolve(id: string | undefined): ReadyModel {
    const entry = id === undefined ? this.list()[0] : this.entries.get(id);
    if (!entry) {
      const known = this.list().map((e) => `'${e.id}'`).join(", ");
      throw new ApiError("model_not_found", `The model '${id}' does not exist. This server serves: ${known}.`, "model");
    }
    if (entry.state === "loading") throw new ApiError("model_loading", `The model '${entry.id}' is still loading; retry shortly.`, "model", { "Retry-After": "5" });
    if (entry.state === "failed" || !entry.model) {
      throw new ApiError("model_unavailable", `The model '${entry.id}' failed to load: ${entry.error?.message ?? "unknown error"}`, "model");
    }
    return entry as ReadyModel;
  }
}
