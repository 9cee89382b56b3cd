import type { MetricsRecord } from './metrics-record.js';
import { RECORD_KEYS } from './metrics-record.js';

/**
 * The records as CSV (RFC 4180, `\n` line ends): a header of every key any
 * record has, `split, epoch, step, time` first and the rest in the order they
 * first appear, then one row per record with an empty cell where a record
 * lacks a key. Numbers are written as JavaScript prints them (`NaN`,
 * `Infinity` included), so the file reads back without loss.
 *
 * ```ts
 * metricsToCsv([{ split: 'train', epoch: 1, step: 1, time: 0.5, loss: 2.3 }]);
 * // 'split,epoch,step,time,loss\ntrain,1,1,0.5,2.3\n'
 * ```
 */
export function metricsToCsv(records: readonly MetricsRecord[]): string {
  const columns = metricsColumns(records);
  const lines = [columns.map(csvCell).join(',')];
  for (const record of records) lines.push(columns.map((column) => csvCell(record[column])).join(','));
  return `${lines.join('\n')}\n`;
}

/** Every key the records have: `split, epoch, step, time`, then the others in first-seen order. */
export function metricsColumns(records: readonly MetricsRecord[]): string[] {
  const columns = new Set<string>(RECORD_KEYS);
  for (const record of records) for (const key of Object.keys(record)) columns.add(key);
  return [...columns];
}

function csvCell(value: number | string | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
