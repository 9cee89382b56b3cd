import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsLog, readMetrics } from './metrics-log.js';
import { metricsToCsv } from './metrics-csv.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fathom-metrics-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A clock the test moves by hand, in seconds. */
function manualClock(start = 100): { clock: () => number; advance: (seconds: number) => void } {
  let now = start;
  return { clock: () => now, advance: (seconds) => { now += seconds; } };
}

/** Parses CSV written by metricsToCsv (quoted cells included). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  expect(cell).toBe('');
  return rows;
}

describe('MetricsLog', () => {
  it('appends each record to metrics.jsonl as it comes, with time since the start', async () => {
    const { clock, advance } = manualClock();
    const log = await MetricsLog.open(dir, { clock });
    advance(1.5);
    const first = log.log({ split: 'train', epoch: 1, step: 10, loss: 2.3, lr: 0.1 });
    expect(first).toEqual({ split: 'train', epoch: 1, step: 10, time: 1.5, loss: 2.3, lr: 0.1 });
    // Written before any flush: a process killed now keeps it.
    expect(await readFile(join(dir, 'metrics.jsonl'), 'utf8')).toBe('{"split":"train","epoch":1,"step":10,"time":1.5,"loss":2.3,"lr":0.1}\n');
    advance(2);
    log.log({ split: 'val', epoch: 1, step: 10, loss: 1.9, acc1: 0.52, acc5: undefined });
    expect(await readMetrics(join(dir, 'metrics.jsonl'))).toEqual([
      first,
      { split: 'val', epoch: 1, step: 10, time: 3.5, loss: 1.9, acc1: 0.52 },
    ]);
    await log.close();
  });

  it('writes a valid CSV with a header after every flush, columns in first-seen order', async () => {
    const log = await MetricsLog.open(dir, { clock: manualClock().clock });
    expect(await readFile(join(dir, 'metrics.csv'), 'utf8')).toBe('split,epoch,step,time\n');
    log.log({ split: 'train', epoch: 1, step: 1, loss: 2 });
    await log.flush();
    expect(parseCsv(await readFile(join(dir, 'metrics.csv'), 'utf8'))).toEqual([
      ['split', 'epoch', 'step', 'time', 'loss'],
      ['train', '1', '1', '0', '2'],
    ]);
    log.log({ split: 'val', epoch: 1, step: 1, acc1: 0.5, loss: 1.5 });
    log.log({ split: 'odd, "quoted"\nsplit', epoch: 2, step: 2, loss: Number.NaN, note: 'a,b' });
    await log.close();
    const rows = parseCsv(await readFile(join(dir, 'metrics.csv'), 'utf8'));
    expect(rows).toEqual([
      ['split', 'epoch', 'step', 'time', 'loss', 'acc1', 'note'],
      ['train', '1', '1', '0', '2', '', ''],
      ['val', '1', '1', '0', '1.5', '0.5', ''],
      ['odd, "quoted"\nsplit', '2', '2', '0', 'NaN', '', 'a,b'],
    ]);
  });

  it('keeps NaN and Infinity through the jsonl file', async () => {
    const log = await MetricsLog.open(dir);
    log.log({ split: 'train', epoch: 1, step: 1, time: 0, loss: Number.NaN, gradNorm: Number.POSITIVE_INFINITY, low: Number.NEGATIVE_INFINITY });
    await log.close();
    const [record] = await readMetrics(join(dir, 'metrics.jsonl'));
    expect(record.loss).toBeNaN();
    expect(record.gradNorm).toBe(Number.POSITIVE_INFINITY);
    expect(record.low).toBe(Number.NEGATIVE_INFINITY);
  });

  it('resumes: reads the records back, appends after them and continues the time', async () => {
    const first = manualClock();
    const log = await MetricsLog.open(dir, { clock: first.clock });
    first.advance(10);
    log.log({ split: 'train', epoch: 1, step: 100, loss: 1 });
    first.advance(5);
    log.log({ split: 'val', epoch: 1, step: 100, loss: 0.9 });
    await log.close();

    const second = manualClock(5000);
    const resumed = await MetricsLog.open(dir, { resume: true, clock: second.clock });
    expect(resumed.records.map((record) => record.step)).toEqual([100, 100]);
    second.advance(4);
    expect(resumed.log({ split: 'train', epoch: 2, step: 200, loss: 0.5 }).time).toBe(19);
    await resumed.close();
    const records = await readMetrics(join(dir, 'metrics.jsonl'));
    expect(records.map((record) => [record.split, record.step, record.time])).toEqual([['train', 100, 10], ['val', 100, 15], ['train', 200, 19]]);
    expect(parseCsv(await readFile(join(dir, 'metrics.csv'), 'utf8'))).toHaveLength(4);
  });

  it('drops the records logged after the checkpoint it resumes from', async () => {
    const log = await MetricsLog.open(dir);
    for (const step of [50, 100, 150]) log.log({ split: 'train', epoch: 1, step, time: step / 10, loss: 1 / step });
    await log.close();
    const resumed = await MetricsLog.open(dir, { resume: true, resumeStep: 100 });
    expect(resumed.records.map((record) => record.step)).toEqual([50, 100]);
    expect(resumed.elapsed()).toBeCloseTo(10, 1);
    resumed.log({ split: 'train', epoch: 1, step: 150, time: 16, loss: 0.5 });
    await resumed.close();
    expect((await readMetrics(join(dir, 'metrics.jsonl'))).map((record) => record.step)).toEqual([50, 100, 150]);
  });

  it('resumes over a last line cut short by a killed writer', async () => {
    const path = join(dir, 'metrics.jsonl');
    await writeFile(path, '{"split":"train","epoch":1,"step":1,"time":0.1,"loss":2}\n{"split":"train","epoch":1,"st');
    expect(await readMetrics(path)).toHaveLength(1);
    const resumed = await MetricsLog.open(dir, { resume: true });
    resumed.log({ split: 'train', epoch: 1, step: 2, time: 0.2, loss: 1 });
    await resumed.close();
    expect((await readMetrics(path)).map((record) => record.step)).toEqual([1, 2]);
  });

  it('starts afresh without resume, and with resume in an empty folder', async () => {
    await writeFile(join(dir, 'metrics.jsonl'), '{"split":"train","epoch":1,"step":1,"time":0}\n');
    const fresh = await MetricsLog.open(dir);
    expect(fresh.records).toEqual([]);
    await fresh.close();
    expect(await readFile(join(dir, 'metrics.jsonl'), 'utf8')).toBe('');
    const nested = join(dir, 'a', 'b');
    const empty = await MetricsLog.open(nested, { resume: true });
    expect(empty.records).toEqual([]);
    await empty.close();
  });

  it('rejects bad records, bad lines and use after close', async () => {
    const log = await MetricsLog.open(dir);
    expect(() => log.log({ split: 'train', epoch: Number.NaN, step: 1 })).toThrow(/'epoch' must be a finite number/);
    expect(() => log.log({ split: '', epoch: 1, step: 1 })).toThrow(/'split' must be a non-empty string/);
    await log.close();
    await log.close();
    expect(() => log.log({ split: 'train', epoch: 1, step: 1 })).toThrow(/closed/);
    const path = join(dir, 'metrics.jsonl');
    await writeFile(path, '{"split":"train","epoch":1,"step":1,"time":0}\nnot json\n');
    await expect(readMetrics(path)).rejects.toThrow(/metrics\.jsonl:2 is not valid JSON/);
    await writeFile(path, '{"split":"train","epoch":1,"time":0}\n');
    await expect(readMetrics(path)).rejects.toThrow(/no numeric 'step'/);
    await appendFile(path, '');
    await expect(MetricsLog.open(dir, { resumeStep: 3 })).rejects.toThrow(/resumeStep/);
  });
});

describe('metricsToCsv', () => {
  it('puts split, epoch, step, time first even when a record lists them later', () => {
    expect(metricsToCsv([{ loss: 1, time: 2, step: 3, epoch: 4, split: 'val' }])).toBe('split,epoch,step,time,loss\nval,4,3,2,1\n');
  });
});
