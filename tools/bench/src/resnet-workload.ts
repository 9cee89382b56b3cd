import { manualSeed, randint, randn } from '@fathom/core';
import { crossEntropy } from '@fathom/layers';
import { resnet18 } from '@fathom/models';
import { SGD } from '@fathom/optim';
import { FATHOM_DEVICES, type BenchCase, type FathomFramework, type PreparedRun } from './case.js';
import { tf, useTfjsBackend, type TfjsBackend } from './tfjs.js';
import { fathomTrainingRun, tfjsTrainingRun } from './training.js';

// W5: torchvision's ResNet-18 (1000 classes, the ImageNet stem) on 3×64×64
// images, batch 16, SGD lr 0.1 momentum 0.9 weight decay 1e-4, BatchNorm in training mode.
const BATCH = 16;
const QUICK_BATCH = 2;
const SIZE = 64;
const CLASSES = 1000;
const OPTIONS = { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 };

function prepareFathom(framework: FathomFramework, batch: number): PreparedRun {
  manualSeed(1);
  const device = FATHOM_DEVICES[framework];
  const model = resnet18({ numClasses: CLASSES }).to(device);
  const optimizer = new SGD(model.parameters(), OPTIONS);
  const x = randn([batch, 3, SIZE, SIZE], { device }); // (N, 3, 64, 64)
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

/** torchvision's ResNet-18 in tfjs-layers (NHWC); weight decay is added to the loss as tfjs's SGD has none. */
function tfjsResNet18(): tf.LayersModel {
  const convBn = (x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number): tf.SymbolicTensor => {
    const conv = tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
    return tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(conv) as tf.SymbolicTensor;
  };
  const relu = (x: tf.SymbolicTensor): tf.SymbolicTensor => tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  const basicBlock = (x: tf.SymbolicTensor, filters: number, strides: number): tf.SymbolicTensor => {
    const out = convBn(relu(convBn(x, filters, 3, strides)), filters, 3, 1);
    const identity = strides !== 1 || x.shape[3] !== filters ? convBn(x, filters, 1, strides) : x;
    return relu(tf.layers.add().apply([out, identity]) as tf.SymbolicTensor);
  };
  const input = tf.input({ shape: [SIZE, SIZE, 3] });
  let x = relu(convBn(input, 64, 7, 2));
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  for (const [filters, strides] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    x = basicBlock(basicBlock(x, filters, strides), filters, 1);
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: CLASSES }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

async function prepareTfjs(backend: TfjsBackend, batch: number): Promise<PreparedRun> {
  await useTfjsBackend(backend);
  const model = tfjsResNet18();
  const optimizer = tf.train.momentum(OPTIONS.lr, OPTIONS.momentum);
  const x = tf.randomNormal([batch, SIZE, SIZE, 3], 0, 1, 'float32', 1); // (N, H, W, C)
  const labels = tf.oneHot(tf.randomUniform([batch], 0, CLASSES, 'int32', 2), CLASSES); // (N, 1000)
  const weights = model.trainableWeights.map((weight) => weight.read());
  const loss = (): tf.Scalar => {
    const data = tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor);
    // L2 weight decay as PyTorch's SGD applies it: its gradient is weightDecay · w.
    // Summed one by one: tf.addN of 62 tensors binds more storage buffers than an adapter may allow (lavapipe: 8).
    const decay = weights.map((weight) => tf.sum(tf.square(weight))).reduce((total, term) => total.add(term)).mul(OPTIONS.weightDecay / 2);
    return data.add(decay) as tf.Scalar;
  };
  return tfjsTrainingRun(backend, optimizer, loss, () => {
    optimizer.dispose();
    model.dispose();
    tf.dispose([x, labels]);
  });
}

/** W5: one ResNet-18 training step on 64×64 images. */
export function resNetCases(quick: boolean): BenchCase[] {
  const batch = quick ? QUICK_BATCH : BATCH;
  return [{
    workload: 'W5 ResNet-18 train step',
    size: `batch ${batch}, 3×${SIZE}×${SIZE}, 1000 classes, SGD momentum`,
    throughput: { unit: 'images/s', perIteration: batch },
    iterations: quick ? 2 : 5,
    // Its Conv2DBackpropFilter is an element-by-element loop: ~20 s per image here, so a batch-16 step takes minutes.
    unavailable: quick ? {} : { 'tfjs-cpu': 'n/a (skipped: minutes per step; --quick times it at batch 2)' },
    prepare: {
      fathom: async () => prepareFathom('fathom', batch),
      'fathom-wasm': async () => prepareFathom('fathom-wasm', batch),
      'fathom-webgpu': async () => prepareFathom('fathom-webgpu', batch),
      'tfjs-cpu': () => prepareTfjs('cpu', batch),
      'tfjs-wasm': () => prepareTfjs('wasm', batch),
      'tfjs-webgpu': () => prepareTfjs('webgpu', batch),
    },
    pytorch: { workload: 'w5', batch, size: SIZE },
  }];
}
