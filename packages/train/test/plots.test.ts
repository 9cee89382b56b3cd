import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsRecord } from '../src/logging/metrics-record.js';
import { plotAccuracy } from '../src/plots/accuracy-plot.js';
import { plotConfusionMatrix } from '../src/plots/confusion-matrix-plot.js';
import { plotGradientFlow } from '../src/plots/gradient-flow-plot.js';
import { gradientNormsFromMetrics, plotGradientNorms } from '../src/plots/gradient-norms-plot.js';
import { plotLearningRate } from '../src/plots/learning-rate-plot.js';
import { plotLoss } from '../src/plots/loss-plot.js';
import type { GradientNormRecord } from '../src/plots/plot.js';
import { smoothExponential } from '../src/plots/smoothing.js';
import { namespaceSvgIds } from '../src/plots/svg-ids.js';
import { svgToPng, writePlot } from '../src/plots/write-plot.js';

/** A small run as a loop logs it: 3 epochs of 40 steps, a val record after each. */
function fakeRun(): MetricsRecord[] {
  const records: MetricsRecord[] = [];
  for (let step = 1; step <= 120; step++) {
    const epoch = Math.ceil(step / 40);
    records.push({ split: 'train', epoch, step, time: step * 0.1, loss: 2.3 / Math.sqrt(step) + 0.05 * Math.sin(step), lr: 0.1 * 0.5 ** (epoch - 1) });
    if (step % 40 === 0) {
      records.push({ split: 'train', epoch, step, time: step * 0.1, acc1: 0.5 + 0.1 * epoch, acc5: 0.8 + 0.05 * epoch });
      records.push({ split: 'val', epoch, step, time: step * 0.1 + 1, loss: 1 / epoch, acc1: 0.55 + 0.1 * epoch, acc5: 0.85 + 0.04 * epoch });
    }
  }
  return records;
}

/** Per-layer norms of a deep net whose early layers' gradients vanish. */
function vanishingNorms(layers: number, steps: number, ratio: number): GradientNormRecord[] {
  const norms: GradientNormRecord[] = [];
  for (let step = 1; step <= steps; step++) {
    for (let layer = 0; layer < layers; layer++) norms.push({ step, layer: `fc${layer + 1}`, norm: ratio ** (layers - 1 - layer) * (1 + 0.1 * Math.cos(step)) });
  }
  return norms;
}

const count = (svg: string, text: string): number => svg.split(text).length - 1;
const texts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]);
const marks = (svg: string, kind: string): number => count(svg, `aria-roledescription="${kind} mark"`);

function expectSvg(svg: string): void {
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).toMatch(/width="\d+" height="\d+"/);
  // Nothing to fetch: the only URL is the SVG namespace.
  expect(svg.replace(/xmlns(:xlink)?="[^"]*"/g, '')).not.toMatch(/https?:|<image|<script/);
}

