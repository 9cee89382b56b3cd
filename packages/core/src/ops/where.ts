import { promoteTypes } from '../dtype.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { recordOp, withoutRecording } from '../gradient-hook.js';
import { cast } from './copy.js';
import { commonBackend, scalarResultType, scalarTensor, type Scalar } from './operand.js';
import { broadcastView } from './view.js';

/**
 * `condition ? a : b` elementwise, all three broadcast together.
 *
 * ```ts
 * where(x.gt(0), x, 0); // relu
 * ```
 */
export function where(condition: Tensor, a: Tensor | Scalar, b: Tensor | Scalar): Tensor {
  const like = typeof a === 'object' ? a : typeof b === 'object' ? b : condition;
  const dtype =
    typeof a === 'object' && typeof b === 'object' ? promoteTypes(a.dtype, b.dtype)
    : typeof a === 'object' ? scalarResultType(a.dtype, b as Scalar)
    : typeof b === 'object' ? scalarResultType(b.dtype, a)
    : scalarResultType(Number.isInteger(Number(a)) && Number.isInteger(Number(b)) ? 'int32' : 'float32', 0);
  const left = typeof a === 'object' ? a : scalarTensor(like, a, dtype);
  const right = typeof b === 'object' ? b : scalarTensor(like, b, dtype);
  const backend = commonBackend('where', [condition, left, right]);
  const shape = broadcastShapes('where', broadcastShapes('where', condition.shape, left.shape), right.shape);
  const out = like.newZeros(shape, dtype);
  withoutRecording(() => {
    const mask = cast(condition, 'bool');
    const lc = cast(left, dtype);
    const rc = cast(right, dtype);
    backend.kernels.where(broadcastView(mask, shape), broadcastView(lc, shape), broadcastView(rc, shape), out.layout().buffer);
    for (const temporary of [mask, lc, rc]) {
      if (temporary !== condition && temporary !== left && temporary !== right) temporary.dispose();
    }
  });
  recordOp('where', [condition, left, right], out);
  for (const temporary of [left, right]) if (temporary !== a && temporary !== b) temporary.dispose();
  return out;
}
