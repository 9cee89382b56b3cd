import type { Backend, BackendBuffer, Kernels } from './backend.js';
import { getBackend, registeredDevices } from './device.js';
import { ValueError } from './errors.js';
import { ProfileResult, type ProfileAllocation, type ProfileEvent } from './profile-result.js';
import { allocationHook, type DeviceSpan, type DeviceSpanSink, type DeviceTimer } from './profiler-hook.js';
import { shared } from './shared-state.js';
import type { Storage } from './storage.js';

// Which arguments of each kernel it writes: the buffers whose allocation the
// kernel's row is charged with. Keyed by every kernel so that a new kernel on
// the Backend interface fails to type-check here until it is listed.
const OUTPUT_ARGUMENTS: Readonly<Record<keyof Kernels, readonly number[]>> = {
  fill: [0], copy: [1], unary: [2], binary: [3], where: [3], reduce: [3], argReduce: [3], matmul: [2],
  conv2d: [2], conv2dWithBias: [3], conv2dInputGrad: [2], conv2dWeightGrad: [2],
  maxPool2d: [1, 2], maxPool2dGrad: [2], avgPool2d: [1], avgPool2dGrad: [1], adaptiveAvgPool2d: [1], adaptiveAvgPool2dGrad: [1],
  gather: [3], scatterAdd: [0], randomFill: [0], sgdStep: [0, 2], channelAffine: [5], batchNorm: [3, 4, 5, 6, 7], batchNormBackward: [5, 6, 7], logSoftmax: [1],
};

// Kernels that take the op as their first argument: their rows are named for the op ('add', 'relu', 'sum').
const NAMED_BY_OP = new Set<keyof Kernels>(['unary', 'binary', 'reduce', 'argReduce']);
// Fused kernels that run one op with what followed it: their rows are named for the op.
const NAMED_FOR: Partial<Record<keyof Kernels, string>> = { conv2dWithBias: 'conv2d' };

// performance.now() is in browsers and Node; core builds against the ES library alone, which lacks it.
const clock = (globalThis as { performance?: { now(): number } }).performance ?? Date;
const now = (): number => clock.now();

// A recorded event while it is being filled in: duration and bytes are known only at its end, device spans later still.
type OpenEvent = { -readonly [K in Exclude<keyof ProfileEvent, 'gpuDuration'>]: ProfileEvent[K] } & {
  childTime: number;
  // Null on a device that does not time its work; else filled through `charge` as the device reports.
  gpuSpans: DeviceSpan[] | null;
  charge: DeviceSpanSink | null;
};
type OpenAllocation = { -readonly [K in keyof ProfileAllocation]: ProfileAllocation[K] };

// The name ops give their output storage until they return and name it (see Tensor.attributeTo).
const UNNAMED = 'newZeros';
// Events whose output is still unnamed after this many later kernel calls keep no madeBy (an op that never names its output).
const NAMING_WINDOW = 64;

/**
 * What every running profile shares: one list of kernel calls and one of
 * allocations, appended while at least one profile runs. Each profile keeps
 * the indices it started at, so profiles may nest or overlap.
 */
class Recorder {
  readonly events: OpenEvent[] = [];
  readonly allocations: OpenAllocation[] = [];
  private readonly open: OpenEvent[] = [];
  // The kernel tables the profiler replaced, to put back when the last profile stops.
  private readonly originals = new Map<Backend, Kernels>();
  // Storages allocated while recording that no kernel has written yet. Weak, so
  // that a long profile does not keep buffers (on cpu, their arrays) alive.
  private unwritten = new WeakMap<BackendBuffer, { allocation: OpenAllocation; storage: Storage }>();
  // Events whose output storage its op has not named yet: it does so when it
  // returns, after its kernels; held only until then.
  private unnamed: { event: OpenEvent; storage: Storage }[] = [];
  // Backends whose kernel table could not be replaced (frozen): reported, not timed.
  readonly uninstrumented = new Set<Backend>();
  // The device timers of instrumented backends that time their work, and why the others that have one cannot.
  private readonly timers = new Map<Backend, DeviceTimer>();
  readonly untimed = new Map<string, string>();

