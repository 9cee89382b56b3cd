import type { Storage } from './storage.js';

/** What the profiler hears of each storage core allocates while it records. */
export type AllocationProbe = (storage: Storage) => void;

// Apart from profiler.ts so that storage.ts can call it without importing the
// device registry (which imports the CPU backend, which imports storage users).
// Null unless a profile is running: the cost of the hook is one null check.

/** @internal Set by the profiler while a profile is running. */
export let allocationProbe: AllocationProbe | null = null;

/** @internal Installs (or, with null, removes) the allocation probe. */
export function setAllocationProbe(probe: AllocationProbe | null): void {
  allocationProbe = probe;
}
