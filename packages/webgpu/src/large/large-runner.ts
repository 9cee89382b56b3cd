import type { BackendBuffer } from '@fathom/core/backend';
import type { KernelRunner } from '../kernels/launch.js';
import type { SegmentLayout, WindowLimits } from './block-plan.js';

/** What the large-tensor kernels need from the backend besides a {@link KernelRunner}. */
export interface LargeBufferRunner extends KernelRunner {
  /** The binding limits of this device (or the artificial ones it was made with). */
  readonly limits: WindowLimits;
  /** The segments of a buffer too large for one binding; null for one bound whole. */
  layoutOf(buffer: BackendBuffer): SegmentLayout | null;
  /** A buffer standing for `length` elements of `buffer` from element `start` (inside one segment, `start` aligned), for kernels to bind. */
  window(buffer: BackendBuffer, start: number, length: number): BackendBuffer;
}
