import type { BackendBuffer } from '../backend.js';
import type { TypedArray } from '../dtype.js';

/** A CPU buffer: the elements live in an ordinary typed array. */
export interface CpuBuffer extends BackendBuffer {
  readonly data: TypedArray;
}
