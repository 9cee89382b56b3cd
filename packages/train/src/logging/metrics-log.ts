import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isFathomError, ValueError } from '@fathom/core';
import { writeFileAtomic } from '@fathom/io/node';
import { metricsToCsv } from './metrics-csv.js';
import { metricsRecordFromJson, metricsRecordToJson } from './metrics-json.js';
import type { MetricsEntry, MetricsRecord } from './metrics-record.js';

/** The file names a {@link MetricsLog} writes in its run folder. */
export const METRICS_FILES = { jsonl: 'metrics.jsonl', csv: 'metrics.csv' } as const;

/** How {@link MetricsLog.open} starts. */
export interface MetricsLogOptions {
  /**
   * Continue the log already in the folder: its records are read back (so
   * plots after a resume show the whole run) and new ones are appended, with
   * `time` going on from the last record's. Without it, an existing log is
   * replaced by an empty one.
   */
  readonly resume?: boolean;
  /**
   * With `resume`, the step the run resumes from (its checkpoint's): records
   * past it were logged after that checkpoint, will be logged again, and are
   * dropped. Without it every record is kept.
   */
  readonly resumeStep?: number;
  /** Seconds on a monotonic clock, for `time` (default: `performance.now() / 1000`). */
  readonly clock?: () => number;
}

/**
 * A run's metrics, kept in its folder as `metrics.jsonl` (one JSON object a
 * line, appended as each record comes, so a killed run keeps everything it
 * logged) and `metrics.csv` (the same records as a table, rewritten
 * atomically by {@link MetricsLog.flush}, so it is valid with a header at any
 * moment).
 *
 * ```ts
 * const log = await MetricsLog.open('runs/lenet', { resume: resumed, resumeStep: step });
 * log.log({ split: 'train', epoch, step, loss: 0.412, lr: 0.01 });
 * await log.flush(); // at the end of each epoch
 * await log.close();
 * ```
 */
export class MetricsLog implements AsyncDisposable {
  /** The run folder. */
  readonly dir: string;
  /** Where the records are appended: `<dir>/metrics.jsonl`. */
  readonly jsonlPath: string;
  /** The table {@link MetricsLog.flush} writes: `<dir>/metrics.csv`. */
  readonly csvPath: string;

  readonly #records: MetricsRecord[];
  readonly #clock: () => number;
  readonly #startedAt: number;
  readonly #timeOffset: number;
  #fd: number | undefined;
  #pending: Promise<void> = Promise.resolve();

  private constructor(dir: string, fd: number, records: MetricsRecord[], clock: () => number) {
    this.dir = dir;
    this.jsonlPath = join(dir, METRICS_FILES.jsonl);
    this.csvPath = join(dir, METRICS_FILES.csv);
    this.#fd = fd;
    this.#records = records;
    this.#clock = clock;
    this.#startedAt = clock();
    this.#timeOffset = records.reduce((latest, record) => Math.max(latest, record.time), 0);
  }

  /**
   * Opens the log of the run in `dir` (created if missing), fresh or, with
   * `resume`, continuing the records already there, and writes `metrics.csv`
   * for what it holds.
   */
  static async open(dir: string, options: MetricsLogOptions = {}): Promise<MetricsLog> {
    const { resume = false, resumeStep, clock = () => performance.now() / 1000 } = options;
    if (resumeStep !== undefined && !(resume && Number.isFinite(resumeStep))) {
      throw new ValueError(`MetricsLog.open: resumeStep (${resumeStep}) needs resume: true and a finite step`);
    }
    await mkdir(dir, { recursive: true });
    const jsonlPath = join(dir, METRICS_FILES.jsonl);
    let records: MetricsRecord[] = [];
    if (resume) {
      const read = await readMetricsFile(jsonlPath, true);
      records = resumeStep === undefined ? read.records : read.records.filter((record) => record.step <= resumeStep);
      // A torn last line, or records past the checkpoint: rewrite the file so
      // that appending continues a clean log.
      if (read.dropped || records.length !== read.records.length) {
        await writeFileAtomic(jsonlPath, new TextEncoder().encode(records.map((record) => `${metricsRecordToJson(record)}\n`).join('')));
      }
    }
    const fd = openSync(jsonlPath, resume ? 'a' : 'w');
    const log = new MetricsLog(dir, fd, records, clock);
    await log.flush();
    return log;
  }

