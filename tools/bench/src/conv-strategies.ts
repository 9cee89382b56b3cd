// The webgpu backend's two convolution strategies (implicit GEMM, direct) on
// one device, alternated in one process so the machine's drift falls on
// both: the figures behind the backend's choice between them.
//
//   node dist/conv-strategies.js [layers] [rounds]
//   layers: comma-separated names below (default: all); rounds: default 5.

import { conv2d, conv2dInputGrad, conv2dWeightGrad, manualSeed, randn, registerBackend, type Conv2dOptions, type Tensor } from '@fathom/core';
import { webgpu } from '@fathom/webgpu/node';
// The strategy switch is internal to the backend (its tests use it too); the
// bench is a workspace tool, so it reaches into the built package.
import { setConvStrategy, type ConvStrategy } from '../../../packages/webgpu/dist/kernels/conv2d.js';

interface Layer {
  readonly x: number[];
  readonly w: number[];
  readonly options: Conv2dOptions;
}

const LAYERS: Record<string, Layer> = {
  'lenet-1': { x: [64, 1, 28, 28], w: [6, 1, 5, 5], options: { padding: 2 } },
  'lenet-2': { x: [64, 6, 14, 14], w: [16, 6, 5, 5], options: {} },
  '16ch-32x32': { x: [16, 16, 32, 32], w: [16, 16, 3, 3], options: { padding: 1 } },
  '32ch-16x16': { x: [16, 32, 16, 16], w: [32, 32, 3, 3], options: { padding: 1 } },
  '64ch-16x16': { x: [16, 64, 16, 16], w: [64, 64, 3, 3], options: { padding: 1 } },
  'resnet-stem': { x: [16, 3, 64, 64], w: [64, 3, 7, 7], options: { padding: 3, stride: 2 } },
};

const STRATEGIES: ConvStrategy[] = ['gemm', 'direct'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function time(run: () => Tensor): Promise<number> {
  const start = performance.now();
  let last: Tensor | undefined;
  for (let i = 0; i < 3; i++) {
    last?.dispose();
    last = run();
  }
  await (last as Tensor).data();
  (last as Tensor).dispose();
  return (performance.now() - start) / 3;
}

const names = process.argv[2] ? process.argv[2].split(',') : Object.keys(LAYERS);
const rounds = Number(process.argv[3] ?? 5);
const backend = await webgpu();
registerBackend(backend);
manualSeed(1);
console.log(`adapter: ${backend.adapterName}; ms per call, median of ${rounds} rounds of 3 calls`);
console.log('| layer | pass | gemm ms | direct ms | direct ÷ gemm |\n|---|---|---:|---:|---:|');
for (const name of names) {
  const layer = LAYERS[name];
  if (!layer) throw new Error(`conv-strategies: no layer '${name}'; choose from ${Object.keys(LAYERS).join(', ')}`);
  const x = randn(layer.x, { device: 'webgpu' });
  const w = randn(layer.w, { device: 'webgpu' });
  const gradOut = randn(conv2d(x, w, layer.options).shape, { device: 'webgpu' });
  const passes: Record<string, () => Tensor> = {
    forward: () => conv2d(x, w, layer.options),
    'input grad': () => conv2dInputGrad(gradOut, w, layer.x, layer.options),
    'weight grad': () => conv2dWeightGrad(x, gradOut, layer.w, layer.options),
  };
  for (const [pass, run] of Object.entries(passes)) {
    const times: Record<string, number[]> = { gemm: [], direct: [] };
    for (let round = 0; round < rounds; round++) {
      for (const strategy of STRATEGIES) {
        setConvStrategy(strategy);
        times[strategy].push(await time(run));
      }
    }
    const [gemm, direct] = STRATEGIES.map((s) => median(times[s]));
    console.log(`| ${name} | ${pass} | ${gemm.toFixed(2)} | ${direct.toFixed(2)} | ${(direct / gemm).toFixed(2)} |`);
  }
}
setConvStrategy();
await backend.destroy();
