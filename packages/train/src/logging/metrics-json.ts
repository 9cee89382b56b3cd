import { DataError } from '@fathom/core';
import type { MetricsRecord } from './metrics-record.js';

// JSON has no NaN or ±Infinity, and a diverging run is exactly when they
// matter, so they are written as these strings and read back as numbers.
const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** One record as a line of `metrics.jsonl` (no newline); non-finite numbers become `"NaN"`, `"Infinity"`, `"-Infinity"`. */
export function metricsRecordToJson(record: MetricsRecord): string {
  return JSON.stringify(record, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value));
}

/**
 * Parses one line of `metrics.jsonl` back into a record, checking its shape.
 * `where` names the line in error messages (`runs/a/metrics.jsonl:12`).
 */
export function metricsRecordFromJson(line: string, where: string): MetricsRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new DataError(`readMetrics: ${where} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DataError(`readMetrics: ${where} is not a JSON object`);
  }
  const record: Record<string, number | string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item === 'number') record[key] = item;
    else if (typeof item === 'string') record[key] = key !== 'split' && item in NON_FINITE ? NON_FINITE[item] : item;
    else throw new DataError(`readMetrics: ${where}: '${key}' is ${item === null ? 'null' : typeof item}, not a number or a string`);
  }
  if (typeof record.split !== 'string') throw new DataError(`readMetrics: ${where} has no string 'split'`);
  for (const key of ['epoch', 'step', 'time']) {
    if (typeof record[key] !== 'number') throw new DataError(`readMetrics: ${where} has no numeric '${key}'`);
  }
  return record as MetricsRecord;
}