  instrument(backend: Backend): void {
    if (this.originals.has(backend) || this.uninstrumented.has(backend)) return;
    const original = backend.kernels;
    // Inherits any extra members a backend's table has; the primitives are overridden below.
    const wrapped = Object.create(original) as Record<keyof Kernels, (...args: unknown[]) => void>;
    for (const kernel of Object.keys(OUTPUT_ARGUMENTS) as (keyof Kernels)[]) {
      const run = original[kernel] as ((...args: unknown[]) => void) | undefined;
      // An optional kernel the backend lacks stays absent: core checks for it before calling.
      if (run === undefined) continue;
      const namedByOp = NAMED_BY_OP.has(kernel);
      const outputs = OUTPUT_ARGUMENTS[kernel];
      wrapped[kernel] = (...args: unknown[]): void => this.call(backend, kernel, namedByOp, outputs, run, original, args);
    }
    // The one place the profiler changes a backend: its kernel table, for as long as a profile runs.
    if (Reflect.set(backend, 'kernels', wrapped)) {
      this.originals.set(backend, original);
      backend.timeKernelsOnHost?.(true);
      this.startTimer(backend);
    } else this.uninstrumented.add(backend);
  }

  private startTimer(backend: Backend): void {
    const timer = backend.deviceTimer;
    if (timer === undefined) return;
    const why = timer.startTiming();
    if (why === null) this.timers.set(backend, timer);
    else this.untimed.set(backend.name, why);
  }

  restore(): void {
    for (const [backend, original] of this.originals) {
      Reflect.set(backend, 'kernels', original);
      backend.timeKernelsOnHost?.(false);
    }
    this.originals.clear();
    for (const timer of this.timers.values()) timer.stopTiming();
    this.timers.clear();
    this.untimed.clear();
    this.unwritten = new WeakMap();
    this.unnamed = [];
    this.events.length = 0;
    this.allocations.length = 0;
    this.open.length = 0;
    this.uninstrumented.clear();
  }

  /** The devices whose kernels are being timed. */
  backends(): Backend[] {
    return [...this.originals.keys()];
  }

  /** The devices that time their work on the device itself. */
  timedDevices(): string[] {
    return [...this.timers.keys()].map((backend) => backend.name);
  }

  /** Waits until the devices that time their work have reported it all, so far. */
  async collectTimes(): Promise<void> {
    await Promise.all([...this.timers.values()].map((timer) => timer.collectTimes()));
  }

  allocate(storage: Storage): void {
    this.instrument(storage.backend);
    const allocation: OpenAllocation = { device: storage.backend.name, bytes: storage.bytes, time: now(), op: null };
    this.allocations.push(allocation);
    this.unwritten.set(storage.buffer, { allocation, storage });
  }

  /** Copies the names ops have given their outputs since onto those outputs' events; with `all`, whatever each is called now. */
  nameOutputs(all = false): void {
    if (this.unnamed.length === 0) return;
    const excess = this.unnamed.length - NAMING_WINDOW;
    this.unnamed = this.unnamed.filter(({ event, storage }, index) => {
      if (storage.madeBy === UNNAMED && !all) return index >= excess;
      event.madeBy = storage.madeBy === UNNAMED ? null : storage.madeBy;
      return false;
    });
  }

