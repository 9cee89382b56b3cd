import { shared } from './shared-state.js';

// Device memory (wasm's linear memory, GPU buffers) is invisible to
// JavaScript's garbage collector: a Tensor object is a few hundred bytes to
// V8 however many megabytes it holds, so a loop that drops its tensors
// without dispose() never makes V8 collect, and the device fills up. Core
// counts what it allocates and, after as much has been allocated as is live
// (at least MIN_CHURN), runs a full collection itself; the next read then
// yields one macrotask so the FinalizationRegistry returns the dead tensors'
// buffers. Amortized, a collection per that much churn costs little (a LeNet
// step allocates ~10 MB); collecting every step, as shumai found, costs a lot.
// A collection is skipped while what was allocated since the last one, less
// what dispose() and scope() gave back, is under UNRELEASED_SHARE of that
// much: only the garbage collector can return what nobody released, so a
// loop that releases everything pays for no collection (what a step still
// holds when the count fills is under it), and a loop that releases nothing
// is collected as often as before. Buffers are counted too, apart from
// bytes: once UNRELEASED_STORAGES buffers are unreleased (or half the number
// live at the last collection, if more), core collects whatever their bytes.
// A loop that drops many small tensors holds little device memory, but V8's
// heap and the finalizers' backlog grow with their number; without this
// count its garbage would be bounded by bytes alone (a loop of scalars:
// millions of buffers before 256 MiB had churned) and by V8's own
// collections, whose timing moves with the machine's load.

/** Runs a full garbage collection synchronously (Node's `gc`). */
export type GarbageCollector = () => void;

const MIN_CHURN = 256 * 2 ** 20;
const UNRELEASED_SHARE = 1 / 2;
const UNRELEASED_STORAGES = 4096;

// Shared by every copy of core in the process (shared-state.ts): one count of the device memory churned.
const pressure = shared('memoryPressure', () => ({
  collector: undefined as GarbageCollector | null | undefined,
  // Bytes allocated since the last collection or skipped one.
  churn: 0,
  // Bytes allocated since the last collection less those the program released since: garbage, or newly live.
  // Below zero after the program released what it held before; raised to zero at the next count's end.
  unreleased: 0,
  // The same in buffers.
  unreleasedStorages: 0,
  threshold: MIN_CHURN,
  // Collect once this many buffers are unreleased: UNRELEASED_STORAGES, or half as many as were live at the last collection.
  storageThreshold: UNRELEASED_STORAGES,
  minChurn: MIN_CHURN,
  collected: false,
}));

interface NodeProcess {
  getBuiltinModule?(id: string): unknown;
}

/**
 * Node's collector, made callable without `--expose-gc` (through `node:v8`
 * and `node:vm`, reached by `process.getBuiltinModule` so browser bundles
 * never see them); `globalThis.gc` where it exists; else null (browsers:
 * release with `scope()` or `dispose()`).
 */
function findCollector(): GarbageCollector | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as GarbageCollector;
  const process = (globalThis as { process?: NodeProcess }).process;
  if (typeof process?.getBuiltinModule !== 'function') return null;
  try {
    const v8 = process.getBuiltinModule('node:v8') as { setFlagsFromString(flags: string): void };
    const vm = process.getBuiltinModule('node:vm') as { runInNewContext(code: string): unknown };
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as GarbageCollector) : null;
  } catch {
    return null;
  }
}

/** How core collects garbage under device-memory pressure. */
export interface GarbageCollectionOptions {
  /** The collector to run; null turns collection off (release with `scope()` and `dispose()`); given as undefined, Node's own again (the default, found on the first allocation). */
  readonly collector?: GarbageCollector | null;
  /** Collect once this many bytes have been allocated since the last collection (counted afresh from this call), or as many as are live if more, unless more than half of them were released (default 256 MiB). Apart from bytes, core collects once 4,096 buffers (or half as many as were live at the last collection, if more) are unreleased. */
  readonly afterBytes?: number;
}

/**
 * Changes how core collects the garbage that device memory leaves behind:
 * turn it off, supply a collector (a browser with `--js-flags=--expose-gc`),
 * or collect more often.
 *
 * ```ts
 * configureGarbageCollection({ collector: null }); // rely on scope() and dispose() alone
 * ```
 */
export function configureGarbageCollection(options: GarbageCollectionOptions): void {
  if ('collector' in options) pressure.collector = options.collector;
  if (options.afterBytes !== undefined) {
    pressure.minChurn = options.afterBytes;
    pressure.threshold = options.afterBytes;
    pressure.churn = 0;
    pressure.unreleased = 0;
    pressure.unreleasedStorages = 0;
    pressure.storageThreshold = UNRELEASED_STORAGES;
  }
}

/**
 * Counts an allocation of `bytes` while `liveBytes` in `liveStorages`
 * buffers are held on its device; collects when enough has been allocated
 * since the last collection and enough of it is unreleased, or when enough
 * buffers are unreleased.
 */
export function noteAllocation(bytes: number, liveBytes: number, liveStorages: number): void {
  if (pressure.collector === undefined) pressure.collector = findCollector();
  if (pressure.collector === null) return;
  pressure.churn += bytes;
  pressure.unreleased += bytes;
  pressure.unreleasedStorages++;
  if (pressure.unreleasedStorages >= pressure.storageThreshold) {
    collect(pressure.collector, liveBytes, liveStorages);
    return;
  }
  if (pressure.churn < pressure.threshold) return;
  if (pressure.unreleased >= pressure.threshold * UNRELEASED_SHARE) {
    collect(pressure.collector, liveBytes, liveStorages);
    return;
  }
  pressure.churn = 0;
  pressure.threshold = Math.max(pressure.minChurn, liveBytes);
  // What was released before counts against one count's garbage, not every later one's.
  pressure.unreleased = Math.max(0, pressure.unreleased);
  pressure.unreleasedStorages = Math.max(0, pressure.unreleasedStorages);
}

/**
 * Runs the collector and starts both counts afresh. The buffer count grows
 * with half of what is live: the live count includes the garbage about to be
 * collected, so a count as large as it would grow by what is reachable at
 * every collection; half of it settles at what is reachable, and a program
 * building up thousands of live tensors collects a logarithmic number of times.
 */
function collect(collector: GarbageCollector, liveBytes: number, liveStorages: number): void {
  collector();
  pressure.churn = 0;
  pressure.unreleased = 0;
  pressure.unreleasedStorages = 0;
  pressure.threshold = Math.max(pressure.minChurn, liveBytes);
  pressure.storageThreshold = Math.max(UNRELEASED_STORAGES, liveStorages / 2);
  pressure.collected = true;
}

/** Counts `bytes` the program released (dispose(), scope(); not the collector) as no longer possibly garbage. */
export function noteRelease(bytes: number): void {
  pressure.unreleased -= bytes;
  pressure.unreleasedStorages--;
}

/** After a collection, waits one macrotask, so the FinalizationRegistry can return what it reclaimed before the caller goes on. */
export async function settleCollection(): Promise<void> {
  if (!pressure.collected) return;
  pressure.collected = false;
  // Core is built without DOM or Node typings; every JavaScript host has setTimeout.
  const { setTimeout } = globalThis as unknown as { setTimeout(callback: () => void, ms: number): unknown };
  await new Promise<void>((resolve) => { setTimeout(resolve, 0); });
}
