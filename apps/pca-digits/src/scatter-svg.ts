/** What {@link scatterSvg} draws. */
export interface ScatterPlot {
  /** Interleaved x, y of every point: `[x₀, y₀, x₁, y₁, …]`. */
  readonly positions: ArrayLike<number>;
  /** The class (0 … 9) of every point: its colour. */
  readonly labels: ArrayLike<number>;
  /** Where to write each class's numeral, e.g. at the class mean (optional). */
  readonly classMarks?: readonly { readonly label: number; readonly x: number; readonly y: number }[];
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
}

// matplotlib's "tab10": ten colours that stay apart, also for most colour-blind readers.
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const WIDTH = 800;
const HEIGHT = 640;
const MARGIN = { left: 64, right: 120, top: 48, bottom: 56 };

const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** About eight round tick values covering [low, high]. */
function ticks(low: number, high: number): number[] {
  const span = high - low;
  const raw = span / 8;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const values: number[] = [];
  // From integer multiples of the step, rounded to 12 digits, so labels read 0.3 and not 0.30000000000000004.
  for (let i = Math.ceil(low / step); i * step <= high; i++) values.push(Number((i * step).toPrecision(12)));
  return values;
}

/** [low, high] of every `stride`-th value from `start`, padded by 4% on each side. */
function paddedRange(values: ArrayLike<number>, start: number, stride: number): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (let i = start; i < values.length; i += stride) {
    low = Math.min(low, values[i]);
    high = Math.max(high, values[i]);
  }
  if (!(high > low)) [low, high] = [low - 1, high + 1];
  const pad = 0.04 * (high - low);
  return [low - pad, high + pad];
}

/**
 * A self-contained SVG scatter plot of labelled 2-D points, coloured by class,
 * with axes, ticks, a legend and optional class numerals; points are drawn in the given order, one
 * `<circle>` each.
 */
export function scatterSvg(plot: ScatterPlot): string {
  const count = plot.labels.length;
  const [xLow, xHigh] = paddedRange(plot.positions, 0, 2);
  const [yLow, yHigh] = paddedRange(plot.positions, 1, 2);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number): number => MARGIN.left + ((x - xLow) / (xHigh - xLow)) * plotWidth;
  const sy = (y: number): number => MARGIN.top + (1 - (y - yLow) / (yHigh - yLow)) * plotHeight;
  const bottom = MARGIN.top + plotHeight;
  const right = MARGIN.left + plotWidth;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push('<style>');
  out.push('circle { fill-opacity: 0.55; }');
  PALETTE.forEach((colour, digit) => out.push(`.d${digit} { fill: ${colour}; }`));
  out.push('</style>');
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  out.push(`<text x="${MARGIN.left + plotWidth / 2}" y="28" text-anchor="middle" font-size="15">${escapeXml(plot.title)}</text>`);

  // Grid and ticks under the points.
  out.push('<g stroke="#e4e4e4">');
  for (const x of ticks(xLow, xHigh)) out.push(`<line x1="${sx(x).toFixed(1)}" y1="${MARGIN.top}" x2="${sx(x).toFixed(1)}" y2="${bottom}"/>`);
  for (const y of ticks(yLow, yHigh)) out.push(`<line x1="${MARGIN.left}" y1="${sy(y).toFixed(1)}" x2="${right}" y2="${sy(y).toFixed(1)}"/>`);
  out.push('</g>');
  out.push('<g fill="#444">');
  for (const x of ticks(xLow, xHigh)) out.push(`<text x="${sx(x).toFixed(1)}" y="${bottom + 16}" text-anchor="middle">${x}</text>`);
  for (const y of ticks(yLow, yHigh)) out.push(`<text x="${MARGIN.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${y}</text>`);
  out.push('</g>');

  const radius = count > 2000 ? 1.6 : 2.6;
  out.push(`<g class="points">`);
  for (let i = 0; i < count; i++) {
    out.push(`<circle class="d${plot.labels[i]}" cx="${sx(plot.positions[2 * i]).toFixed(1)}" cy="${sy(plot.positions[2 * i + 1]).toFixed(1)}" r="${radius}"/>`);
  }
  out.push('</g>');

  // Numerals with a white halo (stroke painted under the fill) stay legible over the points.
  out.push('<g class="class-marks" font-size="18" font-weight="bold" text-anchor="middle" stroke="white" stroke-width="4" paint-order="stroke">');
  for (const { label, x, y } of plot.classMarks ?? []) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    out.push(`<text x="${sx(x).toFixed(1)}" y="${(sy(y) + 6).toFixed(1)}" fill="${PALETTE[label]}">${label}</text>`);
  }
  out.push('</g>');

  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 14}" text-anchor="middle" font-size="13">${escapeXml(plot.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(plot.yLabel)}</text>`);

  const legendX = right + 20;
  out.push(`<g class="legend"><text x="${legendX}" y="${MARGIN.top + 10}" font-size="13">digit</text>`);
  PALETTE.forEach((colour, digit) => {
    const y = MARGIN.top + 26 + digit * 22;
    out.push(`<rect x="${legendX}" y="${y}" width="14" height="14" fill="${colour}"/><text x="${legendX + 22}" y="${y + 12}">${digit}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}
