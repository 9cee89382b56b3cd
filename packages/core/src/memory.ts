import { getBackend, type Device } from './device.js';
import { holdersOf, type MemoryHolder } from './memory-holders.js';
import { statsFor } from './storage.js';

/** What a device holds right now; compare two readings to find leaks. */
export interface MemoryStats {
  /** Tensor objects not yet released (by dispose, a scope, or the garbage collector). */
  readonly tensors: number;
  /** Storages those tensors share. */
  readonly storages: number;
  /** Bytes in those storages. */
  readonly bytes: number;
  /** Buffers the backend itself reports as allocated (pools may hold more than the storages). */
  readonly backendBuffers: number;
  /** Bytes the backend itself reports. */
  readonly backendBytes: number;
}

/**
 * Memory statistics of a device (the default one when omitted).
 *
 * ```ts
 * const before = memoryStats();
 * scope(() => randn([100]).exp());
 * memoryStats().tensors === before.tensors; // true
 * ```
 */
export function memoryStats(device?: Device): MemoryStats {
  const backend = getBackend(device);
  const counts = statsFor(backend.name);
  const own = backend.memory();
  return { tensors: counts.tensors, storages: counts.storages, bytes: counts.bytes, backendBuffers: own.buffers, backendBytes: own.bytes };
}

/**
 * Who holds a device's memory: its live storages grouped by the op that
 * made them, largest first — what to look at when memory grows.
 *
 * ```ts
 * memoryHolders('wasm', 3); // [{ op: 'matmul', storages: 402, bytes: 1.2e9 }, …]
 * ```
 */
export function memoryHolders(device?: Device, top = 5): MemoryHolder[] {
  return holdersOf(getBackend(device).name, top);
}
