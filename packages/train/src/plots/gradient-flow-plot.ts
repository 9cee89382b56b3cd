import type { TopLevelSpec } from 'vega-lite';
import { ValueError } from '@fathom/core';
import type { GradientNormRecord, Plot, PlotOptions } from './plot.js';
import { drawableNorms, gradientNormLines, layerOrder } from './gradient-norms-plot.js';
import { plotFrame } from './plot-frame.js';
import { renderSvg } from './render-svg.js';

/** One run in a {@link plotGradientFlow} comparison. */
export interface GradientFlowRun {
  /** The panel's heading: `'sigmoid'`, `'relu'`, `'layernorm'`, `'residual'`. */
  readonly name: string;
  /** Its per-layer gradient norms over steps. */
  readonly norms: readonly GradientNormRecord[];
}

/** How {@link plotGradientFlow} lays out its panels. */
export interface GradientFlowPlotOptions extends PlotOptions {
  /** Panels per row (default 2). */
  readonly columns?: number;
}

/**
 * Several runs side by side, one panel each, every panel the per-layer
 * gradient norms over steps on one shared log scale, so that how far the
 * first layers' gradients fall below the last (sigmoid) or do not (relu,
 * layernorm, residual) reads straight across. Panels follow `runs`' order;
 * layers share colours across panels by name.
 *
 * ```ts
 * const { svg } = await plotGradientFlow([{ name: 'sigmoid', norms: sigmoidNorms }, { name: 'residual', norms: residualNorms }]);
 * ```
 */
export async function plotGradientFlow(runs: readonly GradientFlowRun[], options: GradientFlowPlotOptions = {}): Promise<Plot> {
  const names = runs.map((run) => run.name);
  if (new Set(names).size !== names.length) throw new ValueError(`plotGradientFlow: run names must differ, got [${names.join(', ')}]`);
  const rows = runs.flatMap((run) => drawableNorms(run.norms).map((record) => ({ run: run.name, step: record.step, layer: record.layer, norm: record.norm })));
  const { title, width, height } = plotFrame(options, 'Gradient flow', { width: 320, height: 200 });
  const spec: TopLevelSpec = {
    ...(title === undefined ? {} : { title }),
    data: { values: rows },
    columns: options.columns ?? 2,
    facet: { field: 'run', type: 'nominal', sort: names, title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } },
    spec: { width, height, ...gradientNormLines(layerOrder(rows)) },
  };
  return { svg: await renderSvg(spec) };
}