  private call(
    backend: Backend, kernel: keyof Kernels, namedByOp: boolean, outputs: readonly number[], run: (...args: unknown[]) => void, table: Kernels, args: unknown[],
  ): void {
    this.nameOutputs();
    const inputShapes: (readonly number[])[] = [];
    for (let i = namedByOp ? 1 : 0; i < args.length; i++) {
      const arg = args[i] as { shape?: readonly number[]; buffer?: BackendBuffer } | null;
      if (!outputs.includes(i) && typeof arg === 'object' && arg !== null && arg.buffer !== undefined && arg.shape !== undefined) {
        inputShapes.push(arg.shape);
      }
    }
    const event: OpenEvent = {
      name: namedByOp ? String(args[0]) : NAMED_FOR[kernel] ?? kernel,
      kernel,
      device: backend.name,
      inputShapes,
      start: now(),
      duration: 0,
      selfDuration: 0,
      depth: this.open.length,
      bytes: 0,
      madeBy: null,
      childTime: 0,
      gpuSpans: null,
      charge: null,
    };
    this.events.push(event);
    const timer = this.timers.get(backend);
    if (timer !== undefined) {
      const spans: DeviceSpan[] = (event.gpuSpans = []);
      event.charge = (span) => spans.push(span);
      timer.chargeTo(event.charge);
    }
    for (const position of outputs) {
      const arg = args[position] as BackendBuffer | { buffer: BackendBuffer } | null;
      if (arg === null) continue; // an output not asked for (batchNormBackward's gradInput)
      const buffer = 'buffer' in arg ? arg.buffer : arg;
      const unwritten = this.unwritten.get(buffer);
      if (unwritten !== undefined) {
        this.unwritten.delete(buffer);
        unwritten.allocation.op = event.name;
        event.bytes += unwritten.allocation.bytes;
        if (position === outputs[0]) this.unnamed.push({ event, storage: unwritten.storage });
      }
    }
    this.open.push(event);
    try {
      run.apply(table, args);
    } finally {
      this.open.pop();
      event.duration = now() - event.start;
      event.selfDuration = event.duration - event.childTime;
      const parent = this.open[this.open.length - 1];
      if (parent !== undefined) parent.childTime += event.duration;
      // Work recorded after this call, until the next, is the enclosing call's.
      timer?.chargeTo(parent?.charge ?? null);
    }
  }
}

// One recording per process, whichever copy of core started it (see shared-state.ts).
const recording = shared('profiler', () => ({ recorder: null as Recorder | null, running: 0 }));

function startRecording(): { recorder: Recorder; firstEvent: number; firstAllocation: number; start: number } {
  if (recording.recorder === null) {
    const started = new Recorder();
    recording.recorder = started;
    allocationHook.probe = (storage) => started.allocate(storage);
    for (const device of registeredDevices()) started.instrument(getBackend(device));
  }
  recording.running++;
  const recorder = recording.recorder;
  return { recorder, firstEvent: recorder.events.length, firstAllocation: recorder.allocations.length, start: now() };
}

// Waits for the devices to finish queued work and to report its device times; returns how long that took.
async function awaitDevices(session: ReturnType<typeof startRecording>): Promise<number> {
  const syncStart = now();
  await Promise.all(session.recorder.backends().map((backend) => backend.sync()));
  await session.recorder.collectTimes();
  return now() - syncStart;
}

// `timesCollected`: whether the devices' times were waited for (profileAsync); without, they are not reported.
function stopRecording<T>(session: ReturnType<typeof startRecording>, value: T, syncTime = 0, timesCollected = false): ProfileResult<T> {
  const end = now();
  const { recorder: from } = session;
  from.nameOutputs(true);
  const events = from.events.slice(session.firstEvent);
  const notes = [...from.untimed].map(([device, why]) => `GPU times on ${device}: ${why}`);
  const timed = from.timedDevices();
  if (!timesCollected) {
    for (const device of timed) {
      notes.push(`GPU times on ${device}: not read, as profile() and Profiler.stop() return before the device runs the work; profileAsync and Profiler.stopAsync wait for it`);
    }
  }
  const result = new ProfileResult(value, {
    start: session.start,
    end,
    syncTime,
    events,
    allocations: from.allocations.slice(session.firstAllocation),
    asyncDevices: from.backends().filter((backend) => !backend.capabilities.syncRead).map((backend) => backend.name),
    uninstrumented: [...new Set([...from.uninstrumented].map((backend) => backend.name))],
    timedDevices: timesCollected ? timed : [],
    notes,
  });
  if (--recording.running === 0) {
    from.restore();
    allocationHook.probe = null;
    recording.recorder = null;
  }
  return result;
}

