import type { TopLevelSpec } from 'vega-lite';
import type { MetricsRecord } from '../logging/metrics-record.js';
import type { Plot, PlotOptions } from './plot.js';
import { isFiniteNumber, plotFrame } from './plot-frame.js';
import { renderSvg } from './render-svg.js';

/** Which metrics {@link plotAccuracy} reads. */
export interface AccuracyPlotOptions extends PlotOptions {
  /** The top-1 accuracy's key, a fraction in [0, 1] (default `'acc1'`). */
  readonly top1?: string;
  /** The top-5 accuracy's key (default `'acc5'`); absent values are skipped. */
  readonly top5?: string;
}

/**
 * Top-1 and top-5 accuracy over epochs, for the validation split and, when
 * its records carry them, the training split: one line per split and k
 * (`val top-1`, `val top-5`, `train top-1`…). Each epoch shows the last
 * record of that split and epoch holding the metric (the epoch's summary
 * when the loop logs one after its per-step records). Accuracies are
 * fractions, drawn as percentages.
 *
 * ```ts
 * const { svg } = await plotAccuracy(log.records);
 * ```
 */
export async function plotAccuracy(records: readonly MetricsRecord[], options: AccuracyPlotOptions = {}): Promise<Plot> {
  const { top1 = 'acc1', top5 = 'acc5' } = options;
  const latest = new Map<string, { epoch: number; accuracy: number; series: string }>();
  const series: string[] = [];
  for (const split of ['val', 'train']) {
    for (const [key, k] of [[top1, 'top-1'], [top5, 'top-5']] as const) {
      const name = `${split} ${k}`;
      for (const record of records) {
        if (record.split === split && isFiniteNumber(record[key])) {
          latest.set(`${name}\u0000${record.epoch}`, { epoch: record.epoch, accuracy: record[key] as number, series: name });
          if (!series.includes(name)) series.push(name);
        }
      }
    }
  }
  const spec: TopLevelSpec = {
    ...plotFrame(options, 'Accuracy'),
    data: { values: [...latest.values()] },
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', axis: { format: '.0%' }, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: ['#d62728', '#ff9896', '#1f77b4', '#aec7e8'] } },
    },
  };
  return { svg: await renderSvg(spec) };
}
