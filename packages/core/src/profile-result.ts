import { ValueError } from './errors.js';
import { formatBytes } from './memory-holders.js';
import type { DeviceSpan } from './profiler-hook.js';

/** One kernel call a profile recorded. Times are host milliseconds from the start of the profile. */
export interface ProfileEvent {
  /** The op: the elementwise or reduction op a generic kernel ran (`'add'`, `'relu'`, `'sum'`), the op a fused kernel ran (`'conv2d'` for `conv2dWithBias`), else the kernel (`'matmul'`, `'copy'`). */
  readonly name: string;
  /** The member of the backend's kernel table that ran (`'binary'`, `'matmul'`). */
  readonly kernel: string;
  readonly device: string;
  /** Shapes of the views it read, in argument order. */
  readonly inputShapes: readonly (readonly number[])[];
  /** When the call began, ms after the profile started (host clock, `performance.now()`). */
  readonly start: number;
  /** Host time of the call, ms. On a device that queues work (webgpu) this is the time to enqueue it. */
  readonly duration: number;
  /** {@link duration} less that of kernels called from inside this one. */
  readonly selfDuration: number;
  /** How many kernel calls enclose this one (0 for those core made directly). */
  readonly depth: number;
  /** Bytes of the outputs allocated for this call (storages allocated during the profile that it wrote first). */
  readonly bytes: number;
  /**
   * The op that made its output, as memory reports name it (`'clone'`, `'cast'` for a copy kernel; `'newFull'` for a fill);
   * null where the kernel wrote no storage allocated during the profile (an in-place `copy_`).
   */
  readonly madeBy: string | null;
  /**
   * Ms the device spent on the work this call recorded (not that of kernels
   * called from inside it), timed on the device: on webgpu, the compute
   * passes of its dispatches, between timestamp queries. A fused elementwise
   * kernel is charged to the op whose result it computes, the ops inlined
   * into it get 0. Null where the device has no such times, and in a
   * profile that did not wait for them (see {@link ProfileResult.notes}).
   */
  readonly gpuDuration: number | null;
}

/** One stretch of device work in {@link ProfileResult.gpuEvents}: on webgpu, one compute pass. */
export interface ProfileGpuEvent {
  /** The op it was charged to, as the table names it. */
  readonly name: string;
  readonly kernel: string;
  readonly device: string;
  /**
   * When it began, ms after the profile started. The device's clock is
   * placed on the host's as early as it can be without any work beginning
   * before the host submitted it; the spacing of one device's work is as
   * the device measured it.
   */
  readonly start: number;
  /** Ms, as the device measured it. */
  readonly duration: number;
}

/** One allocation during a profile; `op` names the kernel that first wrote it, null if none did (uploads, zeros). */
export interface ProfileAllocation {
  readonly device: string;
  readonly bytes: number;
  /** Host time of the allocation (absolute `performance.now()` until the result rebases it). */
  readonly time: number;
  readonly op: string | null;
}

/** One row of {@link ProfileResult.keyAverages}: every call of one op on one device (and, if asked, one set of input shapes). */
export interface OpStats {
  /** The event's name, with the op that made its output where they differ: `copy (clone)`. */
  readonly name: string;
  readonly device: string;
  /** The input shapes, when grouped by them; else null. */
  readonly inputShapes: string | null;
  readonly calls: number;
  /** Host ms, summed over calls. */
  readonly totalTime: number;
  /** Host ms less nested kernels, summed over calls. */
  readonly selfTime: number;
  /** Host µs per call. */
  readonly meanMicroseconds: number;
  /** Self time as a share of the profile's wall time, in percent. */
  readonly percent: number;
  readonly bytes: number;
  /** Device ms, summed over calls; null where the device gave no times. */
  readonly gpuTime: number | null;
  /** Device µs per call; null where the device gave no times. */
  readonly gpuMeanMicroseconds: number | null;
}

/** How {@link ProfileResult.table} orders and cuts its rows. */
export interface ProfileTableOptions {
  /** `'total'` (default): host time with nested kernels; `'self'`: without them; `'count'`: calls; `'gpu'`: device time. */
  readonly sortBy?: 'total' | 'self' | 'count' | 'gpu';
  /** Rows to print (all by default). */
  readonly top?: number;
  /** One row per op and set of input shapes (PyTorch's `group_by_input_shape`). */
  readonly groupByInputShape?: boolean;
}

/** Chrome's trace-event format, as Perfetto and `chrome://tracing` load it. */
export interface ChromeTrace {
  readonly traceEvents: readonly ChromeTraceEvent[];
  readonly displayTimeUnit: 'ms';
}

