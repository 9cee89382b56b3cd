import { Bench } from 'tinybench';

/** Latency figures of one framework on one case, in milliseconds. */
export interface Measurement {
  readonly medianMs: number;
  readonly p25Ms: number;
  readonly p75Ms: number;
  /** Median absolute deviation from the median (unscaled). */
  readonly madMs: number;
  /** Every timed sample, sorted ascending. */
  readonly samplesMs: readonly number[];
}

/** Linear interpolation between order statistics, as numpy's default percentile. */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** Median, quartiles and MAD of samples timed elsewhere (the PyTorch peer's process). */
export function summarize(samples: readonly number[]): Measurement {
  const samplesMs = [...samples].sort((a, b) => a - b);
  const medianMs = quantile(samplesMs, 0.5);
  const deviations = samplesMs.map((sample) => Math.abs(sample - medianMs)).sort((a, b) => a - b);
  return { medianMs, p25Ms: quantile(samplesMs, 0.25), p75Ms: quantile(samplesMs, 0.75), madMs: quantile(deviations, 0.5), samplesMs };
}

/** Untimed calls before the timed ones: at least `iterations` of them, and as many more as fit `ms`. */
export interface Warmup {
  readonly iterations: number;
  readonly ms: number;
}

/**
 * Times `iterate` `iterations` times after the warm-up's untimed calls.
 * No time budget for the timed calls: with iterations taking up to minutes,
 * a count is what keeps a run's length predictable (the caller sets it from
 * a probe call).
 */
export async function measure(name: string, iterate: () => void | Promise<void>, iterations: number, warmup: Warmup): Promise<Measurement> {
  // A collection left over from the previous framework should not land in our samples.
  (globalThis as { gc?: () => void }).gc?.();
  const bench = new Bench({
    name,
    iterations,
    time: 0,
    warmup: warmup.iterations > 0 || warmup.ms > 0,
    warmupIterations: warmup.iterations,
    warmupTime: warmup.ms,
    retainSamples: true,
    throws: true,
  });
  bench.add(name, iterate);
  const [task] = await bench.run();
  const result = task.result;
  if (result.state !== 'completed' || !result.latency.samples) throw new Error(`${name}: benchmark ended in state '${result.state}'`);
  const samplesMs = [...result.latency.samples];
  return {
    medianMs: result.latency.p50,
    p25Ms: quantile(samplesMs, 0.25),
    p75Ms: quantile(samplesMs, 0.75),
    madMs: result.latency.mad,
    samplesMs,
  };
}
