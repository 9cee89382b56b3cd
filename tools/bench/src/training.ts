import { captureStep, getBackend, memoryStats, scope, scopeAsync, type Tensor } from '@fathom/core';
import { FATHOM_DEVICES, type FathomFramework, type PreparedRun } from './case.js';
import { peakBackendBytes } from './step-memory.js';
import { tf, type TfjsBackend } from './tfjs.js';

/** What a Fathom training step needs: the optimizer's two calls and a loss on the current batch. */
export interface FathomTrainer {
  readonly zeroGrad: () => void;
  readonly step: () => void;
  /** Forward pass to a scalar loss. */
  readonly loss: () => Tensor;
  /** Releases the model, optimizer state and batch. */
  readonly dispose: () => void;
}

/**
 * One iteration = one training step (zero the gradients, forward, backward,
 * update) and a read of the loss, the one read a training loop must make
 * every so often; the read also waits for queued GPU work.
 */
let captureSteps = false;

/**
 * Makes every Fathom training run replay its forward and backward pass
 * through `captureStep` (the bench's `--capture`), as `fathom-train
 * --capture-steps` does: the optimizer's update stays eager.
 */
export function useCapturedSteps(on: boolean): void {
  captureSteps = on;
}

export function fathomTrainingRun(framework: FathomFramework, trainer: FathomTrainer): PreparedRun {
  const device = FATHOM_DEVICES[framework];
  const gradients = (): Tensor => {
    trainer.zeroGrad();
    const loss = trainer.loss();
    loss.backward();
    return loss;
  };
  const captured = captureSteps ? captureStep(gradients) : null;
  const train = (): Tensor => {
    const loss = (captured ?? gradients)();
    trainer.step();
    return loss;
  };
  // Record until the pass replays (or turns out not to), so that timed iterations are replays.
  while (captured?.mode === 'recording') scope(() => { train(); });
  if (captured) console.log(`  ${framework}: captured forward and backward ${captured.mode}${captured.reason ? ` (${captured.reason})` : ''}`);
  const iterate = device === 'webgpu'
    ? () => scopeAsync(async () => {
      await train().item();
    })
    : () => scope(() => {
      train().dataSync();
    });
  return {
    iterate,
    dispose: () => {
      captured?.dispose();
      trainer.dispose();
    },
    liveTensors: () => memoryStats(device).tensors,
    stepMemory: () => peakBackendBytes(getBackend(device), iterate),
  };
}

/**
 * The same for TensorFlow.js: `optimizer.minimize` runs forward, backward
 * and the update of every trainable variable, returning the loss.
 */
export function tfjsTrainingRun(backend: TfjsBackend, optimizer: tf.Optimizer, loss: () => tf.Scalar, dispose: () => void): PreparedRun {
  const iterate = backend === 'webgpu'
    ? async () => {
      const cost = optimizer.minimize(loss, true)!;
      await cost.data();
      cost.dispose();
    }
    : () => tf.tidy(() => {
      optimizer.minimize(loss, true)!.dataSync();
    });
  return { iterate, dispose, liveTensors: () => tf.memory().numTensors };
}
