/**
 * One line of a run's metrics log: where the run stood and what it measured
 * there. Metrics are plain numbers (losses, accuracies as fractions in [0, 1],
 * the learning rate, images per second…); NaN and ±Infinity are allowed, so a
 * diverging step is logged as it happened.
 *
 * ```ts
 * const record: MetricsRecord = { split: 'train', epoch: 1, step: 120, time: 14.2, loss: 0.412, acc1: 0.881 };
 * ```
 */
export interface MetricsRecord {
  /** Which data the metrics come from: `'train'`, `'val'`, `'test'` or any other name. */
  readonly split: MetricsSplit;
  /** The epoch the record belongs to (the loop's numbering, usually from 1). */
  readonly epoch: number;
  /** Optimizer steps taken when the record was made. */
  readonly step: number;
  /** Seconds of training since the run started, summed across resumes. */
  readonly time: number;
  /** The metrics: name → value. */
  readonly [metric: string]: number | string;
}

/** The name of a record's split; `'train'` and `'val'` are the ones the plots look for. */
export type MetricsSplit = 'train' | 'val' | 'test' | (string & {});

/** What {@link MetricsLog.log} takes: a record whose `time` the log may fill in. */
export interface MetricsEntry {
  /** Which data the metrics come from. */
  readonly split: MetricsSplit;
  /** The epoch the record belongs to. */
  readonly epoch: number;
  /** Optimizer steps taken when the record was made. */
  readonly step: number;
  /** Seconds since the run started; by default the log's own clock. */
  readonly time?: number;
  /** The metrics: name → value. */
  readonly [metric: string]: number | string | undefined;
}

/** The keys every record has, in the order the CSV puts them first. */
export const RECORD_KEYS = ['split', 'epoch', 'step', 'time'] as const;
