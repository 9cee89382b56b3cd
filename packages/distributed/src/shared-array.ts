import type { CommunicationBuffer } from './communicator.js';

/** A SharedArrayBuffer-backed copy of `buffer`, of the same type. */
export function sharedCopy<B extends CommunicationBuffer>(buffer: B): B {
  const copy = sharedArray(buffer.constructor as new (memory: SharedArrayBuffer) => B, buffer.length);
  copy.set(buffer as never);
  return copy;
}

/** A zeroed array of `length` elements of `type`, in a SharedArrayBuffer (what MPI can work on in place from its thread). */
export function sharedArray<B extends CommunicationBuffer>(type: new (memory: SharedArrayBuffer) => B, length: number): B {
  const bytes = (type as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return new type(new SharedArrayBuffer(length * bytes));
}