/** A complete (`ph: 'X'`) or metadata (`ph: 'M'`) trace event; times in µs. */
export interface ChromeTraceEvent {
  readonly name: string;
  readonly cat?: string;
  readonly ph: 'X' | 'M';
  readonly ts?: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: Readonly<Record<string, unknown>>;
}

// An event as the recorder holds it: the spans its device reported in place of their sum.
type RecordedEvent = Omit<ProfileEvent, 'gpuDuration'> & { readonly gpuSpans: readonly DeviceSpan[] | null };

interface Recorded {
  readonly start: number;
  readonly end: number;
  readonly syncTime: number;
  readonly events: readonly RecordedEvent[];
  readonly allocations: readonly ProfileAllocation[];
  readonly asyncDevices: readonly string[];
  readonly uninstrumented: readonly string[];
  /** Devices whose spans were collected: their events get GPU times. */
  readonly timedDevices: readonly string[];
  readonly notes: readonly string[];
}

const SORT_KEYS = ['total', 'self', 'count', 'gpu'] as const;

/**
 * What {@link profile} recorded, with the profiled function's `value`:
 * per-kernel events, per-op aggregates ({@link keyAverages}), a text
 * {@link table} and a {@link chromeTrace}. Host times always; GPU times
 * too where a device timed its own work and the profile waited for them
 * (`profileAsync`, `Profiler.stopAsync`), and otherwise a line in
 * {@link notes} saying why there are none.
 */
export class ProfileResult<T = void> {
  /** Every kernel call, in the order they began. */
  readonly events: readonly ProfileEvent[];
  /** Every storage allocated while recording. */
  readonly allocations: readonly ProfileAllocation[];
  /** Host ms from start to stop (for profileAsync, including the final wait for queued work). */
  readonly wallTime: number;
  /** Host ms profileAsync spent waiting for devices to finish queued work after the function returned. */
  readonly syncTime: number;
  /** Devices whose kernels are queued (no synchronous read): their host times are enqueue times. */
  readonly asyncDevices: readonly string[];
  /** Devices whose kernel table could not be wrapped (a frozen backend): their kernels are missing. */
  readonly uninstrumented: readonly string[];
  /** Devices that timed their own work: their events have a {@link ProfileEvent.gpuDuration}. */
  readonly timedDevices: readonly string[];
  /** The device work those devices timed, in order of start. */
  readonly gpuEvents: readonly ProfileGpuEvent[];
  /**
   * What the profile could not measure, once per device: `'GPU times on
   * webgpu: adapter has no timestamp-query'`, or that `profile()` returned
   * before the GPU ran its work.
   */
  readonly notes: readonly string[];

  /** @internal Made by `profile`, `profileAsync` and `Profiler.stop`. */
  constructor(readonly value: T, recorded: Recorded) {
    this.wallTime = recorded.end - recorded.start;
    this.syncTime = recorded.syncTime;
    const timed = new Set(recorded.timedDevices);
    // Copies: the recorder's objects are shared with any profile still running (and carry its bookkeeping).
    this.events = recorded.events.map((event) => ({
      name: event.name,
      kernel: event.kernel,
      device: event.device,
      inputShapes: event.inputShapes,
      start: event.start - recorded.start,
      duration: event.duration,
      selfDuration: event.selfDuration,
      depth: event.depth,
      bytes: event.bytes,
      madeBy: event.madeBy,
      gpuDuration: timed.has(event.device) && event.gpuSpans !== null
        ? event.gpuSpans.reduce((sum, span) => sum + (span.end - span.start), 0)
        : null,
    }));
    this.allocations = recorded.allocations.map((allocation) => ({
      device: allocation.device, bytes: allocation.bytes, time: allocation.time - recorded.start, op: allocation.op,
    }));
    this.asyncDevices = recorded.asyncDevices;
    this.uninstrumented = recorded.uninstrumented;
    this.timedDevices = recorded.timedDevices;
    this.gpuEvents = placeGpuEvents(recorded.events.filter((event) => timed.has(event.device)), recorded.start);
    this.notes = recorded.notes;
  }

  /** Host ms inside kernels core called (nested calls counted once). */
  get kernelTime(): number {
    let total = 0;
    for (const event of this.events) if (event.depth === 0) total += event.duration;
    return total;
  }

  /** Host ms outside any kernel: JavaScript bookkeeping, allocation, the user's own code, and (profileAsync) waiting. */
  get timeOutsideKernels(): number {
    return this.wallTime - this.kernelTime;
  }

  /** Device ms of all timed work (see {@link ProfileEvent.gpuDuration}); null where no device timed its work. */
  get gpuTime(): number | null {
    if (this.timedDevices.length === 0) return null;
    return this.events.reduce((sum, event) => sum + (event.gpuDuration ?? 0), 0);
  }

