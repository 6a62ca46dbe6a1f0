/**
 * GPU utilization for the metrics endpoint. ggml exposes no utilization counter, so for CUDA devices this asks
 * `nvidia-smi` (at most once per `cacheMs`); other backends report nothing. A probe that fails once stays off.
 */
import { execFile } from "node:child_process";

/** Utilization percent per GPU index, or an empty list when unknown. */
export type GpuUtilizationProbe = () => Promise<number[]>;

export function createNvidiaSmiProbe(cacheMs = 5_000): GpuUtilizationProbe {
  let disabled = false;
  let cached: { at: number; values: number[] } | undefined;
  return async () => {
    if (disabled) return [];
    if (cached && Date.now() - cached.at < cacheMs) return cached.values;
    const values = await new Promise<number[] | null>((resolve) => {
      execFile("nvidia-smi", ["--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"], { timeout: 2_000 }, (error, stdout) => {
        if (error) return resolve(null);
        const parsed = stdout.split("\n").map((line) => line.trim()).filter(Boolean).map(Number);
        resolve(parsed.every(Number.isFinite) ? parsed : null);
      });
    });
    if (values === null) {
      disabled = true;
      return [];
    }
    cached = { at: Date.now(), values };
    return values;
  };
}
