import { conv2d, conv2dInputGrad, conv2dWeightGrad, manualSeed, randn } from '@fathom/core';
import { FATHOM_DEVICES, type BenchCase, type FathomFramework, type PreparedRun } from './case.js';
import { fathomRun } from './fathom-devices.js';
import { tf, tfjsRun, useTfjsBackend, type TfjsBackend } from './tfjs.js';

// A mid-network ResNet-style layer: batch 16, 64→64 channels, 32×32, 3×3, pad 1, stride 1.
const BATCH = 16;
// --quick shrinks the batch: tfjs-cpu's Conv2DBackpropFilter is a plain
// element-by-element loop that needs minutes per iteration at batch 16.
const QUICK_BATCH = 2;
const CHANNELS = 64;
const SIZE = 32;
const FILTERS = 64;
const KERNEL = 3;
const PADDING = 1;
const OUT_SIZE = SIZE + 2 * PADDING - KERNEL + 1;

const forwardFlops = (batch: number): number => 2 * batch * OUT_SIZE * OUT_SIZE * FILTERS * CHANNELS * KERNEL * KERNEL;

type Pass = 'forward' | 'forward+backward';

function prepareFathom(framework: FathomFramework, pass: Pass, batch: number): PreparedRun {
  manualSeed(1);
  const device = FATHOM_DEVICES[framework];
  const x = randn([batch, CHANNELS, SIZE, SIZE], { device }); // (N, C, H, W)
  const weight = randn([FILTERS, CHANNELS, KERNEL, KERNEL], { device }); // (O, C, kH, kW)
  const gradOut = randn([batch, FILTERS, OUT_SIZE, OUT_SIZE], { device }); // (N, O, OH, OW)
  const options = { padding: PADDING };
  const forward = () => conv2d(x, weight, options);
  const compute = pass === 'forward'
    ? () => [forward()]
    : () => [
      forward(),
      conv2dInputGrad(gradOut, weight, x.shape, options), // (N, C, H, W)
      conv2dWeightGrad(x, gradOut, weight.shape, options), // (O, C, kH, kW)
    ];
  return fathomRun(framework, compute, [x, weight, gradOut]);
}

// TensorFlow.js's default layout is NHWC with HWIO filters: same sizes, its own layout.
async function prepareTfjs(backend: TfjsBackend, pass: Pass, batch: number): Promise<PreparedRun> {
  await useTfjsBackend(backend);
  const x = tf.randomNormal([batch, SIZE, SIZE, CHANNELS], 0, 1, 'float32', 1) as tf.Tensor4D; // (N, H, W, C)
  const filter = tf.randomNormal([KERNEL, KERNEL, CHANNELS, FILTERS], 0, 1, 'float32', 2) as tf.Tensor4D; // (kH, kW, C, O)
  const gradOut = tf.randomNormal([batch, OUT_SIZE, OUT_SIZE, FILTERS], 0, 1, 'float32', 3) as tf.Tensor4D; // (N, OH, OW, O)
  // 'same' is pad 1 for a 3×3 kernel at stride 1.
  const forward = (): tf.Tensor4D => tf.conv2d(x, filter, 1, 'same');
  // The two kernels tfjs's own Conv2D gradient calls, run directly so the work
  // matches Fathom's three calls: conv2dTranspose is Conv2DBackpropInput;
  // Conv2DBackpropFilter has no public op.
  const inputGrad = (): tf.Tensor4D => tf.conv2dTranspose(gradOut, filter, x.shape, 1, 'same');
  const filterGrad = (): tf.Tensor4D => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: gradOut }, {
    strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: filter.shape,
  });
  const compute = pass === 'forward' ? () => [forward()] : () => [forward(), inputGrad(), filterGrad()];
  return tfjsRun(backend, compute, [x, filter, gradOut]);
}

/** W2: conv2d forward, and forward + both input and weight gradients (≈ 3× the forward's flops). */
export function conv2dCases(quick: boolean): BenchCase[] {
  const batch = quick ? QUICK_BATCH : BATCH;
  const size = `${batch}×${CHANNELS}×${SIZE}×${SIZE}, ${FILTERS}×${KERNEL}×${KERNEL}`;
  const passes: readonly [Pass, number, number][] = [
    ['forward', forwardFlops(batch), quick ? 2 : 10],
    ['forward+backward', 3 * forwardFlops(batch), quick ? 2 : 5],
  ];
  return passes.map(([pass, flops, iterations]) => ({
    workload: `W2 conv2d ${pass}`,
    size,
    throughput: { unit: 'GFLOP/s', perIteration: flops / 1e9 },
    iterations,
    prepare: {
      fathom: async () => prepareFathom('fathom', pass, batch),
      'fathom-wasm': async () => prepareFathom('fathom-wasm', pass, batch),
      'fathom-webgpu': async () => prepareFathom('fathom-webgpu', pass, batch),
      'tfjs-cpu': () => prepareTfjs('cpu', pass, batch),
      'tfjs-wasm': () => prepareTfjs('wasm', pass, batch),
      'tfjs-webgpu': () => prepareTfjs('webgpu', pass, batch),
    },
    pytorch: { workload: 'w2', batch, backward: pass === 'forward+backward' },
  }));
}
