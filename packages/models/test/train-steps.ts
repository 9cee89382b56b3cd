import { memoryStats, scope, type MemoryStats, type Tensor } from '@fathom/core';
import { crossEntropy } from '@fathom/layers';

/** What {@link trainSteps} saw. */
export interface TrainedSteps {
  /** The loss before each step. */
  readonly losses: number[];
  /** Memory after the third step, once the optimizer's state exists: later steps must not hold more. */
  readonly settled: MemoryStats;
}

/**
 * Full-batch training as the model tests write it: `steps` rounds of
 * forward, loss, backward and optimizer step in one scope each, reading
 * the loss on the CPU backend.
 */
export function trainSteps(
  model: { forward(x: Tensor): Tensor },
  optimizer: { zeroGrad(): void; step(): void },
  x: Tensor, y: Tensor, steps: number,
  loss: (output: Tensor, target: Tensor) => Tensor = (output, target) => crossEntropy(output, target),
): TrainedSteps {
  const losses: number[] = [];
  let settled = memoryStats();
  for (let step = 0; step < steps; step++) {
    scope(() => {
      const value = loss(model.forward(x), y);
      optimizer.zeroGrad();
      value.backward();
      optimizer.step();
      losses.push(value.dataSync()[0]);
    });
    if (step === 2) settled = memoryStats();
  }
  return { losses, settled };
}
