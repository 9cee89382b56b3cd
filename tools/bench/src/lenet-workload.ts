import { manualSeed, randint, randn } from '@fathom/core';
import { crossEntropy } from '@fathom/layers';
import { LeNet5 } from '@fathom/models';
import { SGD } from '@fathom/optim';
import { FATHOM_DEVICES, type BenchCase, type FathomFramework, type PreparedRun } from './case.js';
import { tf, useTfjsBackend, type TfjsBackend } from './tfjs.js';
import { fathomTrainingRun, tfjsTrainingRun } from './training.js';

// W3: LeNet-5 on MNIST-sized digits (1×28×28, 10 classes), batch 64, SGD lr 0.01 momentum 0.9.
const BATCH = 64;
const QUICK_BATCH = 16;
const CLASSES = 10;
const LR = 0.01;
const MOMENTUM = 0.9;

function prepareFathom(framework: FathomFramework, batch: number): PreparedRun {
  manualSeed(1);
  const device = FATHOM_DEVICES[framework];
  const model = new LeNet5({ numClasses: CLASSES }).to(device);
  const optimizer = new SGD(model.parameters(), { lr: LR, momentum: MOMENTUM });
  const x = randn([batch, 1, 28, 28], { device }); // (N, 1, 28, 28)
  const y = randint(0, CLASSES, [batch], { device }); // (N,) int32
  return fathomTrainingRun(framework, {
    zeroGrad: () => optimizer.zeroGrad(),
    step: () => optimizer.step(),
    loss: () => crossEntropy(model.forward(x), y),
    dispose: () => {
      optimizer.zeroGrad();
      optimizer.dispose();
      for (const tensor of [x, y, ...model.parameters(), ...model.buffers()]) tensor.dispose();
    },
  });
}

/** The same network in tfjs-layers (NHWC): conv 6@5×5 'same', pool, conv 16@5×5, pool, 120, 84, 10. */
function tfjsLeNet(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: CLASSES }),
    ],
  });
}

async function prepareTfjs(backend: TfjsBackend, batch: number): Promise<PreparedRun> {
  await useTfjsBackend(backend);
  const model = tfjsLeNet();
  const optimizer = tf.train.momentum(LR, MOMENTUM);
  const x = tf.randomNormal([batch, 28, 28, 1], 0, 1, 'float32', 1); // (N, H, W, C)
  const labels = tf.oneHot(tf.randomUniform([batch], 0, CLASSES, 'int32', 2), CLASSES); // (N, 10)
  const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  return tfjsTrainingRun(backend, optimizer, loss, () => {
    optimizer.dispose();
    model.dispose();
    tf.dispose([x, labels]);
  });
}

/** W3: one LeNet-5 training step on a batch of 28×28 digits. */
export function leNetCases(quick: boolean): BenchCase[] {
  const batch = quick ? QUICK_BATCH : BATCH;
  return [{
    workload: 'W3 LeNet-5 train step',
    size: `batch ${batch}, 1×28×28, SGD momentum`,
    throughput: { unit: 'images/s', perIteration: batch },
    // A step takes milliseconds on the CPU backends: 100 keep the median steady on a shared machine.
    iterations: quick ? 3 : 100,
    prepare: {
      fathom: async () => prepareFathom('fathom', batch),
      'fathom-wasm': async () => prepareFathom('fathom-wasm', batch),
      'fathom-webgpu': async () => prepareFathom('fathom-webgpu', batch),
      'tfjs-cpu': () => prepareTfjs('cpu', batch),
      'tfjs-wasm': () => prepareTfjs('wasm', batch),
      'tfjs-webgpu': () => prepareTfjs('webgpu', batch),
    },
    pytorch: { workload: 'w3', batch },
  }];
}
