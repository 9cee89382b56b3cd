import { coversBuffer, type SgdStepParams } from '../backend.js';
import { isFloating } from '../dtype.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { gradientEngine } from '../gradient-hook.js';
import { formatShape, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { commonBackend } from './operand.js';

/** The hyper-parameters of {@link sgdStep_}: PyTorch's SGD, in camelCase. */
export type SgdStepOptions = Omit<SgdStepParams, 'firstStep'>;

/**
 * One SGD update of `param` in place, PyTorch's `torch.optim.SGD` rule for
 * one tensor (what `@fathom/optim`'s `SGD` runs for each parameter). With g
 * the gradient, θ the parameter and b the momentum buffer:
 * ```text
 * g ← −g if maximize;  g ← g + λθ if weightDecay λ ≠ 0
 * b ← g on the first step, else μb + (1 − τ)g        if momentum μ ≠ 0
 * g ← g + μb if nesterov, else b                      if momentum μ ≠ 0
 * θ ← θ − lr·g
 * ```
 * A device with a fused kernel (`Kernels.sgdStep`) does it in one pass over
 * the three tensors; elsewhere, or for operands that are views into larger
 * buffers, the same values come from separate ops, each rounded as that
 * kernel rounds it. Not recorded: call it under `noGrad`.
 *
 * @param momentumBuffer the velocity from the previous step, updated in
 *   place; undefined on the first step.
 * @returns the momentum buffer (a new tensor on the first step), or
 *   undefined when momentum is 0.
 *
 * ```ts
 * noGrad(() => { buffer = sgdStep_(weight, weight.grad!, buffer, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }); });
 * ```
 */
export function sgdStep_(param: Tensor, grad: Tensor, momentumBuffer: Tensor | undefined, options: SgdStepOptions): Tensor | undefined {
  const operands = momentumBuffer === undefined ? [param, grad] : [param, grad, momentumBuffer];
  const backend = commonBackend('sgdStep_', operands);
  checkOperands(param, operands);
  const firstStep = options.momentum !== 0 && momentumBuffer === undefined;
  const buffer = options.momentum === 0 ? undefined : (momentumBuffer ?? param.newZeros(param.shape));
  const fused = backend.kernels.sgdStep;
  const tensors = buffer === undefined ? [param, grad] : [param, grad, buffer];
  if (fused !== undefined && tensors.every((t) => coversBuffer(t.layout())) && new Set(tensors.map((t) => t.storage)).size === tensors.length) {
    fused.call(backend.kernels, param.storage.buffer, grad.storage.buffer, buffer === undefined ? null : buffer.storage.buffer, { ...options, firstStep });
  } else {
    composite(param, grad, buffer, firstStep, options);
  }
  if (buffer !== undefined && firstStep) buffer.attributeTo('sgdStep_');
  return buffer;
}

function checkOperands(param: Tensor, operands: readonly Tensor[]): void {
  if (param.requiresGrad && gradientEngine()?.isRecording()) {
    throw new ValueError('sgdStep_: a parameter that requires grad cannot be changed in place while gradients are recorded; wrap the update in noGrad()');
  }
  const names = ['param', 'grad', 'momentumBuffer'];
  for (const [i, t] of operands.entries()) {
    if (!isFloating(t.dtype) || t.dtype !== param.dtype) {
      throw new DTypeError(`sgdStep_: ${names[i]} is ${t.dtype}; param, grad and momentumBuffer must share one float dtype (param is ${param.dtype})`);
    }
    if (!sameShape(t.shape, param.shape)) {
      throw new ShapeError(`sgdStep_: ${names[i]} ${formatShape(t.shape)} does not match param ${formatShape(param.shape)}`);
    }
  }
}

// The separate ops, releasing each temporary as soon as the next is made, so
// a step holds at most two parameter-sized temporaries: VGG's 103M-weight
// layer, its gradient and its momentum then fit in wasm32's 4 GiB. Scaled
// sums (`add` with alpha) do each multiply-add in one pass.
function composite(param: Tensor, grad: Tensor, buffer: Tensor | undefined, firstStep: boolean, options: SgdStepOptions): void {
  const { lr, momentum, dampening, weightDecay, nesterov, maximize } = options;
  const temporaries = new Set<Tensor>();
  const made = (tensor: Tensor): Tensor => { temporaries.add(tensor); return tensor; };
  const release = (...tensors: Tensor[]): void => { for (const t of tensors) if (temporaries.delete(t)) t.dispose(); };
  let direction = maximize ? made(grad.neg()) : grad;
  if (weightDecay !== 0) {
    const decayed = made(direction.add(param, { alpha: weightDecay }));
    release(direction);
    direction = decayed;
  }
  if (buffer !== undefined) {
    if (firstStep) {
      buffer.copy_(direction);
    } else {
      const fresh = dampening === 0 ? direction : made(direction.mul(1 - dampening));
      const blended = made(fresh.add(buffer, { alpha: momentum }));
      if (fresh !== direction) release(fresh);
      buffer.copy_(blended);
      release(blended);
    }
    const next = nesterov ? made(direction.add(buffer, { alpha: momentum })) : buffer;
    release(direction);
    direction = next;
  }
  const updated = param.add(direction, { alpha: -lr });
  release(direction);
  param.copy_(updated);
  updated.dispose();
}
