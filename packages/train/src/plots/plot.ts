/** A rendered chart: a standalone SVG document, the same bytes for the same input. */
export interface Plot {
  /** The chart as an SVG document (`<svg …>…</svg>`), with no external references. */
  readonly svg: string;
}

/** The size and title every plot function accepts. */
export interface PlotOptions {
  /** The chart's title (each plot has a default; `''` for none). */
  readonly title?: string;
  /** Width of the plotting area in pixels (of one panel, for faceted plots). */
  readonly width?: number;
  /** Height of the plotting area in pixels (of one panel, for faceted plots). */
  readonly height?: number;
}

/** One layer's gradient norm at one step, as a training loop measures it. */
export interface GradientNormRecord {
  /** Optimizer steps taken. */
  readonly step: number;
  /** The layer (or parameter) name: `'conv1.weight'`, `'layer3'`. */
  readonly layer: string;
  /** The L2 norm of its gradient. */
  readonly norm: number;
}