  /** Bytes of all storages allocated while recording. */
  get bytesAllocated(): number {
    return this.allocations.reduce((sum, allocation) => sum + allocation.bytes, 0);
  }

  /** Bytes allocated that no kernel wrote (uploads of data, zeros never written). */
  get bytesOutsideKernels(): number {
    return this.allocations.reduce((sum, allocation) => sum + (allocation.op === null ? allocation.bytes : 0), 0);
  }

  /** Per-op aggregates (PyTorch's `key_averages()`), in order of first call. */
  keyAverages(options: { readonly groupByInputShape?: boolean } = {}): OpStats[] {
    const rows = new Map<string, {
      name: string; device: string; inputShapes: string | null; calls: number; totalTime: number; selfTime: number; bytes: number; gpuTime: number | null;
    }>();
    for (const event of this.events) {
      const shapes = options.groupByInputShape ? event.inputShapes.map((shape) => `[${shape.join(',')}]`).join(' ') : null;
      const name = opLabel(event);
      const key = `${name}\u0000${event.device}\u0000${shapes ?? ''}`;
      let row = rows.get(key);
      if (row === undefined) {
        row = { name, device: event.device, inputShapes: shapes, calls: 0, totalTime: 0, selfTime: 0, bytes: 0, gpuTime: null };
        rows.set(key, row);
      }
      row.calls++;
      row.totalTime += event.duration;
      row.selfTime += event.selfDuration;
      row.bytes += event.bytes;
      if (event.gpuDuration !== null) row.gpuTime = (row.gpuTime ?? 0) + event.gpuDuration;
    }
    return [...rows.values()].map((row) => ({
      ...row,
      meanMicroseconds: (row.totalTime / row.calls) * 1000,
      gpuMeanMicroseconds: row.gpuTime === null ? null : (row.gpuTime / row.calls) * 1000,
      percent: this.wallTime > 0 ? (row.selfTime / this.wallTime) * 100 : 0,
    }));
  }

