import { DTypeError, tensor, type Tensor } from '@fathom/core';
import { noGrad } from '@fathom/autograd';
import type { CommunicationBuffer } from './communicator.js';

/** The dtypes whose elements MPI moves here, with the host array that holds them. */
const HOST_ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;

/** Throws a DTypeError naming `op` unless `t` is float32, float64 or int32. */
export function checkCommunicableDType(op: string, t: Tensor): void {
  if (!(t.dtype in HOST_ARRAYS)) {
    throw new DTypeError(`${op}: tensors of dtype ${t.dtype} cannot be communicated; use float32, float64 or int32`);
  }
}

/**
 * The elements of `t` in host memory, row-major, as a fresh array of its dtype.
 * A cpu tensor is copied; a wasm or webgpu tensor is read back (`await t.data()`).
 */
export async function readToHost(op: string, t: Tensor): Promise<CommunicationBuffer> {
  checkCommunicableDType(op, t);
  return (await t.data()) as CommunicationBuffer;
}

/**
 * Writes `values` (row-major, `t.numel` elements of t's dtype) into `t`'s own
 * memory, in place, on its device. Under `noGrad`: a parameter's values may be
 * replaced this way (broadcast) while gradients are being recorded elsewhere.
 */
export function writeFromHost(t: Tensor, values: CommunicationBuffer): void {
  // Buckets live in SharedArrayBuffers (for the MPI thread). The cpu backend copies them like any array;
  // a device upload (Dawn's writeBuffer, wasm memory) gets an ordinary copy, as not every binding takes shared memory.
  const plain = values.buffer instanceof SharedArrayBuffer && t.device !== 'cpu' ? values.slice() : values;
  const source = tensor(plain, { shape: t.shape, dtype: t.dtype, device: t.device });
  try {
    noGrad(() => t.copy_(source));
  } finally {
    source.dispose();
  }
}
