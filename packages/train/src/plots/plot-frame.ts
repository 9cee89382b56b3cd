import type { PlotOptions } from './plot.js';

/** A chart's title and panel size, from the caller's options and the plot's defaults. */
export interface PlotFrame {
  /** The title, left out when empty. */
  readonly title?: string;
  /** Width of the plotting area in pixels. */
  readonly width: number;
  /** Height of the plotting area in pixels. */
  readonly height: number;
}

/** Fills in a plot's default title and size (480 × 280 unless the plot says otherwise). */
export function plotFrame(options: PlotOptions, title: string, size: { width?: number; height?: number } = {}): PlotFrame {
  const chosen = options.title ?? title;
  return {
    ...(chosen === '' ? {} : { title: chosen }),
    width: options.width ?? size.width ?? 480,
    height: options.height ?? size.height ?? 280,
  };
}

/** Whether a value is a finite number (what a chart can place on a linear axis). */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