  /** Every record so far, those read back on resume first. */
  get records(): readonly MetricsRecord[] {
    return this.#records;
  }

  /** Seconds of training so far: this session's plus what the resumed log had. */
  elapsed(): number {
    return this.#timeOffset + (this.#clock() - this.#startedAt);
  }

  /**
   * Appends one record to `metrics.jsonl` at once (a single write, so a
   * killed process keeps it) and returns it with its `time`. Metrics that are
   * `undefined` are left out.
   */
  log(entry: MetricsEntry): MetricsRecord {
    const fd = this.#open('log');
    for (const key of ['epoch', 'step'] as const) {
      if (typeof entry[key] !== 'number' || !Number.isFinite(entry[key])) {
        throw new ValueError(`MetricsLog.log: '${key}' must be a finite number, got ${String(entry[key])}`);
      }
    }
    if (typeof entry.split !== 'string' || entry.split === '') throw new ValueError(`MetricsLog.log: 'split' must be a non-empty string, got ${String(entry.split)}`);
    const record: Record<string, number | string> = { split: entry.split, epoch: entry.epoch, step: entry.step, time: entry.time ?? roundTime(this.elapsed()) };
    for (const [key, value] of Object.entries(entry)) {
      if (value === undefined || key in record) continue;
      if (typeof value !== 'number' && typeof value !== 'string') {
        throw new ValueError(`MetricsLog.log: metric '${key}' is ${typeof value}, not a number or a string`);
      }
      record[key] = value;
    }
    const line = new TextEncoder().encode(`${metricsRecordToJson(record as MetricsRecord)}\n`);
    let done = 0;
    while (done < line.byteLength) done += writeSync(fd, line, done, line.byteLength - done);
    this.#records.push(record as MetricsRecord);
    return record as MetricsRecord;
  }

  /**
   * Flushes `metrics.jsonl` to disk and rewrites `metrics.csv` from every
   * record (atomically: a reader sees the old table or the new one). Call it
   * at the end of each epoch; calls run one after another.
   */
  flush(): Promise<void> {
    const fd = this.#open('flush');
    const csv = new TextEncoder().encode(metricsToCsv(this.#records));
    const run = this.#pending.then(async () => {
      fdatasyncSync(fd);
      await writeFileAtomic(this.csvPath, csv);
    });
    this.#pending = run.catch(() => {});
    return run;
  }

  /** Flushes and closes the log; later calls to `log` throw. Closing twice does nothing. */
  async close(): Promise<void> {
    if (this.#fd === undefined) return;
    try {
      await this.flush();
    } finally {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
  }

  /** Closes the log, for `await using log = await MetricsLog.open(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #open(method: string): number {
    if (this.#fd === undefined) throw new ValueError(`MetricsLog.${method}: the log of ${this.dir} is closed`);
    return this.#fd;
  }
}

/**
 * Reads the records of a `metrics.jsonl` file, in order. A last line cut
 * short by a killed writer is ignored; any other bad line is a `DataError`
 * naming the file and line.
 *
 * ```ts
 * const records = await readMetrics('runs/lenet/metrics.jsonl');
 * ```
 */
export async function readMetrics(path: string): Promise<MetricsRecord[]> {
  return (await readMetricsFile(path, false)).records;
}

async function readMetricsFile(path: string, missingIsEmpty: boolean): Promise<{ records: MetricsRecord[]; dropped: boolean }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (missingIsEmpty && (error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], dropped: false };
    throw error;
  }
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const records: MetricsRecord[] = [];
  lines.forEach((line, index) => {
    if (line.trim() !== '') records.push(metricsRecordFromJson(line, `${path}:${index + 1}`));
  });
  // The last line has no newline: either whole but unterminated, or torn.
  let dropped = false;
  if (last.trim() !== '') {
    try {
      records.push(metricsRecordFromJson(last, `${path}:${lines.length + 1}`));
    } catch (error) {
      if (!isFathomError(error, 'DataError')) throw error;
    }
    dropped = true;
  }
  return { records, dropped };
}

// Milliseconds are plenty for a training log, and keep the files short.
function roundTime(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
