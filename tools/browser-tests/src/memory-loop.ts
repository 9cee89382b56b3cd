import { manualSeed, memoryStats, randint, randn, scopeAsync, type Device } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { crossEntropy } from '@fathom/layers';
import { LeNet5 } from '@fathom/models';
import { SGD } from '@fathom/optim';

/** Live tensors and backend bytes every 50 steps of {@link memoryLoop}. */
export interface MemoryTrace {
  readonly tensors: readonly number[];
  readonly bytes: readonly number[];
}

/**
 * The memory issue's LeNet-5 loop (batch 2) for `steps` steps on `device`,
 * as the page runs it: with `scoped`, one `scope()` per step — what a browser
 * needs, having no garbage collector that core can call — else as in PyTorch,
 * leaving everything to the collector. The loss is read every 50 steps.
 */
export async function memoryLoop(device: Device, steps: number, scoped: boolean): Promise<MemoryTrace> {
  useAutograd();
  manualSeed(0);
  const model = new LeNet5({ numClasses: 10 }).to(device);
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = randn([2, 1, 28, 28], { device });
  const y = randint(0, 10, [2], { device });
  const tensors: number[] = [];
  const bytes: number[] = [];
  const step = async (i: number): Promise<void> => {
    const loss = crossEntropy(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    if (i % 50 !== 0) return;
    await loss.item();
    const stats = memoryStats(device);
    tensors.push(stats.tensors);
    bytes.push(stats.backendBytes);
  };
  for (let i = 1; i <= steps; i++) {
    if (scoped) await scopeAsync(() => step(i));
    else await step(i);
  }
  return { tensors, bytes };
}
