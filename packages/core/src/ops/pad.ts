import { ShapeError, ValueError } from '../errors.js';
import { formatShape } from '../shape.js';
import { recordOp } from '../gradient-hook.js';
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { narrow } from './view.js';

/**
 * Constant padding in `torch.nn.functional.pad`'s order: `[left, right]` pads
 * the last dim, `[left, right, top, bottom]` the last two, and so on.
 * Negative amounts crop, as in PyTorch.
 *
 * ```ts
 * pad(x, [1, 1, 2, 2]); // (N, C, H, W) → (N, C, H + 4, W + 2)
 * ```
 */
export function pad(x: Tensor, padding: readonly number[], value = 0): Tensor {
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) {
    throw new ShapeError(`pad: padding ${formatShape(padding)} must hold a (before, after) pair for each of at most ${x.ndim} trailing dims`);
  }
  if (padding.some((p) => !Number.isInteger(p))) throw new ValueError(`pad: padding ${formatShape(padding)} must hold integers`);
  const pairs = padding.length / 2;
  const shape = [...x.shape];
  for (let k = 0; k < pairs; k++) {
    const d = x.ndim - 1 - k;
    shape[d] += padding[2 * k] + padding[2 * k + 1];
    if (shape[d] < 0) throw new ShapeError(`pad: padding ${formatShape(padding)} crops dimension ${d} of ${formatShape(x.shape)} below zero`);
  }
  const out = x.newFull(shape, value);
  scope(() => {
    // Copy the part of x that survives cropping into the matching window of out.
    let source = x;
    let target = out;
    for (let k = 0; k < pairs; k++) {
      const d = x.ndim - 1 - k;
      const before = padding[2 * k];
      const after = padding[2 * k + 1];
      const from = Math.max(-before, 0);
      const to = x.shape[d] - Math.max(-after, 0);
      if (to < from) {
        throw new ShapeError(`pad: padding ${formatShape(padding)} crops more than the ${x.shape[d]} elements of dimension ${d}`);
      }
      source = narrow(source, d, from, to - from);
      target = narrow(target, d, Math.max(before, 0), to - from);
    }
    if (source.numel > 0) x.backend.kernels.copy(source.layout(), target.layout());
  });
  return recordOp('pad', [x], out, { padding: [...padding] });
}
