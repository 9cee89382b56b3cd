// @ts-check
import { createCpuBackend } from '@fathom/core/backend';

/**
 * @typedef {import('@fathom/core/backend').Backend} Backend
 * @typedef {import('@fathom/core/backend').Kernels} Kernels
 * @typedef {Backend & {
 *   counts(): Record<string, number>,
 *   resetCounts(): void,
 * }} CountingBackend
 */

/**
 * A backend that runs every kernel on core's CPU backend and counts the calls
 * per kernel name (`matmul`, `binary`, `unary`, `copy`, …).
 *
 * Registered under its own device name, so tensors made with
 * `{ device: 'counting' }` run here while `'cpu'` stays core's own.
 *
 * @param {{ name?: string }} [options]
 * @returns {CountingBackend}
 */
export function countingBackend({ name = 'counting' } = {}) {
  const cpu = createCpuBackend();

  /** @type {Map<string, number>} */
  const counts = new Map();
  /** @type {Record<string, (...args: unknown[]) => void>} */
  const kernels = {};
  // One wrapper per kernel of the table we forward to: whatever kernels this
  // core's Backend interface declares, the CPU backend implements them all.
  for (const [kernel, run] of Object.entries(cpu.kernels)) {
    counts.set(kernel, 0);
    kernels[kernel] = (...args) => {
      counts.set(kernel, (counts.get(kernel) ?? 0) + 1);
      return run(...args);
    };
  }

  return {
    name,
    // A backend that implements kernels itself writes the version of the
    // contract it was written against as a literal (today 1), so a core that
    // speaks another version refuses it at registerBackend(). This one only
    // forwards to the CPU backend of the core it runs with, so it speaks
    // whatever that core speaks.
    apiVersion: cpu.apiVersion,
    capabilities: cpu.capabilities,
    kernels: /** @type {Kernels} */ (/** @type {unknown} */ (kernels)),

    // Memory: the CPU backend's buffers are typed arrays in this process.
    allocate: (dtype, length) => cpu.allocate(dtype, length),
    upload: (buffer, data) => cpu.upload(buffer, data),
    read: (buffer) => cpu.read(buffer),
    readSync: (buffer) => /** @type {NonNullable<Backend['readSync']>} */ (cpu.readSync)(buffer),
    release: (buffer) => cpu.release(buffer),
    memory: () => cpu.memory(),

    // Queued work: the CPU finishes each kernel before it returns, so there
    // is nothing to submit or wait for. A GPU backend submits here.
    flush: () => cpu.flush(),
    sync: () => cpu.sync(),
    destroy: () => cpu.destroy(),

    counts: () => Object.fromEntries(counts),
    resetCounts: () => {
      for (const kernel of counts.keys()) counts.set(kernel, 0);
    },
  };
}
