import { noGrad } from '@fathom/autograd';
import { captureStep, keep, type CapturedStep, type CaptureMode, type Device, type Tensor } from '@fathom/core';
import type { Classifier, LabeledBatch } from './batch.js';
import type { TrainableOptimizer } from './fit.js';
import { topkCorrect } from './top-k.js';
import { backpropagate, stepStatistics } from './update-step.js';

/** How {@link fit}'s captured steps went, as `FitCallbacks.onCapture` reports it once they are decided. */
export interface CaptureStatus {
  /** `'replaying'`, or `'eager'` with the reason. */
  readonly mode: CaptureMode;
  readonly reason: string | null;
}

/**
 * The forward and backward pass of {@link fit}'s steps through `captureStep`:
 * each batch is copied into input tensors of the first batch's shapes, and
 * once captured the pass replays (the optimizer's update stays eager, so the
 * loop still checks for divergence, clips and follows its LR schedule). A
 * batch of other shapes (an epoch's last, smaller one) runs eagerly.
 */
export class CapturedGradients {
  private inputs: { readonly x: Tensor; readonly y: Tensor } | null = null;
  private step: CapturedStep<Tensor[]> | null = null;
  private reported = false;
  // Gradients a replay handed out; the next replay writes the same buffers and hands out new tensors.
  private handedOut = new Set<Tensor>();
  // The parameters whose gradients the last recorded step returned, in order.
  private withGrads: Tensor[] = [];

  constructor(
    private readonly model: Classifier,
    private readonly optimizer: TrainableOptimizer,
    private readonly loss: (logits: Tensor, labels: Tensor) => Tensor,
    private readonly device: Device,
    private readonly onDecided?: (status: CaptureStatus) => void,
  ) {}

  /** [loss, squared gradient norm, correct] of `batch`, its gradients in the parameters. */
  statistics(batch: LabeledBatch): Tensor {
    const x = batch.x.to(this.device);
    const y = batch.y.to(this.device);
    this.inputs ??= { x: keep(x.clone()), y: keep(y.clone()) };
    const inputs = this.inputs;
    if (!sameShape(inputs.x, x) || !sameShape(inputs.y, y) || inputs.x.dtype !== x.dtype || inputs.y.dtype !== y.dtype) return this.pass(x, y);
    inputs.x.copy_(x);
    inputs.y.copy_(y);
    this.step ??= captureStep(() => {
      const statistics = this.pass(inputs.x, inputs.y);
      this.withGrads = this.model.parameters().filter((p) => p.grad !== null);
      return [statistics, ...this.withGrads.map((p) => p.grad!)];
    });
    // The parameters' gradients are the step's outputs: an eager pass in between
    // (a batch of other shapes) gives them other tensors, so each step puts its own in place.
    for (const grad of this.handedOut) grad.dispose();
    this.handedOut.clear();
    const replaying = this.step.mode === 'replaying';
    const [statistics, ...grads] = this.step();
    if (replaying) {
      this.withGrads.forEach((p, i) => {
        if (p.grad !== grads[i]) p.grad?.dispose();
        p.grad = keep(grads[i]);
        this.handedOut.add(grads[i]);
      });
    }
    if (!this.reported && this.step.mode !== 'recording') {
      this.reported = true;
      this.onDecided?.({ mode: this.step.mode, reason: this.step.reason });
    }
    return statistics;
  }

  /** Returns the pass's buffers and the input copies to the device. */
  dispose(): void {
    this.step?.dispose();
    this.inputs?.x.dispose();
    this.inputs?.y.dispose();
  }

  private pass(x: Tensor, y: Tensor): Tensor {
    const logits = this.model.forward(x); // (N, C)
    const loss = this.loss(logits, y);
    const correct = noGrad(() => topkCorrect(logits.detach(), y, 1));
    backpropagate(loss, this.optimizer);
    return stepStatistics(loss, this.model.parameters(), [correct]);
  }
}

const sameShape = (a: Tensor, b: Tensor): boolean => a.ndim === b.ndim && a.shape.every((size, d) => size === b.shape[d]);
