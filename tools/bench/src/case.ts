/**
 * The frameworks every case runs, in the order they are timed and printed:
 * `fathom` is @fathom/core's CPU backend, `fathom-wasm` is @fathom/wasm.
 */
export const FRAMEWORKS = ['fathom', 'fathom-wasm', 'tfjs-cpu', 'tfjs-wasm'] as const;
export type FrameworkName = (typeof FRAMEWORKS)[number];

/** One framework's inputs for a case, made before timing starts. */
export interface PreparedRun {
  /** One timed iteration: computes the result and reads it back, so lazy or queued work is finished. */
  readonly iterate: () => void;
  /** Frees the inputs; afterwards the framework holds as many tensors as before `prepare`. */
  readonly dispose: () => void;
  /** Tensors the framework holds right now, to check that iterations leave none behind. */
  readonly liveTensors: () => number;
}

/** One row of the table: a workload at one size, runnable by every framework. */
export interface BenchCase {
  /** Short label, e.g. `W1 sgemm`. */
  readonly workload: string;
  /** The size in words, e.g. `n=1024`. */
  readonly size: string;
  /** Floating-point operations of one iteration (a multiply-add counts 2). */
  readonly flops: number;
  /** Timed iterations (after a warm-up); the largest sizes take fewer. */
  readonly iterations: number;
  readonly prepare: Readonly<Record<FrameworkName, () => Promise<PreparedRun>>>;
}