  /**
   * The aggregates as an aligned text table, largest first, with a last line
   * on the time outside kernels. Host times: on devices that queue work
   * (webgpu) they measure enqueueing, and the table says so. Where a device
   * timed its own work, two more columns give those GPU times, and a line
   * their sum; the {@link notes} end the table.
   *
   * ```ts
   * console.log(prof.table({ sortBy: 'self', top: 10 }));
   * ```
   */
  table(options: ProfileTableOptions = {}): string {
    const sortBy = options.sortBy ?? 'total';
    if (!SORT_KEYS.includes(sortBy)) throw new ValueError(`table: sortBy must be one of ${SORT_KEYS.join(', ')}, got '${String(sortBy)}'`);
    const rows = this.keyAverages(options);
    const key = (row: OpStats): number =>
      (sortBy === 'total' ? row.totalTime : sortBy === 'self' ? row.selfTime : sortBy === 'count' ? row.calls : row.gpuTime ?? -1);
    rows.sort((a, b) => key(b) - key(a) || b.totalTime - a.totalTime || a.name.localeCompare(b.name));
    const shown = options.top === undefined ? rows : rows.slice(0, Math.max(0, options.top));
    const gpu = this.timedDevices.length > 0;
    const header = [
      'op', ...(options.groupByInputShape ? ['input shapes'] : []), 'device', 'calls', 'host total ms', 'host self ms', 'host mean µs', 'self %',
      ...(gpu ? ['gpu total ms', 'gpu mean µs'] : []), 'allocated',
    ];
    const body = shown.map((row) => [
      row.name,
      ...(options.groupByInputShape ? [row.inputShapes ?? ''] : []),
      row.device,
      String(row.calls),
      row.totalTime.toFixed(3),
      row.selfTime.toFixed(3),
      row.meanMicroseconds.toFixed(1),
      `${row.percent.toFixed(1)}%`,
      ...(gpu ? [row.gpuTime?.toFixed(3) ?? '-', row.gpuMeanMicroseconds?.toFixed(1) ?? '-'] : []),
      formatBytes(row.bytes),
    ]);
    const leftAligned = options.groupByInputShape ? 3 : 2;
    const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column].length)));
    const line = (cells: readonly string[]): string =>
      cells.map((cell, column) => (column < leftAligned ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd();
    const rule = '-'.repeat(widths.reduce((sum, width) => sum + width, 0) + 2 * (widths.length - 1));
    const share = (ms: number): string => (this.wallTime > 0 ? `${((ms / this.wallTime) * 100).toFixed(1)}%` : '0.0%');
    const lines = [line(header), rule, ...body.map(line), rule];
    if (shown.length < rows.length) lines.push(`(${rows.length - shown.length} more ops not shown)`);
    lines.push(
      `wall ${this.wallTime.toFixed(3)} ms; in kernels ${this.kernelTime.toFixed(3)} ms (${share(this.kernelTime)}); `
      + `outside kernels ${this.timeOutsideKernels.toFixed(3)} ms (${share(this.timeOutsideKernels)})`
      + (this.syncTime > 0 ? `, of which waiting for queued work ${this.syncTime.toFixed(3)} ms` : ''),
      `${this.events.length} kernel calls; allocated ${formatBytes(this.bytesAllocated)}`
      + (this.bytesOutsideKernels > 0 ? ` (${formatBytes(this.bytesOutsideKernels)} not written by a kernel: uploads, zeros)` : ''),
    );
    if (this.asyncDevices.length > 0) {
      lines.push(`host times on ${this.asyncDevices.join(', ')} are enqueue times: kernels there run later, asynchronously`);
    }
    if (this.uninstrumented.length > 0) lines.push(`not recorded (kernel table could not be wrapped): ${this.uninstrumented.join(', ')}`);
    const gpuTime = this.gpuTime;
    if (gpuTime !== null) lines.push(`GPU time of the kernels on ${this.timedDevices.join(', ')}, as the device timed it: ${gpuTime.toFixed(3)} ms`);
    lines.push(...this.notes);
    return lines.join('\n');
  }

  /**
   * The events as Chrome trace-event JSON: one complete event (`ph: 'X'`)
   * per kernel call, times in µs from the start of the profile, and on a
   * track of its own per timed device, one per {@link gpuEvents} entry. Save
   * it and open it in https://ui.perfetto.dev or `chrome://tracing`.
   *
   * ```ts
   * writeFileSync('trace.json', prof.chromeTrace());
   * ```
   */
  chromeTrace(): string {
    const pid = 1;
    const tid = 1;
    const trace: ChromeTrace = {
      displayTimeUnit: 'ms',
      traceEvents: [
        { name: 'process_name', ph: 'M', pid, tid, args: { name: 'fathom' } },
        { name: 'thread_name', ph: 'M', pid, tid, args: { name: 'host (kernel calls)' } },
        ...this.events.map((event): ChromeTraceEvent => ({
          name: opLabel(event),
          cat: event.device,
          ph: 'X',
          ts: round3(event.start * 1000),
          dur: round3(event.duration * 1000),
          pid,
          tid,
          args: { device: event.device, kernel: event.kernel, inputShapes: event.inputShapes, bytes: event.bytes },
        })),
        ...this.timedDevices.flatMap((device, i) => [
          { name: 'thread_name', ph: 'M' as const, pid, tid: tid + 1 + i, args: { name: `${device} GPU (device timestamps)` } },
          ...this.gpuEvents.filter((event) => event.device === device).map((event): ChromeTraceEvent => ({
            name: event.name,
            cat: `${device} gpu`,
            ph: 'X',
            ts: round3(event.start * 1000),
            dur: round3(event.duration * 1000),
            pid,
            tid: tid + 1 + i,
            args: { device, kernel: event.kernel },
          })),
        ]),
      ],
    };
    return JSON.stringify(trace);
  }
}

/**
 * A row's name: the event's, with the op that made its output where that
 * says more — `copy (clone)`, `copy (cast)`, `fill (newFull)` — so the
 * copies an op makes of its inputs stand apart from each other.
 */
function opLabel(event: Pick<ProfileEvent, 'name' | 'madeBy'>): string {
  const madeBy = event.madeBy;
  return madeBy === null || madeBy === event.name || madeBy === 'newZeros' ? event.name : `${event.name} (${madeBy})`;
}

/**
 * The spans of `events` as GPU events on the host's clock, ms after `start`.
 * A device clock's epoch is its own: each device's is shifted by the least
 * amount that starts none of its spans before the host submitted it.
 */
function placeGpuEvents(events: readonly RecordedEvent[], start: number): ProfileGpuEvent[] {
  const shift = new Map<string, number>();
  for (const event of events) {
    for (const span of event.gpuSpans ?? []) shift.set(event.device, Math.max(shift.get(event.device) ?? -Infinity, span.submitted - span.start));
  }
  const placed = events.flatMap((event) => (event.gpuSpans ?? []).map((span): ProfileGpuEvent => ({
    name: opLabel(event), kernel: event.kernel, device: event.device, start: span.start + (shift.get(event.device) ?? 0) - start, duration: span.end - span.start,
  })));
  return placed.sort((a, b) => a.start - b.start);
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
