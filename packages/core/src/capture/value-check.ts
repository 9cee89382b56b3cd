import type { Backend, View } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { shared } from '../shared-state.js';
import type { Tensor } from '../tensor.js';

/** A host-side check of a tensor's values: throws a typed error for a bad one (a label out of range). */
export type ValueCheck = (values: TypedArray) => void;

/** @internal What a recording captured step hears of value checks (null unless one records). Shared by every copy of core. */
export const valueCheckHook = shared('valueCheckHook', () => ({
  /** Records a check run on `view`'s values, so that replays run it too. */
  record: null as ((backend: Backend, view: View, check: ValueCheck) => void) | null,
  /** True while a check reads its values: that read is no data dependence of the step. */
  reading: false,
}));

/**
 * Runs `check` on the values of `tensor` where its device reads synchronously
 * (cpu, wasm; a GPU would stall on a read in the middle of a step, so there
 * it is skipped). A step captured with `captureStep` runs the check again on
 * every replay, on that replay's values: checks of inputs (class labels,
 * gather indices) hold on replays as in eager steps.
 *
 * ```ts
 * checkValues(target, (values) => {
 *   for (const v of values) if (v < 0 || v >= classes) throw new IndexError(`target ${v} is out of range`);
 * });
 * ```
 */
export function checkValues(tensor: Tensor, check: ValueCheck): void {
  if (!tensor.backend.capabilities.syncRead) return;
  const hook = valueCheckHook;
  hook.reading = true;
  let values: TypedArray;
  try {
    values = tensor.dataSync();
  } finally {
    hook.reading = false;
  }
  check(values);
  hook.record?.(tensor.backend, tensor.layout(), check);
}

/** The elements of `view` in row-major order, from the whole buffer's values. */
export function viewValues(buffer: TypedArray, view: View): TypedArray {
  const size = view.shape.reduce((a, b) => a * b, 1);
  const out = new (buffer.constructor as new (length: number) => TypedArray)(size);
  const index = new Array<number>(view.shape.length).fill(0);
  let at = view.offset;
  for (let i = 0; i < size; i++) {
    out[i] = buffer[at];
    for (let d = view.shape.length - 1; d >= 0; d--) {
      at += view.strides[d];
      if (++index[d] < view.shape[d]) break;
      at -= view.strides[d] * view.shape[d];
      index[d] = 0;
    }
  }
  return out;
}
