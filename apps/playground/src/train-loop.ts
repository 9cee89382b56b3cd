import { scope, type Device, type Tensor } from '@fathom/core';
import { DataLoader, type MnistDigits } from '@fathom/datasets';
import { crossEntropy } from '@fathom/layers';
import type { LeNet5 } from '@fathom/models';
import { SGD } from '@fathom/optim';
import { DIGIT_MEAN, DIGIT_STD } from './digits.js';

/** One point of the live chart. */
export interface TrainingProgress {
  readonly step: number;
  readonly loss: number;
  /** Of the batch just trained on, before the update. */
  readonly accuracy: number;
  readonly imagesPerSecond: number;
}

/** Options of {@link trainLeNet}. */
export interface TrainOptions {
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Read the loss every this many steps (a read waits for the GPU; default 5). */
  readonly reportEvery?: number;
  readonly onProgress: (progress: TrainingProgress) => void;
  /** Stops after the current step when it returns true. */
  readonly stopped?: () => boolean;
}

/** The digit images as the model takes them: normalized and on `device`. */
export function modelInput(images: Tensor, device: Device): Tensor {
  return images.sub(DIGIT_MEAN).div(DIGIT_STD).to(device); // (N, 1, 28, 28)
}

/** SGD with momentum on shuffled batches of `data`, one scope per step; the loss read every few steps. */
export async function trainLeNet(model: LeNet5, data: MnistDigits, device: Device, options: TrainOptions): Promise<void> {
  const reportEvery = options.reportEvery ?? 5;
  const optimizer = new SGD(model.parameters(), { lr: options.lr, momentum: 0.9 });
  model.train();
  let step = 0;
  let started = performance.now();
  let images = 0;
  try {
    while (step < options.steps) {
      for await (const batch of new DataLoader(data, { batchSize: options.batchSize, shuffle: true, seed: step })) {
        const { loss, correct } = scope(() => {
          const x = modelInput(batch.x, device);
          const y = batch.y.to(device); // (N)
          const logits = model.forward(x); // (N, 10)
          const value = crossEntropy(logits, y);
          optimizer.zeroGrad();
          value.backward();
          optimizer.step();
          return { loss: value, correct: logits.argmax(1).eq(y).sum() };
        });
        step++;
        images += batch.y.shape[0];
        if (step % reportEvery === 0 || step === options.steps) {
          const [lossValue, correctCount] = [await loss.item(), await correct.item()];
          const seconds = (performance.now() - started) / 1000;
          options.onProgress({ step, loss: lossValue, accuracy: correctCount / batch.y.shape[0], imagesPerSecond: images / seconds });
          started = performance.now();
          images = 0;
        }
        for (const t of [loss, correct, batch.x, batch.y]) t.dispose();
        if (step >= options.steps || options.stopped?.()) return;
      }
    }
  } finally {
    optimizer.dispose();
  }
}
