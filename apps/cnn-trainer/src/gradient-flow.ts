import { join } from 'node:path';
import { manualSeed, scope } from '@fathom/core';
import { DataLoader } from '@fathom/datasets';
import { noGrad } from '@fathom/autograd';
import { crossEntropy, gradientNorms, init } from '@fathom/layers';
import { MLP, type MLPActivation } from '@fathom/models';
import { SGD } from '@fathom/optim';
import { plotGradientFlow, writePlot, writeReport, type GradientFlowRun, type GradientNormRecord } from '@fathom/train';
import { loadData } from './data.js';
import { chooseDevice, runFolder, type CliOutput, type DeviceChoice } from '@fathom/train/cli';

/** The flags of `fathom-train gradient-flow`. */
export interface GradientFlowOptions {
  readonly depth: number;
  readonly width: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly seed: number;
  readonly device: DeviceChoice;
  readonly out?: string;
}

interface Variant {
  readonly name: string;
  readonly activation: MLPActivation;
  readonly layerNorm: boolean;
  readonly residual: boolean;
}

/** The lesson's four networks: the same depth and width, one change each. */
const VARIANTS: readonly Variant[] = [
  { name: 'sigmoid', activation: 'sigmoid', layerNorm: false, residual: false },
  { name: 'relu', activation: 'relu', layerNorm: false, residual: false }, // with He initialization
  { name: 'sigmoid + layernorm', activation: 'sigmoid', layerNorm: true, residual: false },
  { name: 'sigmoid + residual', activation: 'sigmoid', layerNorm: false, residual: true },
];

// Gradient norms every this many steps: enough points for a curve, few reads.
const RECORD_EVERY = 5;

/**
 * Trains a deep sigmoid MLP, the same with ReLU, with LayerNorm and with
 * residual connections on the digits, recording each hidden layer's
 * gradient norm, and plots them side by side: the vanishing-gradient lesson
 * in one picture.
 */
export async function gradientFlow(options: GradientFlowOptions, output: CliOutput): Promise<void> {
  const dir = runFolder(options.out, 'gradient-flow');
  const chosen = await chooseDevice(options.device);
  output.log(`device: ${chosen.reason}`);
  const data = await loadData({ dataset: 'digits', channels: 1, size: 28, augment: false, workers: 0, seed: options.seed });
  const runs: GradientFlowRun[] = [];
  const summary: Record<string, string> = {};
  try {
    for (const variant of VARIANTS) {
      manualSeed(options.seed);
      const model = new MLP({
        inFeatures: 784, hiddenSizes: new Array<number>(options.depth).fill(options.width), numClasses: data.classes.length,
        activation: variant.activation, layerNorm: variant.layerNorm, residual: variant.residual,
      });
      // He initialization for ReLU (He et al. 2015): PyTorch's default Linear init gives it a third of the variance it needs.
      if (variant.activation === 'relu') noGrad(() => { for (const layer of model.hiddenLayers) init.kaimingNormal(layer.weight, { nonlinearity: 'relu' }); });
      model.to(chosen.device);
      const optimizer = new SGD(model.parameters(), { lr: options.lr });
      const loader = new DataLoader(data.train, { batchSize: options.batchSize, shuffle: true, seed: options.seed });
      const norms: GradientNormRecord[] = [];
      let step = 0;
      let loss = Number.NaN;
      while (step < options.steps) {
        for await (const batch of loader) {
          const lossTensor = scope(() => {
            const value = crossEntropy(model.forward(batch.x.to(chosen.device)), batch.y.to(chosen.device));
            optimizer.zeroGrad();
            value.backward();
            return value;
          });
          step++;
          if (step % RECORD_EVERY === 0 || step === 1) {
            for (const [layer, norm] of await gradientNorms(model)) if (layer.startsWith('layers.')) norms.push({ step, layer, norm });
            loss = await lossTensor.item();
          }
          scope(() => optimizer.step());
          lossTensor.dispose();
          if (step === options.steps) break;
        }
      }
      runs.push({ name: variant.name, norms });
      const first = norms.filter((r) => r.layer === 'layers.0');
      const last = norms.filter((r) => r.layer === `layers.${options.depth - 1}`);
      const ratio = mean(first.map((r) => r.norm)) / mean(last.map((r) => r.norm));
      summary[variant.name] = `loss ${loss.toFixed(3)} after ${step} steps; first/last hidden layer gradient ${ratio.toExponential(1)}`;
      output.log(`${variant.name.padEnd(20)} ${summary[variant.name]}`);
    }
    const { svg } = await plotGradientFlow(runs, { title: `Gradient norm of each hidden layer, ${options.depth} layers of ${options.width}` });
    const plot = await writePlot(join(dir, 'plots'), 'gradient-flow', svg);
    const report = await writeReport(dir, {
      title: 'Gradient flow: sigmoid, ReLU, LayerNorm and residual MLPs',
      config: { ...options, device: chosen.device },
      summary,
      plots: [{ title: 'Per-layer gradient norms over training', svg }],
    });
    output.log(`plot: ${plot.svg}`);
    output.log(`report: ${report}`);
  } finally {
    await chosen.release();
  }
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
}
