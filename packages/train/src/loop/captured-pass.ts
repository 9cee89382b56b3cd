import { captureStep, keep, type CapturedStep, type CaptureMode, type Tensor } from '@fathom/core';

/** How a loop's captured steps went, as `onCapture` reports it once they are decided. */
export interface CaptureStatus {
  /** `'replaying'`, or `'eager'` with the reason. */
  readonly mode: CaptureMode;
  readonly reason: string | null;
}

/** The line a run prints once its captured steps are decided. */
export function captureMessage(status: CaptureStatus): string {
  return status.mode === 'replaying' ? 'captured steps: replaying the forward and backward pass' : `captured steps: eager (${status.reason})`;
}

/** What a loop's forward and backward pass gives back: its statistics (read in one transfer) and tensors it carries on. */
export interface PassResult {
  readonly statistics: Tensor;
  readonly outputs: readonly Tensor[];
}

/**
 * A training loop's forward and backward pass through `captureStep`: the
 * inputs are copied into tensors of the first call's shapes, and once
 * captured the pass replays (the optimizer's update stays with the loop, so
 * it still checks for divergence, clips and follows its LR schedule). Inputs
 * of other shapes (an epoch's last, smaller batch) run the pass eagerly.
 */
export class CapturedPass {
  private staged: Tensor[] | null = null;
  private step: CapturedStep<Tensor[]> | null = null;
  private reported = false;
  private outputCount = 0;
  // The parameters whose gradients the last recorded pass returned, in order.
  private withGrads: Tensor[] = [];
  // Gradients a replay handed out; the next replay writes the same buffers and hands out new tensors.
  private handedOut = new Set<Tensor>();

  constructor(
    private readonly model: { parameters(): Tensor[] },
    private readonly pass: (inputs: readonly Tensor[]) => PassResult,
    private readonly onDecided?: (status: CaptureStatus) => void,
  ) {}

  /** Runs the pass on `inputs` (on the model's device), its gradients left in the parameters. */
  run(inputs: readonly Tensor[]): PassResult {
    this.staged ??= inputs.map((input) => keep(input.clone()));
    const staged = this.staged;
    const fits = staged.length === inputs.length && staged.every((s, i) => s.dtype === inputs[i].dtype && sameShape(s, inputs[i]));
    if (!fits) return this.pass(inputs);
    staged.forEach((s, i) => s.copy_(inputs[i]));
    this.step ??= captureStep(() => {
      const { statistics, outputs } = this.pass(staged);
      this.outputCount = outputs.length;
      this.withGrads = this.model.parameters().filter((p) => p.grad !== null);
      return [statistics, ...outputs, ...this.withGrads.map((p) => p.grad!)];
    });
    // The parameters' gradients are outputs of the step: an eager pass in between
    // gives them other tensors, so each replay puts its own in place.
    for (const grad of this.handedOut) grad.dispose();
    this.handedOut.clear();
    const replaying = this.step.mode === 'replaying';
    const [statistics, ...rest] = this.step();
    if (replaying) {
      const grads = rest.slice(this.outputCount);
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
    return { statistics, outputs: rest.slice(0, this.outputCount) };
  }

  /** Returns the pass's buffers and the staged inputs to the device. */
  dispose(): void {
    this.step?.dispose();
    for (const tensor of this.staged ?? []) tensor.dispose();
  }
}

const sameShape = (a: Tensor, b: Tensor): boolean => a.ndim === b.ndim && a.shape.every((size, d) => size === b.shape[d]);
