import type { TopLevelSpec } from 'vega-lite';
import { namespaceSvgIds } from './svg-ids.js';

type Renderer = {
  readonly vega: typeof import('vega');
  readonly vegaLite: typeof import('vega-lite');
};

// Loaded on first use: importing @fathom/train for its checkpoints should not
// pull in Vega.
let renderer: Promise<Renderer> | undefined;

/** The look every Fathom chart shares; a spec's own `config` wins over it. */
const BASE_CONFIG = {
  font: 'sans-serif',
  view: { stroke: '#ddd' },
  axis: { gridColor: '#eee', labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 240 },
  title: { fontSize: 14, anchor: 'start' },
} as const;

/**
 * Renders a Vega-Lite spec to an SVG document in Node, with no DOM and no
 * canvas: Vega lays the chart out with its headless renderer and estimates
 * text widths, so the same spec gives the same bytes on every machine. Ids
 * are renumbered (prefix `clip`, by `namespaceSvgIds`), so they do not
 * depend on what was drawn before.
 *
 * ```ts
 * const svg = await renderSvg({ data: { values }, mark: 'line', encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative' } } });
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  renderer ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vegaLite]) => ({ vega, vegaLite }));
  const { vega, vegaLite } = await renderer;
  const styled = { background: 'white', padding: 8, ...spec, config: { ...BASE_CONFIG, ...spec.config } } as TopLevelSpec;
  const view = new vega.View(vega.parse(vegaLite.compile(styled).spec), { renderer: 'none', logLevel: vega.Error });
  try {
    return namespaceSvgIds(await view.toSVG(), 'clip');
  } finally {
    view.finalize();
  }
}
