import type { Backend, BackendBuffer } from './backend.js';
import { bytesPerElement } from './dtype.js';
import { noteAllocation, noteRelease } from './memory-pressure.js';
import { shared } from './shared-state.js';
import { allocationHook } from './profiler-hook.js';

/**
 * One buffer on a backend, shared by every tensor that views it. Counted
 * references decide when the buffer goes back to the backend: tensors drop
 * theirs on `dispose()`, at the end of a `scope()`, or when the garbage
 * collector finalizes them, whichever comes first.
 */
export class Storage {
  private references = 0;
  /** Why the buffer was returned; null while it is live. */
  releasedBecause: string | null = null;
  /** The op that made the first tensor viewing it: what an out-of-memory error blames. */
  madeBy = '(unknown)';

  constructor(readonly backend: Backend, readonly buffer: BackendBuffer) {
    liveStorages(backend.name).add(this);
    const counts = statsFor(backend.name);
    counts.storages++;
    counts.bytes += this.bytes;
    noteAllocation(this.bytes, counts.bytes, counts.storages);
    const probe = allocationHook.probe;
    if (probe !== null) probe(this);
  }

  /** Adds one reference (a new tensor viewing this storage, made by `madeBy`). */
  retain(madeBy: string): void {
    if (this.references++ === 0) this.madeBy = madeBy;
  }

  /** How many live tensors view this storage. */
  get handles(): number {
    return this.references;
  }

  /** Its size in bytes. */
  get bytes(): number {
    return this.buffer.length * bytesPerElement(this.buffer.dtype);
  }

  /** Drops one reference; the last one returns the buffer to the backend. `collected`: the garbage collector dropped it. */
  drop(reason: string, collected = false): void {
    if (this.releasedBecause !== null) return;
    if (--this.references > 0) return;
    this.releasedBecause = reason;
    liveStorages(this.backend.name).delete(this);
    const counts = statsFor(this.backend.name);
    counts.storages--;
    counts.bytes -= this.bytes;
    if (!collected) noteRelease(this.bytes);
    this.backend.release(this.buffer);
  }
}

/** What core holds on one device: live tensor objects, live storages and their bytes. */
export interface DeviceMemoryCounts {
  tensors: number;
  storages: number;
  bytes: number;
}

const countsByDevice = shared('memoryCounts', () => new Map<string, DeviceMemoryCounts>());
const storagesByDevice = shared('liveStorages', () => new Map<string, Set<Storage>>());

/** The live storages of `device`, for out-of-memory reports. */
export function liveStorages(device: string): Set<Storage> {
  let storages = storagesByDevice.get(device);
  if (!storages) {
    storages = new Set();
    storagesByDevice.set(device, storages);
  }
  return storages;
}

/** The live counters of `device` (created at zero on first use). */
export function statsFor(device: string): DeviceMemoryCounts {
  let counts = countsByDevice.get(device);
  if (!counts) {
    counts = { tensors: 0, storages: 0, bytes: 0 };
    countsByDevice.set(device, counts);
  }
  return counts;
}