describe('plots', () => {
  it('plotLoss draws train, smoothed train and val, with axis titles and a legend', async () => {
    const records = [...fakeRun(), { split: 'train', epoch: 3, step: 121, time: 13, loss: Number.NaN }];
    const { svg } = await plotLoss(records);
    expectSvg(svg);
    expect(marks(svg, 'line')).toBe(3);
    expect(count(svg, 'aria-roledescription="point"')).toBe(3); // the val points, one per epoch
    expect(texts(svg)).toEqual(expect.arrayContaining(['Loss', 'step', 'loss', 'train', 'train (smoothed)', 'val']));
    const raw = await plotLoss(records, { smoothing: 0, title: 'Char-LSTM loss' });
    expect(marks(raw.svg, 'line')).toBe(2);
    expect(texts(raw.svg)).not.toContain('train (smoothed)');
    expect(texts(raw.svg)).toContain('Char-LSTM loss');
  });

  it('gives the same SVG for the same input, whatever was drawn before', async () => {
    const first = (await plotLoss(fakeRun())).svg;
    await plotGradientNorms(vanishingNorms(3, 5, 0.1));
    expect((await plotLoss(fakeRun())).svg).toBe(first);
  });

  it('plotAccuracy draws top-1 and top-5 for val and train over epochs, as percentages', async () => {
    const { svg } = await plotAccuracy(fakeRun());
    expectSvg(svg);
    expect(marks(svg, 'line')).toBe(4);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Accuracy', 'epoch', 'accuracy', 'val top-1', 'val top-5', 'train top-1', 'train top-5']));
    expect(texts(svg).some((label) => /^\d+%$/.test(label))).toBe(true);
    const valOnly = await plotAccuracy(fakeRun().filter((record) => record.split === 'val'));
    expect(marks(valOnly.svg, 'line')).toBe(2);
    expect(texts(valOnly.svg)).not.toContain('train top-1');
  });

  it('plotLearningRate draws the schedule over steps', async () => {
    const { svg } = await plotLearningRate(fakeRun());
    expectSvg(svg);
    expect(marks(svg, 'line')).toBe(1);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Learning rate', 'step', 'learning rate']));
  });

  it('plotGradientNorms draws one line per layer on a log axis labelled at powers of ten', async () => {
    const norms = [...vanishingNorms(5, 30, 0.1), { step: 31, layer: 'fc1', norm: 0 }];
    const { svg } = await plotGradientNorms(norms);
    expectSvg(svg);
    expect(marks(svg, 'line')).toBe(5);
    const labels = texts(svg);
    expect(labels).toEqual(expect.arrayContaining(['gradient norm', 'step', 'layer', 'fc1', 'fc2', 'fc3', 'fc4', 'fc5']));
    // Five decades of norms: the log axis spans them, labelled only at powers of ten.
    expect(labels).toEqual(expect.arrayContaining(['1e-4', '1e-3', '1e-2', '1e-1', '1e+0']));
    expect(labels.filter((label) => /^[2-9]e/.test(label))).toEqual([]);
    // The legend lists the layers input side first.
    expect(labels.indexOf('fc1')).toBeLessThan(labels.indexOf('fc5'));
  });

  it('gradientNormsFromMetrics reads grad_norm/<layer> keys of training records', () => {
    expect(gradientNormsFromMetrics([
      { split: 'train', epoch: 1, step: 5, time: 1, loss: 1, 'grad_norm/fc1': 0.1, 'grad_norm/fc2': 0.2 },
      { split: 'val', epoch: 1, step: 5, time: 1, 'grad_norm/fc1': 9 },
    ])).toEqual([{ step: 5, layer: 'fc1', norm: 0.1 }, { step: 5, layer: 'fc2', norm: 0.2 }]);
  });

  it('plotConfusionMatrix draws a cell and a count per pair, with escaped class names', async () => {
    const classes = ['cat', 'dog', '<b>&"'];
    const matrix = [[50, 3, 0], [7, 41, 2], [0, 1, 96]];
    const { svg } = await plotConfusionMatrix({ classes, matrix });
    expectSvg(svg);
    expect(marks(svg, 'rect')).toBe(9);
    expect(marks(svg, 'text')).toBe(9);
    const labels = texts(svg);
    for (const n of matrix.flat()) expect(labels).toContain(String(n));
    expect(labels).toEqual(expect.arrayContaining(['predicted', 'true', 'cat', 'dog', '&lt;b&gt;&amp;"']));
    expect(svg).not.toContain('<b>');
  });

  it('plotConfusionMatrix checks its input', async () => {
    await expect(plotConfusionMatrix({ classes: ['a', 'b'], matrix: [[1, 2]] })).rejects.toThrow(/must be \[2,2\]/);
    await expect(plotConfusionMatrix({ classes: ['a'], matrix: [[-1]] })).rejects.toThrow(/non-negative/);
    const many = Array.from({ length: 21 }, (_, i) => `c${i}`);
    await expect(plotConfusionMatrix({ classes: many, matrix: many.map(() => many.map(() => 1)) })).rejects.toThrow(/21 classes/);
    const twenty = many.slice(0, 20);
    const { svg } = await plotConfusionMatrix({ classes: twenty, matrix: twenty.map((_, t) => twenty.map((_, p) => (t === p ? 90 : 1))) });
    expect(marks(svg, 'rect')).toBe(400);
  });

  it('plotGradientFlow puts each run in its own panel, in order, on one log scale', async () => {
    const runs = [
      { name: 'sigmoid', norms: vanishingNorms(4, 20, 0.05) },
      { name: 'relu', norms: vanishingNorms(4, 20, 0.7) },
      { name: 'layernorm', norms: vanishingNorms(4, 20, 0.9) },
      { name: 'residual', norms: vanishingNorms(4, 20, 1) },
    ];
    const { svg } = await plotGradientFlow(runs);
    expectSvg(svg);
    expect(marks(svg, 'line')).toBe(16);
    const labels = texts(svg);
    const headers = labels.filter((label) => runs.some((run) => run.name === label));
    expect(headers).toEqual(['sigmoid', 'relu', 'layernorm', 'residual']);
    expect(labels).toEqual(expect.arrayContaining(['Gradient flow', 'gradient norm', 'fc1', 'fc4', '1e-4', '1e+0']));
    await expect(plotGradientFlow([runs[0], runs[0]])).rejects.toThrow(/must differ/);
  });

  it('smoothExponential is debiased and leaves non-finite values alone', () => {
    const smoothed = smoothExponential([1, 0, 0, Number.NaN], 0.5);
    expect(smoothed[0]).toBe(1);
    expect(smoothed[1]).toBeCloseTo(1 / 3, 12);
    expect(smoothed[2]).toBeCloseTo(1 / 7, 12);
    expect(smoothed[3]).toBeNaN();
    expect(smoothExponential([3, 4], 0)).toEqual([3, 4]);
    expect(() => smoothExponential([1], 1)).toThrow(/weight/);
  });

  it('namespaceSvgIds renames ids and every reference to them', () => {
    const svg = '<svg><clipPath id="clip7"><rect/></clipPath><g clip-path="url(#clip7)"/><use href="#clip7"/><g id="x"/></svg>';
    expect(namespaceSvgIds(svg, 'p2-')).toBe('<svg><clipPath id="p2-1"><rect/></clipPath><g clip-path="url(#p2-1)"/><use href="#p2-1"/><g id="p2-2"/></svg>');
  });
});

