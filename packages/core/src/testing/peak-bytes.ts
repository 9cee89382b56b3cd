import type { Backend } from '../backend.js';

/**
 * The most bytes `backend` held above its level when `fn` started, read
 * after every allocation (live bytes only fall between allocations, so
 * these readings catch the peak), as tools/bench's step memory does: for
 * tests that bound what a computation needs at once.
 */
export function peakBytesAbove(backend: Backend, fn: () => void): number {
  const start = backend.memory().bytes;
  let peak = start;
  const hadOwn = Object.prototype.hasOwnProperty.call(backend, 'allocate');
  const allocate = backend.allocate;
  Reflect.set(backend, 'allocate', (dtype: Parameters<Backend['allocate']>[0], length: number) => {
    const buffer = allocate.call(backend, dtype, length);
    peak = Math.max(peak, backend.memory().bytes);
    return buffer;
  });
  try {
    fn();
  } finally {
    if (hadOwn) Reflect.set(backend, 'allocate', allocate);
    else Reflect.deleteProperty(backend, 'allocate');
  }
  return peak - start;
}
