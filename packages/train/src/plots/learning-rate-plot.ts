import type { TopLevelSpec } from 'vega-lite';
import type { MetricsRecord } from '../logging/metrics-record.js';
import type { Plot, PlotOptions } from './plot.js';
import { isFiniteNumber, plotFrame } from './plot-frame.js';
import { renderSvg } from './render-svg.js';

/** What {@link plotLearningRate} reads. */
export interface LearningRatePlotOptions extends PlotOptions {
  /** The learning rate's key in the training records (default `'lr'`). */
  readonly metric?: string;
  /** Draw it on a log scale (default false). */
  readonly logScale?: boolean;
}

/**
 * The learning rate over steps, from the training records that carry it:
 * the schedule as the optimizer saw it (warm-up, steps, cosine).
 *
 * ```ts
 * const { svg } = await plotLearningRate(log.records);
 * ```
 */
export async function plotLearningRate(records: readonly MetricsRecord[], options: LearningRatePlotOptions = {}): Promise<Plot> {
  const { metric = 'lr', logScale = false } = options;
  const rows = records
    .filter((record) => record.split === 'train' && isFiniteNumber(record[metric]) && (!logScale || (record[metric] as number) > 0))
    .map((record) => ({ step: record.step, lr: record[metric] as number }));
  const spec: TopLevelSpec = {
    ...plotFrame(options, 'Learning rate', { height: 200 }),
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 2, color: '#2ca02c', interpolate: 'step-after' },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step', axis: { format: '~s' } },
      y: { field: 'lr', type: 'quantitative', title: 'learning rate', axis: { format: '~g' }, scale: { type: logScale ? 'log' : 'linear' } },
    },
  };
  return { svg: await renderSvg(spec) };
}
