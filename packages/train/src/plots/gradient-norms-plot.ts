import type { TopLevelSpec } from 'vega-lite';
import type { MetricsRecord } from '../logging/metrics-record.js';
import type { GradientNormRecord, Plot, PlotOptions } from './plot.js';
import { isFiniteNumber, plotFrame } from './plot-frame.js';
import { renderSvg } from './render-svg.js';

/**
 * Per-layer gradient norms over steps, one line per layer on a log scale:
 * the vanishing-gradient lesson, where the early layers of a deep sigmoid
 * net sit orders of magnitude below the last. Layers are coloured from dark
 * (first seen, the input side) to light (last), and listed in that order.
 * Norms that are zero, negative or not finite cannot sit on a log axis and
 * are left out.
 *
 * ```ts
 * const { svg } = await plotGradientNorms([{ step: 1, layer: 'fc1', norm: 3e-4 }, { step: 1, layer: 'fc2', norm: 0.02 }]);
 * ```
 */
export async function plotGradientNorms(records: readonly GradientNormRecord[], options: PlotOptions = {}): Promise<Plot> {
  const rows = drawableNorms(records);
  const spec: TopLevelSpec = {
    ...plotFrame(options, 'Gradient norm per layer'),
    data: { values: rows },
    ...gradientNormLines(layerOrder(rows)),
  };
  return { svg: await renderSvg(spec) };
}

/**
 * Gradient norms a loop logged into its metrics as `<prefix><layer>` keys
 * (`grad_norm/conv1.weight`), as records for {@link plotGradientNorms}.
 *
 * ```ts
 * gradientNormsFromMetrics([{ split: 'train', epoch: 1, step: 5, time: 1, 'grad_norm/fc1': 0.1 }]);
 * // [{ step: 5, layer: 'fc1', norm: 0.1 }]
 * ```
 */
export function gradientNormsFromMetrics(records: readonly MetricsRecord[], prefix = 'grad_norm/'): GradientNormRecord[] {
  const norms: GradientNormRecord[] = [];
  for (const record of records) {
    if (record.split !== 'train') continue;
    for (const [key, value] of Object.entries(record)) {
      if (key.startsWith(prefix) && typeof value === 'number') norms.push({ step: record.step, layer: key.slice(prefix.length), norm: value });
    }
  }
  return norms;
}

/** The records a log axis can show: positive, finite norms at finite steps. */
export function drawableNorms<R extends GradientNormRecord>(records: readonly R[]): R[] {
  return records.filter((record) => isFiniteNumber(record.step) && isFiniteNumber(record.norm) && record.norm > 0);
}

/** Layer names in the order they first appear. */
export function layerOrder(records: readonly GradientNormRecord[]): string[] {
  return [...new Set(records.map((record) => record.layer))];
}

const POWER_OF_TEN_LABEL = "abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) < 1e-6 ? datum.label : ''";

/** The mark and encoding of gradient-norm lines, shared with the gradient-flow facets. */
export function gradientNormLines(layers: readonly string[]) {
  return {
    mark: { type: 'line', strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step', axis: { format: '~s' } },
      // Labels at powers of ten only; the 2×, 3×… ticks keep their grid lines.
      y: { field: 'norm', type: 'quantitative', title: 'gradient norm', scale: { type: 'log', padding: 6 }, axis: { format: '.0e', labelExpr: POWER_OF_TEN_LABEL } },
      // Ordinal, so the colour follows depth; viridis cut before its pale end stays visible on white.
      color: { field: 'layer', type: 'ordinal', title: 'layer', scale: { domain: [...layers], scheme: { name: 'viridis', extent: [0, 0.85] } } },
    },
  } as const;
}