/**
 * A profile started and stopped by hand, for code that is not one function;
 * `using` stops it at the end of the block.
 *
 * ```ts
 * const profiler = new Profiler().start();
 * model.forward(x);
 * console.log(profiler.stop().table());
 * ```
 */
export class Profiler {
  private session: ReturnType<typeof startRecording> | null = null;
  private finished: ProfileResult<void> | null = null;

  /** Starts recording every kernel any device runs. */
  start(): this {
    if (this.session !== null) throw new ValueError('Profiler.start: this profiler is already running');
    this.finished = null;
    this.session = startRecording();
    return this;
  }

  /**
   * Stops recording and returns what was recorded since {@link start}. It
   * does not wait for queued device work, so it has no GPU times: use
   * {@link stopAsync} for those.
   */
  stop(): ProfileResult<void> {
    if (this.session === null) {
      if (this.finished !== null) return this.finished;
      throw new ValueError('Profiler.stop: this profiler was never started');
    }
    this.finished = stopRecording(this.session, undefined);
    this.session = null;
    return this.finished;
  }

  /**
   * {@link stop}, after waiting as {@link profileAsync} does for the devices
   * to finish queued work and to report its GPU times.
   */
  async stopAsync(): Promise<ProfileResult<void>> {
    const session = this.session;
    if (session === null) return this.stop();
    const syncTime = await awaitDevices(session);
    // stop() may have run meanwhile.
    if (this.session !== session) return this.stop();
    this.finished = stopRecording(session, undefined, syncTime, true);
    this.session = null;
    return this.finished;
  }

  /** The result of the last {@link stop}, or null while running or before any. */
  get result(): ProfileResult<void> | null {
    return this.finished;
  }

  /** Stops the profile if it still runs (`using profiler = new Profiler().start()`). */
  [Symbol.dispose](): void {
    if (this.session !== null) this.stop();
  }
}

/**
 * Runs `fn` and records every kernel that any device runs meanwhile: its op
 * name, device, input shapes, host time and the bytes allocated for its
 * outputs (torch.profiler's `profile()`). The result also holds `fn`'s value.
 * Recording stops when `fn` returns or throws; while nothing is being
 * profiled the only cost is one null check per allocation. It returns
 * before queued device work runs, so it has no GPU times ({@link profileAsync}
 * has them).
 *
 * ```ts
 * const prof = profile(() => x.matmul(w).add(b).relu().sum());
 * console.log(prof.table({ sortBy: 'total' }));
 * ```
 */
export function profile<T>(fn: () => T): ProfileResult<T> {
  const session = startRecording();
  let value: T;
  try {
    value = fn();
  } catch (error) {
    stopRecording(session, undefined);
    throw error;
  }
  const result = stopRecording(session, value);
  if (typeof (value as { then?: unknown } | null)?.then === 'function') {
    throw new ValueError('profile: the function returned a promise, so the profile would stop before its work ran; use profileAsync');
  }
  return result;
}

/**
 * {@link profile} for an async function. Before stopping it waits for the
 * devices to finish queued work (`backend.sync()`), so the wall time covers
 * it; ops that other async code runs meanwhile are recorded too. Devices
 * that time their own work (webgpu where the adapter has timestamp queries)
 * report it then: each event's `gpuDuration`, a GPU column in the table and
 * a GPU track in the trace. Where a device cannot, the result's `notes`
 * say why.
 *
 * ```ts
 * const prof = await profileAsync(async () => { const loss = step(); return loss.item(); });
 * writeFileSync('trace.json', prof.chromeTrace());
 * ```
 */
export async function profileAsync<T>(fn: () => Promise<T> | T): Promise<ProfileResult<T>> {
  const session = startRecording();
  let value: T;
  let syncTime = 0;
  try {
    value = await fn();
    syncTime = await awaitDevices(session);
  } catch (error) {
    stopRecording(session, undefined);
    throw error;
  }
  return stopRecording(session, value, syncTime, true);
}
