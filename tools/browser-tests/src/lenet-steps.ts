import { manualSeed, randint, randn, scope, type Device } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { crossEntropy } from '@fathom/layers';
import { LeNet5 } from '@fathom/models';
import { SGD } from '@fathom/optim';

/** The run both sides make: Node in the vitest process and the page in Chromium. */
export const LENET_RUN = { seed: 0, batch: 16, steps: 5, lr: 0.05, momentum: 0.9 } as const;

/**
 * The losses of {@link LENET_RUN}'s LeNet-5 training steps on `device` (a
 * registered backend): the weights and one batch of noise images with random
 * labels are drawn on the CPU from the seed, then moved, so every device
 * starts from the same numbers and any difference is the device's arithmetic.
 * The loss is read before each step's update is applied to the next forward.
 */
export async function lenetLosses(device: Device): Promise<number[]> {
  useAutograd();
  manualSeed(LENET_RUN.seed);
  const model = new LeNet5().to(device);
  const optimizer = new SGD(model.parameters(), { lr: LENET_RUN.lr, momentum: LENET_RUN.momentum });
  const x = randn([LENET_RUN.batch, 1, 28, 28]).to(device); // (N, 1, 28, 28)
  const y = randint(0, 10, [LENET_RUN.batch], { dtype: 'int32' }).to(device); // (N)
  const losses: number[] = [];
  try {
    for (let step = 0; step < LENET_RUN.steps; step++) {
      const loss = scope(() => {
        const value = crossEntropy(model.forward(x), y);
        optimizer.zeroGrad();
        value.backward();
        optimizer.step();
        return value;
      });
      // Equal losses prove nothing if the work silently ran elsewhere.
      if (loss.device !== device) throw new Error(`lenetLosses: the loss was computed on '${loss.device}', not '${device}'`);
      // Async: a GPU cannot read synchronously.
      losses.push(await loss.item());
      loss.dispose();
    }
  } finally {
    x.dispose();
    y.dispose();
    optimizer.dispose();
    for (const parameter of model.parameters()) parameter.dispose();
  }
  return losses;
}
