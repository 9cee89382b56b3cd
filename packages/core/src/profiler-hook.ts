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

/**
 * A stretch of work a device timed on its own clock (on webgpu, one compute
 * pass between two timestamp queries).
 */
export interface DeviceSpan {
  /** The device's clock when the work began, ms; the clock's epoch is the device's own, unrelated to the host's. */
  readonly start: number;
  /** The device's clock when the work ended, ms. */
  readonly end: number;
  /** Host time (`performance.now()`) when the work was submitted: the device cannot have begun it earlier. */
  readonly submitted: number;
}

/** Where a backend sends the spans of the kernel call it was told to charge (see {@link DeviceTimer.chargeTo}). */
export type DeviceSpanSink = (span: DeviceSpan) => void;

/**
 * What a backend that times its own work on the device offers the
 * profiler, as `Backend.deviceTimer` (webgpu with timestamp queries). The
 * profiler calls it only while a profile runs, so a backend can keep its
 * cost to one null check otherwise. Times arrive asynchronously: a GPU runs
 * queued work after the kernel call that recorded it returned.
 */
export interface DeviceTimer {
  /** Starts timing work recorded from now on; returns null, or why the device cannot time (the profile reports it). */
  startTiming(): string | null;
  /**
   * Charges work recorded from now on to `sink`, a kernel call, until the next
   * call; null charges none. Work recorded now but run later for this call (a
   * deferred, fused op) stays charged to it.
   */
  chargeTo(sink: DeviceSpanSink | null): void;
  /** Submits queued work and resolves once every span of the work recorded so far has been passed to its sink. */
  collectTimes(): Promise<void>;
  /** Stops timing; spans not collected yet are dropped. */
  stopTiming(): void;
}
