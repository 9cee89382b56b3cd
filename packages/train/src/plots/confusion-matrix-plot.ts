import type { TopLevelSpec } from 'vega-lite';
import { ShapeError, ValueError } from '@fathom/core';
import type { Plot, PlotOptions } from './plot.js';
import { plotFrame } from './plot-frame.js';
import { renderSvg } from './render-svg.js';

/** A confusion matrix: `matrix[t][p]` counts the examples of class `t` predicted as `p`. */
export interface ConfusionMatrix {
  /** The class names, in the order of the matrix's rows and columns. */
  readonly classes: readonly string[];
  /** Counts, one row per true class, one column per predicted class. */
  readonly matrix: readonly (readonly number[])[];
}

/** The most classes {@link plotConfusionMatrix} draws; beyond it the cells are too small to read. */
export const MAX_PLOTTED_CLASSES = 20;

/**
 * A confusion-matrix heatmap: true class down, predicted class across, each
 * cell shaded by the share of its row (so a rare class's errors show as
 * plainly as a common one's) and labelled with its count. Up to 20 classes.
 *
 * ```ts
 * const { svg } = await plotConfusionMatrix({ classes: ['cat', 'dog'], matrix: [[40, 2], [5, 53]] });
 * ```
 */
export async function plotConfusionMatrix(confusion: ConfusionMatrix, options: PlotOptions = {}): Promise<Plot> {
  checkConfusionMatrix(confusion, 'plotConfusionMatrix');
  const { classes, matrix } = confusion;
  if (classes.length > MAX_PLOTTED_CLASSES) {
    throw new ValueError(`plotConfusionMatrix: ${classes.length} classes is more than the ${MAX_PLOTTED_CLASSES} a heatmap can label; writeReport shows larger matrices as a table`);
  }
  const rows = matrix.flatMap((row, t) => {
    const total = row.reduce((sum, count) => sum + count, 0);
    return row.map((count, p) => ({ actual: classes[t], predicted: classes[p], count, share: total === 0 ? 0 : count / total }));
  });
  const cell = Math.max(24, Math.min(48, Math.floor(480 / classes.length)));
  const side = cell * classes.length;
  const axis = { labelAngle: 0, labelLimit: 120 };
  // Slant the column labels once they would run into each other (about 7 px a character).
  const slant = classes.some((name) => Math.min(name.length, 18) * 7 > cell);
  const spec: TopLevelSpec = {
    ...plotFrame(options, 'Confusion matrix', { width: side, height: side }),
    data: { values: rows },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: [...classes], title: 'predicted', axis: { ...axis, orient: 'top', labelAngle: slant ? -45 : 0, labelAlign: slant ? 'left' : 'center' } },
      y: { field: 'actual', type: 'nominal', sort: [...classes], title: 'true', axis },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: { color: { field: 'share', type: 'quantitative', title: 'share of row', scale: { scheme: 'blues', domain: [0, 1] }, legend: { format: '.0%' } } },
      },
      {
        mark: { type: 'text', fontSize: classes.length > 12 ? 9 : 11 },
        encoding: {
          text: { field: 'count', type: 'quantitative', format: 'd' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: '#222' },
        },
      },
    ],
  };
  return { svg: await renderSvg(spec) };
}

/** Checks that a confusion matrix is square over its classes and holds non-negative counts. */
export function checkConfusionMatrix(confusion: ConfusionMatrix, caller: string): void {
  const { classes, matrix } = confusion;
  const n = classes.length;
  if (n === 0) throw new ValueError(`${caller}: confusion.classes is empty`);
  if (matrix.length !== n || matrix.some((row) => row.length !== n)) {
    throw new ShapeError(`${caller}: confusion.matrix must be [${n},${n}] for ${n} classes, got [${matrix.length},${matrix.map((row) => row.length).join('|')}]`);
  }
  for (const row of matrix) {
    for (const count of row) {
      if (!(Number.isFinite(count) && count >= 0)) throw new ValueError(`${caller}: confusion.matrix holds ${count}; counts must be finite and non-negative`);
    }
  }
}
