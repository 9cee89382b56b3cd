import type { MetricsRecord } from '../src/logging/metrics-record.js';
import { plotAccuracy } from '../src/plots/accuracy-plot.js';
import { plotConfusionMatrix } from '../src/plots/confusion-matrix-plot.js';
import { plotGradientFlow } from '../src/plots/gradient-flow-plot.js';
import { plotGradientNorms } from '../src/plots/gradient-norms-plot.js';
import { plotLearningRate } from '../src/plots/learning-rate-plot.js';
import { plotLoss } from '../src/plots/loss-plot.js';
import type { GradientNormRecord } from '../src/plots/plot.js';
import { svgToPng } from '../src/plots/write-plot.js';
import type { RawImageLike, RunReport } from '../src/report/run-report.js';

/** The class names of the fixture, one of them hostile. */
export const CLASSES = ['zero', 'one', '<script>alert("x")</script>', 'three'];

function records(): MetricsRecord[] {
  const out: MetricsRecord[] = [];
  for (let step = 1; step <= 60; step++) {
    const epoch = Math.ceil(step / 20);
    out.push({ split: 'train', epoch, step, time: step / 10, loss: 2 / Math.sqrt(step), lr: 0.05 });
    if (step % 20 === 0) out.push({ split: 'val', epoch, step, time: step / 10, loss: 1 / epoch, acc1: 0.6 + 0.1 * epoch, acc5: 0.9 + 0.02 * epoch });
  }
  return out;
}

function norms(ratio: number): GradientNormRecord[] {
  const out: GradientNormRecord[] = [];
  for (let step = 1; step <= 20; step++) for (let layer = 0; layer < 4; layer++) out.push({ step, layer: `fc${layer + 1}`, norm: ratio ** (3 - layer) });
  return out;
}

/** A 28×28 grayscale digit-like image: a ring whose radius depends on `seed`. */
export function ringImage(seed: number): RawImageLike {
  const data = new Uint8Array(28 * 28);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) data[y * 28 + x] = Math.abs(Math.hypot(x - 13.5, y - 13.5) - (5 + seed)) < 1.5 ? 255 : 0;
  }
  return { width: 28, height: 28, channels: 1, data };
}

/** A report with every kind of content: six plots, a confusion matrix, raw and PNG images. */
export async function fixtureReport(): Promise<RunReport> {
  const run = records();
  const confusion = { classes: CLASSES, matrix: [[30, 1, 0, 2], [0, 28, 3, 0], [1, 0, 25, 4], [0, 2, 1, 29]] };
  const rgb: RawImageLike = { width: 32, height: 32, channels: 3, data: new Uint8Array(32 * 32 * 3).map((_, i) => (i * 7) % 256) };
  return {
    title: 'LeNet <on> "MNIST" & friends',
    config: { model: 'lenet5', optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 }, epochs: 3, augment: ['crop', '<flip>'], note: '<img src=x onerror=alert(1)>' },
    summary: { 'val top-1': '90.0%', 'val loss': 0.33333333, steps: 60, 'images/s': 12345 },
    plots: [
      { title: 'Loss', svg: (await plotLoss(run)).svg },
      { title: 'Accuracy', svg: (await plotAccuracy(run)).svg },
      { title: 'Learning rate', svg: (await plotLearningRate(run)).svg },
      { title: 'Gradient norms', svg: (await plotGradientNorms(norms(0.1))).svg },
      { title: 'Confusion <matrix>', svg: (await plotConfusionMatrix(confusion)).svg },
      { title: 'Gradient flow', svg: (await plotGradientFlow([{ name: 'sigmoid', norms: norms(0.05) }, { name: 'residual', norms: norms(0.9) }])).svg },
    ],
    confusion,
    misclassified: [
      { image: ringImage(0), label: 'zero', predicted: 'three', confidence: 0.91 },
      { image: ringImage(3), label: CLASSES[2], predicted: 'one', confidence: 0.5 },
      { image: rgb, label: 'one', predicted: CLASSES[2], confidence: 0.734 },
      { image: await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="red"/></svg>', 1), label: 'three', predicted: 'zero', confidence: 1 },
    ],
  };
}
