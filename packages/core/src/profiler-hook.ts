import { shared } from './shared-state.js';
import type { Storage } from './storage.js';

/** What the profiler hears of each storage core allocates while it records. */
export type AllocationProbe = (storage: Storage) => void;

// Apart from profiler.ts so that storage.ts can call it without importing the
// device registry (which imports the CPU backend, which imports storage users).
// Null unless a profile is running: the cost of the hook is one null check.
// Shared by every copy of core in the process, as the kernel tables it times are.

/** @internal The probe the profiler installs while a profile is running. */
export const allocationHook = shared('allocationProbe', () => ({ probe: null as AllocationProbe | null }));
