import { shared } from './shared-state.js';

// Device memory (wasm's linear memory, GPU buffers) is invisible to
// JavaScript's garbage collector: a Tensor object is a few hundred bytes to
// V8 however many megabytes it holds, so a loop that drops its tensors
// without dispose() never makes V8 collect, and the device fills up. Core
// counts what it allocates and, after as much has been allocated as is live
// (at least MIN_CHURN), runs a full collection itself; the next read then
// yields one macrotask so the FinalizationRegistry returns the dead tensors'
// buffers. Amortized, a collection per that much churn costs little (a LeNet
// step allocates ~3 MB); collecting every step, as shumai found, costs a lot.
//
// Finalizers run as tasks of their own, so until a task has run after a
// collection, nothing it found has been returned, and a loop that has not
// yielded since gains nothing from another one unless it has accumulated
// more: then core collects only once live bytes have grown by the base
// distance (a leak), not on churn alone. A scoped training loop that never
// yields (a ResNet-18 step on wasm churns ~540 MB) collects once, not twice
// a step.

/** Runs a full garbage collection synchronously (Node's `gc`). */
export type GarbageCollector = () => void;

const MIN_CHURN = 256 * 2 ** 20;

// Shared by every copy of core in the process (shared-state.ts): one count of the device memory churned.
const pressure = shared('memoryPressure', () => ({
  collector: undefined as GarbageCollector | null | undefined,
  churn: 0,
  threshold: MIN_CHURN,
  minChurn: MIN_CHURN,
  collected: false,
  /** No task has run since the last collection. */
  awaitingTask: false,
  /** Live bytes (all devices) at the last collection. */
  liveAtCollection: 0,
}));

/** Runs `callback` in a later task (core is built without DOM or Node typings; every JavaScript host has setTimeout). */
function inLaterTask(callback: () => void): { unref?(): void } {
  return (globalThis as unknown as { setTimeout(callback: () => void, ms: number): { unref?(): void } }).setTimeout(callback, 0);
}

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
  /**
   * Collect once this many bytes have been allocated since the last
   * collection, or as many as are live if more (default 256 MiB); before a
   * task has run since the last collection, only once live bytes have grown
   * by that much.
   */
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
  }
  pressure.churn = 0;
  pressure.awaitingTask = false;
}

/**
 * Counts an allocation of `bytes` while `liveBytes` are held on all devices;
 * collects when enough has been allocated since the last collection, unless
 * no task has run since it and live bytes have not grown by as much.
 */
export function noteAllocation(bytes: number, liveBytes: number): void {
  if (pressure.collector === undefined) pressure.collector = findCollector();
  if (pressure.collector === null) return;
  pressure.churn += bytes;
  if (pressure.churn < pressure.threshold) return;
  if (pressure.awaitingTask && liveBytes < pressure.liveAtCollection + pressure.threshold) return;
  pressure.collector();
  pressure.churn = 0;
  pressure.threshold = Math.max(pressure.minChurn, liveBytes);
  pressure.liveAtCollection = liveBytes;
  pressure.collected = true;
  pressure.awaitingTask = true;
  // Node: the timer must not keep a process alive that has nothing else to do.
  inLaterTask(() => { pressure.awaitingTask = false; }).unref?.();
}

/** After a collection, waits one macrotask, so the FinalizationRegistry can return what it reclaimed before the caller goes on. */
export async function settleCollection(): Promise<void> {
  if (!pressure.collected) return;
  pressure.collected = false;
  await new Promise<void>((resolve) => { inLaterTask(resolve); });
}
