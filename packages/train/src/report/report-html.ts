import { ValueError } from '@fathom/core';
import { checkConfusionMatrix, type ConfusionMatrix } from '../plots/confusion-matrix-plot.js';
import { namespaceSvgIds } from '../plots/svg-ids.js';
import { escapeHtml } from './html-escape.js';
import { imageToPngDataUrl } from './image-data-url.js';
import type { MisclassifiedExample, ReportPlot, RunReport, TextSample } from './run-report.js';

// Nothing may be fetched or run: styles inline, images as data URLs, no scripts.
const CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 1.2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f6f6; font-weight: 600; }
td.number { text-align: right; }
.summary { display: flex; flex-wrap: wrap; gap: .8rem; }
.summary > div { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .9rem; min-width: 8rem; }
.summary .name { color: #666; font-size: .85rem; }
.summary .value { font-size: 1.3rem; font-weight: 600; }
figure.plot { margin: 0 0 1.5rem; }
figure.plot svg { max-width: 100%; height: auto; }
table.confusion td { text-align: right; min-width: 2.2rem; }
table.confusion th.corner { background: none; border: none; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(110px, 1fr)); gap: .8rem; }
.grid figure { margin: 0; text-align: center; font-size: .8rem; }
.grid img { image-rendering: pixelated; border: 1px solid #ddd; max-width: 100%; height: auto; }
.grid .true { color: #2a7d2a; }
.grid .predicted { color: #b22222; }
pre.sample { white-space: pre-wrap; background: #f8f8f8; border: 1px solid #ddd; padding: .6rem .8rem; font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; }
footer { margin-top: 3rem; color: #888; font-size: .8rem; }
`;

/**
 * A run's report as one self-contained HTML page: the summary, the config as
 * a table, every plot inline, the confusion matrix as a shaded table and a
 * grid of misclassified images (PNG data URLs), and a language model's
 * samples as preformatted text. All text is escaped; the
 * page loads nothing and runs no script (its Content-Security-Policy says
 * so). The same report gives the same bytes.
 *
 * ```ts
 * const html = await renderReportHtml({ title: 'LeNet on MNIST', config, summary, plots: [{ title: 'Loss', svg }] });
 * ```
 */
export async function renderReportHtml(report: RunReport): Promise<string> {
  const sections = [
    summarySection(report.summary),
    configSection(report.config),
    plotsSection(report.plots),
    report.confusion === undefined ? '' : confusionSection(report.confusion),
    report.misclassified === undefined ? '' : await misclassifiedSection(report.misclassified),
    report.samples === undefined ? '' : samplesSection(report.samples),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
${sections.filter((section) => section !== '').join('\n')}
<footer>Written by Fathom's @fathom/train.</footer>
</body>
</html>
`;
}

function summarySection(summary: RunReport['summary']): string {
  const entries = Object.entries(summary);
  if (entries.length === 0) return '';
  const cards = entries.map(([name, value]) => `<div><div class="name">${escapeHtml(name)}</div><div class="value">${escapeHtml(formatValue(value))}</div></div>`);
  return `<section id="summary">\n<h2>Summary</h2>\n<div class="summary">\n${cards.join('\n')}\n</div>\n</section>`;
}

function configSection(config: RunReport['config']): string {
  const rows = flattenConfig(config);
  if (rows.length === 0) return '';
  const body = rows.map(([key, value]) => `<tr><th scope="row">${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`);
  return `<section id="config">\n<h2>Config</h2>\n<table class="config">\n<tbody>\n${body.join('\n')}\n</tbody>\n</table>\n</section>`;
}

function plotsSection(plots: readonly ReportPlot[]): string {
  if (plots.length === 0) return '';
  const figures = plots.map((plot, index) => {
    const svg = plot.svg.trim();
    if (!svg.startsWith('<svg')) throw new ValueError(`writeReport: plot ${index} ('${plot.title}') is not an SVG document`);
    // Distinct ids per plot, or one chart's clip-path url(#clip1) resolves to another's.
    return `<figure class="plot">\n<h3>${escapeHtml(plot.title)}</h3>\n${namespaceSvgIds(svg, `plot${index + 1}-`)}\n</figure>`;
  });
  return `<section id="plots">\n<h2>Plots</h2>\n${figures.join('\n')}\n</section>`;
}

function confusionSection(confusion: ConfusionMatrix): string {
  checkConfusionMatrix(confusion, 'writeReport');
  const { classes, matrix } = confusion;
  const total = matrix.flat().reduce((sum, count) => sum + count, 0);
  const correct = matrix.reduce((sum, row, t) => sum + row[t], 0);
  const head = `<tr><th class="corner" rowspan="2">true ↓</th><th colspan="${classes.length}">predicted →</th><th rowspan="2">recall</th></tr>\n<tr>${classes.map((name) => `<th scope="col">${escapeHtml(name)}</th>`).join('')}</tr>`;
  const body = matrix.map((row, t) => {
    const rowTotal = row.reduce((sum, count) => sum + count, 0);
    const cells = row.map((count, p) => {
      const share = rowTotal === 0 ? 0 : count / rowTotal;
      const tint = t === p ? '31, 119, 180' : '214, 39, 40';
      return `<td style="background: rgba(${tint}, ${(share * 0.85).toFixed(3)})${share > 0.5 ? '; color: white' : ''}">${count}</td>`;
    });
    const recall = rowTotal === 0 ? '–' : formatPercent(row[t] / rowTotal);
    return `<tr><th scope="row">${escapeHtml(classes[t])}</th>${cells.join('')}<td>${recall}</td></tr>`;
  });
  const caption = total === 0 ? '' : `<p>${formatCount(correct)} of ${formatCount(total)} correct (${formatPercent(correct / total)}).</p>\n`;
  return `<section id="confusion">\n<h2>Confusion matrix</h2>\n${caption}<table class="confusion">\n<thead>\n${head}\n</thead>\n<tbody>\n${body.join('\n')}\n</tbody>\n</table>\n</section>`;
}

async function misclassifiedSection(examples: readonly MisclassifiedExample[]): Promise<string> {
  if (examples.length === 0) return '';
  const figures = await Promise.all(examples.map(async (example, index) => {
    if (!(example.confidence >= 0 && example.confidence <= 1)) {
      throw new ValueError(`writeReport: misclassified[${index}].confidence must be in [0, 1], got ${example.confidence}`);
    }
    const { url, width, height } = await imageToPngDataUrl(example.image);
    // Small images (MNIST's 28 px) are drawn 3× with crisp pixels.
    const scale = Math.max(1, Math.min(4, Math.floor(96 / Math.max(width, height))));
    const alt = `true ${example.label}, predicted ${example.predicted}`;
    return `<figure><img src="${url}" width="${width * scale}" height="${height * scale}" alt="${escapeHtml(alt)}">`
      + `<figcaption><span class="true">${escapeHtml(example.label)}</span> → <span class="predicted">${escapeHtml(example.predicted)}</span><br>${formatPercent(example.confidence)}</figcaption></figure>`;
  }));
  return `<section id="misclassified">\n<h2>Misclassified examples</h2>\n<p>True class → predicted class, and the model's confidence in its prediction.</p>\n<div class="grid">\n${figures.join('\n')}\n</div>\n</section>`;
}

function samplesSection(samples: readonly TextSample[]): string {
  if (samples.length === 0) return '';
  const blocks = samples.map((sample) => `<h3>${escapeHtml(sample.title)}</h3>\n<pre class="sample">${escapeHtml(sample.text)}</pre>`);
  return `<section id="samples">\n<h2>Samples</h2>\n${blocks.join('\n')}\n</section>`;
}

/** Config entries as `[dotted.key, text]` rows, nested plain objects flattened. */
function flattenConfig(config: Readonly<Record<string, unknown>>, prefix = '', seen = new Set<object>()): [string, string][] {
  const rows: [string, string][] = [];
  for (const [key, value] of Object.entries(config)) {
    const name = `${prefix}${key}`;
    if (isPlainObject(value) && Object.keys(value).length > 0 && !seen.has(value)) {
      seen.add(value);
      rows.push(...flattenConfig(value, `${name}.`, seen));
    } else rows.push([name, configText(value)]);
  }
  return rows;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function configText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatValue(value);
  if (typeof value === 'bigint' || typeof value === 'boolean' || value === undefined || typeof value === 'symbol' || typeof value === 'function') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Numbers to 4 significant digits (integers whole), with thousands grouped. */
function formatValue(value: string | number): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return formatCount(value);
  return String(Number(value.toPrecision(4)));
}

function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}
