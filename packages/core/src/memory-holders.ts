import { liveStorages, statsFor } from './storage.js';

// Apart from memory.ts so that backends can name the holders in their
// out-of-memory errors without importing the device registry (which imports them).

/** The memory one op's results hold, as `memoryHolders(device)` lists them. */
export interface MemoryHolder {
  /** The op that made the storages (the first tensor viewing each). */
  readonly op: string;
  /** How many live storages it made. */
  readonly storages: number;
  /** Their bytes. */
  readonly bytes: number;
}

/** Live storages of `backendName` grouped by the op that made them, largest first. */
export function holdersOf(backendName: string, top: number): MemoryHolder[] {
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
