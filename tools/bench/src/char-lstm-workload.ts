import { manualSeed, randint } from '@fathom/core';
import { crossEntropy } from '@fathom/layers';
import { CharLSTM } from '@fathom/models';
import { Adam } from '@fathom/optim';
import { FATHOM_DEVICES, type BenchCase, type FathomFramework, type PreparedRun } from './case.js';
import { tf, useTfjsBackend, type TfjsBackend } from './tfjs.js';
import { fathomTrainingRun, tfjsTrainingRun } from './training.js';

// W4: a char-level language model as apps/char-lstm trains it: embedding 64,
// two LSTM layers of 256, a linear decoder over an 80-character vocabulary
// (Moby Dick has 80 or so distinct characters), sequences of 64, batch 32, Adam.
const VOCAB = 80;
const EMBEDDING = 64;
const HIDDEN = 256;
const LAYERS = 2;
const SEQUENCE = 64;
const BATCH = 32;
const QUICK_SEQUENCE = 16;
const QUICK_BATCH = 8;
const LR = 2e-3;

interface Shape {
  readonly batch: number;
  readonly sequence: number;
}

function prepareFathom(framework: FathomFramework, { batch, sequence }: Shape): PreparedRun {
  manualSeed(1);
  const device = FATHOM_DEVICES[framework];
  const model = new CharLSTM({ vocabSize: VOCAB, embeddingDim: EMBEDDING, hiddenSize: HIDDEN, numLayers: LAYERS }).to(device);
  const optimizer = new Adam(model.parameters(), { lr: LR });
  const tokens = randint(0, VOCAB, [batch, sequence], { device }); // (N, T) int32
  const targets = randint(0, VOCAB, [batch * sequence], { device }); // (N·T,) int32
  return fathomTrainingRun(framework, {
    zeroGrad: () => optimizer.zeroGrad(),
    step: () => optimizer.step(),
    loss: () => crossEntropy(model.forward(tokens).logits.reshape(batch * sequence, VOCAB), targets),
    dispose: () => {
      optimizer.zeroGrad();
      optimizer.dispose();
      for (const tensor of [tokens, targets, ...model.parameters()]) tensor.dispose();
    },
  });
}

/** The same model in tfjs-layers: embedding, two LSTM layers returning sequences, a dense decoder. */
function tfjsCharLstm(sequence: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: VOCAB, outputDim: EMBEDDING, inputLength: sequence }),
      tf.layers.lstm({ units: HIDDEN, returnSequences: true }),
      tf.layers.lstm({ units: HIDDEN, returnSequences: true }),
      tf.layers.dense({ units: VOCAB }),
    ],
  });
}

async function prepareTfjs(backend: TfjsBackend, { batch, sequence }: Shape): Promise<PreparedRun> {
  await useTfjsBackend(backend);
  const model = tfjsCharLstm(sequence);
  const optimizer = tf.train.adam(LR);
  const tokens = tf.randomUniform([batch, sequence], 0, VOCAB, 'int32', 1); // (N, T)
  const labels = tf.oneHot(tf.randomUniform([batch * sequence], 0, VOCAB, 'int32', 2), VOCAB); // (N·T, V)
  const loss = (): tf.Scalar => {
    const logits = (model.apply(tokens, { training: true }) as tf.Tensor).reshape([batch * sequence, VOCAB]);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };
  return tfjsTrainingRun(backend, optimizer, loss, () => {
    optimizer.dispose();
    model.dispose();
    tf.dispose([tokens, labels]);
  });
}

/** W4: one training step of a 2-layer, 256-unit char-LSTM. */
export function charLstmCases(quick: boolean): BenchCase[] {
  const shape: Shape = quick ? { batch: QUICK_BATCH, sequence: QUICK_SEQUENCE } : { batch: BATCH, sequence: SEQUENCE };
  return [{
    workload: 'W4 char-LSTM train step',
    size: `batch ${shape.batch}, sequence ${shape.sequence}, 2×${HIDDEN} LSTM, Adam`,
    throughput: { unit: 'chars/s', perIteration: shape.batch * shape.sequence },
    iterations: quick ? 2 : 10,
    prepare: {
      fathom: async () => prepareFathom('fathom', shape),
      'fathom-wasm': async () => prepareFathom('fathom-wasm', shape),
      'fathom-webgpu': async () => prepareFathom('fathom-webgpu', shape),
      'tfjs-cpu': () => prepareTfjs('cpu', shape),
      'tfjs-wasm': () => prepareTfjs('wasm', shape),
      'tfjs-webgpu': () => prepareTfjs('webgpu', shape),
    },
    pytorch: { workload: 'w4', ...shape, vocab: VOCAB, embedding: EMBEDDING, hidden: HIDDEN, layers: LAYERS },
  }];
}
