import type { Backend } from '@fathom/core';

/** What one training step needs in memory, as a framework can tell it. */
export interface StepMemory {
  /** The most bytes held at any moment of the step. */
  readonly peakBytes: number;
  /** Bytes held just before the step: parameters, gradients, optimizer state, the batch. */
  readonly restingBytes: number;
  /**
   * What is counted: a Fathom backend's live buffers (`backend.memory().bytes`,
   * read after every allocation), or PyTorch's resident set above the process
   * right after `import torch`.
   */
  readonly counts: 'backend bytes' | 'resident set';
}

/**
 * Runs `step` once with `backend.allocate` wrapped to read the backend's
 * live bytes after every allocation, and returns their peak. Live bytes only
 * fall between allocations, so the peak of these readings is the step's.
 * Kept out of the timed iterations: a memory reading per allocation costs
 * time of its own.
 */
export async function peakBackendBytes(backend: Backend, step: () => void | Promise<void>): Promise<StepMemory> {
  const restingBytes = backend.memory().bytes;
  let peakBytes = restingBytes;
  const hadOwn = Object.prototype.hasOwnProperty.call(backend, 'allocate');
  const allocate = backend.allocate;
  const probe: Backend['allocate'] = (dtype, length) => {
    const buffer = allocate.call(backend, dtype, length);
    peakBytes = Math.max(peakBytes, backend.memory().bytes);
    return buffer;
  };
  if (!Reflect.set(backend, 'allocate', probe)) throw new Error(`step memory: cannot wrap ${backend.name}'s allocate (a frozen backend)`);
  try {
    await step();
  } finally {
    if (hadOwn) Reflect.set(backend, 'allocate', allocate);
    else Reflect.deleteProperty(backend, 'allocate');
  }
  return { peakBytes, restingBytes, counts: 'backend bytes' };
}
