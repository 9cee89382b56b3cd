import type { DigitsAnalysis } from './analysis.js';

const percent = (ratio: number): string => `${(100 * ratio).toFixed(2)}%`;
const signed = (value: number): string => (Number.isNaN(value) ? '—' : value.toFixed(3));

/** Right-aligns each column of `rows` (the first column left-aligned), two spaces apart, indented by two. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => `  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')}`);
}

/** The component counts whose cumulative ratio the report shows: 2, 10, 50 and k, those that are kept. */
export function cumulativeCheckpoints(components: number): number[] {
  return [...new Set([2, 10, 50, components])].filter((count) => count <= components).sort((a, b) => a - b);
}

/** The report printed after the fit, as lines. */
export function formatReport(analysis: DigitsAnalysis): string[] {
  const { ratios, cumulative, components } = analysis;
  const lines: string[] = [];

  const shown = Math.min(10, components);
  lines.push('', `Explained variance ratio of the first ${shown} components`);
  lines.push(...table([
    ['component', 'ratio', 'cumulative'],
    ...ratios.slice(0, shown).map((ratio, i) => [`PC${i + 1}`, percent(ratio), percent(cumulative[i])]),
  ]));

  lines.push('', 'Cumulative explained variance');
  lines.push(...table(cumulativeCheckpoints(components).map((count) => [`first ${count} components`, percent(cumulative[count - 1])])));

  lines.push('', `Reconstruction error (mean squared error per pixel, pixels in [0, 1])`);
  lines.push(...table([
    [`with ${components} components`, analysis.reconstructionMse.toFixed(5)],
    ['with the mean image alone', analysis.meanImageMse.toFixed(5)],
  ]));

  lines.push('', 'Class means on PC1 / PC2');
  lines.push(...table([
    ['digit', 'images', 'PC1', 'PC2'],
    ...analysis.classMeans.map(({ digit, count, pc1, pc2 }) => [String(digit), String(count), signed(pc1), signed(pc2)]),
  ]));
  return lines;
}
