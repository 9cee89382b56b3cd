import type { TopLevelSpec } from 'vega-lite';
import type { MetricsRecord } from '../logging/metrics-record.js';
import type { Plot, PlotOptions } from './plot.js';
import { isFiniteNumber, plotFrame } from './plot-frame.js';
import { renderSvg } from './render-svg.js';
import { smoothExponential } from './smoothing.js';

/** What {@link plotLoss} draws. */
export interface LossPlotOptions extends PlotOptions {
  /** The metric to draw (default `'loss'`). */
  readonly metric?: string;
  /** TensorBoard-style smoothing of the training curve, in [0, 1) (default 0.9; 0 draws no smoothed line). */
  readonly smoothing?: number;
  /** Draw the loss on a log scale (default false). */
  readonly logScale?: boolean;
}

/**
 * Loss curves from a run's metrics: the training loss at every logged step
 * (faint), its smoothed curve, and the validation loss at the steps it was
 * measured (line with points). Records of other splits, and non-finite
 * values, are left out.
 *
 * ```ts
 * const { svg } = await plotLoss(log.records);
 * ```
 */
export async function plotLoss(records: readonly MetricsRecord[], options: LossPlotOptions = {}): Promise<Plot> {
  const { metric = 'loss', smoothing = 0.9, logScale = false } = options;
  const train = records.filter((record) => record.split === 'train' && isFiniteNumber(record[metric]) && (!logScale || (record[metric] as number) > 0));
  const val = records.filter((record) => record.split === 'val' && isFiniteNumber(record[metric]) && (!logScale || (record[metric] as number) > 0));
  const smoothName = 'train (smoothed)';
  const rows: { step: number; value: number; series: string }[] = [
    ...train.map((record) => ({ step: record.step, value: record[metric] as number, series: 'train' })),
    ...val.map((record) => ({ step: record.step, value: record[metric] as number, series: 'val' })),
  ];
  if (smoothing > 0 && train.length > 0) {
    const smoothed = smoothExponential(train.map((record) => record[metric] as number), smoothing);
    train.forEach((record, index) => rows.push({ step: record.step, value: smoothed[index], series: smoothName }));
  }
  const series = ['train', ...(smoothing > 0 && train.length > 0 ? [smoothName] : []), 'val'];
  const x = { field: 'step', type: 'quantitative', title: 'step', axis: { format: '~s' } } as const;
  const y = { field: 'value', type: 'quantitative', title: metric, scale: { type: logScale ? 'log' : 'linear', zero: false } } as const;
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: ['#9ecae1', '#1f77b4', '#d62728'] } } as const;
  const only = (name: string) => [{ filter: { field: 'series', equal: name } }];
  const spec: TopLevelSpec = {
    ...plotFrame(options, metric === 'loss' ? 'Loss' : metric),
    data: { values: rows },
    encoding: { x, y, color },
    layer: [
      { transform: only('train'), mark: { type: 'line', strokeWidth: 1, opacity: smoothing > 0 ? 0.6 : 1, clip: true } },
      { transform: only(smoothName), mark: { type: 'line', strokeWidth: 2, clip: true } },
      { transform: only('val'), mark: { type: 'line', strokeWidth: 2, point: true, clip: true } },
    ],
  };
  return { svg: await renderSvg(spec) };
}
