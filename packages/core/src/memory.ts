import { getBackend, type Device } from './device.js';
import { liveStorages, statsFor } from './storage.js';

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

/** The memory one op's results hold: see {@link memoryHolders}. */
export interface MemoryHolder {
  /** The op that made the storages (the first tensor viewing each). */
  readonly op: string;
  /** How many live storages it made. */
  readonly storages: number;
  /** Their bytes. */
  readonly bytes: number;
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

function holdersOf(backendName: string, top: number): MemoryHolder[] {
  const byOp = new Map<string, { storages: number; bytes: number }>();
  for (const storage of liveStorages(backendName)) {
    const entry = byOp.get(storage.madeBy) ?? { storages: 0, bytes: 0 };
    entry.storages++;
    entry.bytes += storage.bytes;
    byOp.set(storage.madeBy, entry);
  }
  return [...byOp].map(([op, entry]) => ({ op, ...entry })).sort((a, b) => b.bytes - a.bytes || a.op.localeCompare(b.op)).slice(0, top);
}

/** Bytes for people: `512 bytes`, `3.4 MiB`, `1.20 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/**
 * One sentence on who holds a backend's memory, for out-of-memory errors:
 * `16,032 live tensors hold 2.58 GiB in 8,016 storages; the largest holders by the op that made them: matmul 1.20 GiB (402), …`.
 */
export function describeMemoryHolders(backendName: string): string {
  const counts = statsFor(backendName);
  const holders = holdersOf(backendName, 5);
  const largest = holders.map((h) => `${h.op} ${formatBytes(h.bytes)} (${h.storages.toLocaleString('en-US')})`).join(', ');
  return `${counts.tensors.toLocaleString('en-US')} live tensors hold ${formatBytes(counts.bytes)} in ${counts.storages.toLocaleString('en-US')} storages`
    + (largest ? `; the largest holders by the op that made them: ${largest}` : '');
}