describe('writePlot', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fathom-plots-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes name.svg and a PNG at twice its size that is not blank', async () => {
    const { svg } = await plotLoss(fakeRun());
    const paths = await writePlot(join(dir, 'plots'), 'loss', svg);
    expect(paths).toEqual({ svg: join(dir, 'plots', 'loss.svg'), png: join(dir, 'plots', 'loss.png') });
    expect(await readFile(paths.svg, 'utf8')).toBe(svg);
    const [, width, height] = /width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
    const png = sharp(await readFile(paths.png));
    const metadata = await png.metadata();
    expect(metadata.format).toBe('png');
    expect([metadata.width, metadata.height]).toEqual([2 * width, 2 * height]);
    const stats = await png.stats();
    // More than one colour: the white background and the ink of the curves.
    expect(stats.channels.slice(0, 3).some((channel) => channel.min < channel.max)).toBe(true);
    expect(stats.isOpaque).toBe(true);
  });

  it('renders every plot kind to a non-blank PNG', async () => {
    const norms = vanishingNorms(3, 10, 0.1);
    const plots = [
      await plotAccuracy(fakeRun()),
      await plotLearningRate(fakeRun()),
      await plotGradientNorms(norms),
      await plotConfusionMatrix({ classes: ['a', 'b'], matrix: [[3, 1], [0, 4]] }),
      await plotGradientFlow([{ name: 'sigmoid', norms }, { name: 'relu', norms }]),
    ];
    for (const { svg } of plots) {
      const png = sharp(await svgToPng(svg, 1));
      const { width, height } = await png.metadata();
      expect(width).toBeGreaterThan(100);
      expect(height).toBeGreaterThan(100);
      const { channels } = await png.stats();
      expect(channels[0].min).toBeLessThan(channels[0].max);
    }
  });

  it('refuses a name that is a path', async () => {
    await expect(writePlot(dir, '../loss', '<svg/>')).rejects.toThrow(/plain file name/);
  });
});
