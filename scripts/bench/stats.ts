// The paired comparison of two engines over interleaved rounds: on a shared machine the speed of every engine
// drifts with other work, so each round's ratio (both engines measured minutes apart) is one observation, and the
// spread of those ratios, not of the raw tok/s, says how far the estimate can be trusted.

/** Two-sided 95% quantiles of Student's t by degrees of freedom (1..30); above 30 the normal 1.96 is close enough. */
const T_95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12,
  2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function studentT95(degreesOfFreedom: number): number {
  if (!Number.isInteger(degreesOfFreedom) || degreesOfFreedom < 1) throw new RangeError(`degrees of freedom must be a positive integer, got ${degreesOfFreedom}`);
  return T_95[degreesOfFreedom - 1] ?? 1.96;
}

export interface PairedRatio {
  /** Geometric mean of the per-round ratios. */
  ratio: number;
  /** 95% confidence interval of the ratio (Student t on the log ratios); absent with a single round. */
  low?: number;
  high?: number;
  rounds: number;
}

/**
 * Summarizes per-round throughputs of an engine (`values`) against the reference measured in the same rounds
 * (`reference`): the geometric mean of values[k] / reference[k] with its 95% confidence interval.
 */
export function pairedRatio(values: readonly number[], reference: readonly number[]): PairedRatio {
  if (values.length === 0 || values.length !== reference.length) {
    throw new RangeError(`expected the same number of rounds (at least one), got ${values.length} and ${reference.length}`);
  }
  const logs = values.map((value, k) => Math.log(value / reference[k]!));
  if (logs.some((x) => !Number.isFinite(x))) throw new RangeError("throughputs must be positive and finite");
  const n = logs.length;
  const mean = logs.reduce((sum, x) => sum + x, 0) / n;
  if (n < 2) return { ratio: Math.exp(mean), rounds: n };
  const variance = logs.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1);
  const halfWidth = studentT95(n - 1) * Math.sqrt(variance / n);
  return { ratio: Math.exp(mean), low: Math.exp(mean - halfWidth), high: Math.exp(mean + halfWidth), rounds: n };
}
