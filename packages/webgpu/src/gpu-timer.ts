import type { DeviceSpanSink, DeviceTimer } from '@fathom/core/backend';
import { BufferUsage, MapMode } from './gpu-constants.js';

// Compute passes one query set times: two timestamps each, 4,096 being the most a set may hold.
const PASSES_PER_SET = 2048;

// performance.now() is in browsers and Node; the package builds against the ES library alone, which lacks it.
const clock = (globalThis as { performance?: { now(): number } }).performance ?? Date;

// A query set with the buffers its timestamps go through: resolved on the GPU, copied to a mappable one.
interface QuerySlot {
  readonly querySet: GPUQuerySet;
  readonly resolved: GPUBuffer;
  readonly readback: GPUBuffer;
}

// The passes of one batch: the slot their timestamps go to, whom each is charged to, and in which profile.
interface TimedBatch {
  readonly slot: QuerySlot;
  readonly sinks: DeviceSpanSink[];
  readonly session: number;
}

/** What a {@link GpuTimer} needs from the backend. */
export interface GpuTimerHost {
  /** Whether dispatches record into timed passes: called with the timer when timing starts, null when it stops. */
  timePasses(timer: GpuTimer | null): void;
  /** Submits everything recorded (pending fused results included). */
  flush(): void;
}

/**
 * The webgpu backend's {@link DeviceTimer}: while a profile runs, every
 * dispatch gets a compute pass of its own with a timestamp written at its
 * start and end (`timestampWrites`), charged to the kernel call the
 * profiler names. A batch's timestamps are resolved into a buffer at its
 * submit and read back as soon as the GPU is done with it, so reading them
 * adds no wait; {@link collectTimes} waits for the last batch. Needs the
 * device's 'timestamp-query' feature: without it, {@link startTiming} says
 * so and nothing is timed. While no profile runs it does nothing.
 */
export class GpuTimer implements DeviceTimer {
  private timing = false;
  // Counts startTiming calls: times read after their profile stopped go to no one.
  private session = 0;
  private charged: DeviceSpanSink | null = null;
  private batch: TimedBatch | null = null;
  private readonly free: QuerySlot[] = [];
  private readonly reading = new Set<Promise<void>>();

  constructor(
    private readonly device: GPUDevice,
    private readonly host: GpuTimerHost,
    /** Null where the device has timestamp queries; else why it cannot time, as the profile reports it. */
    private readonly unavailable: string | null,
  ) {}

  startTiming(): string | null {
    if (this.unavailable !== null) return this.unavailable;
    this.timing = true;
    this.session++;
    this.host.timePasses(this);
    return null;
  }

  chargeTo(sink: DeviceSpanSink | null): void {
    this.charged = sink;
  }

  stopTiming(): void {
    this.timing = false;
    this.charged = null;
    this.host.timePasses(null);
    // Its passes are still in the unsubmitted commands; their timestamps are no one's now.
    if (this.batch) this.free.push(this.batch.slot);
    this.batch = null;
  }

  async collectTimes(): Promise<void> {
    if (!this.timing) return;
    this.host.flush();
    await Promise.all(this.reading);
  }

  /** The call charged with work recorded now, null while nothing is timed: a deferred op keeps it for its dispatch. */
  get chargedCall(): DeviceSpanSink | null {
    return this.charged;
  }

  /** Runs `record` with its work charged to `owner`, where not null, instead of the current call. */
  charging(owner: DeviceSpanSink | null, record: () => void): void {
    if (owner === null) return record();
    const current = this.charged;
    this.charged = owner;
    try {
      record();
    } finally {
      this.charged = current;
    }
  }

  /** Where the next compute pass writes its timestamps; null when no call is charged (the pass goes untimed). */
  timestampWrites(): GPUComputePassTimestampWrites | null {
    if (this.charged === null) return null;
    this.batch ??= { slot: this.free.pop() ?? this.createSlot(), sinks: [], session: this.session };
    const pass = this.batch.sinks.push(this.charged) - 1;
    return { querySet: this.batch.slot.querySet, beginningOfPassWriteIndex: 2 * pass, endOfPassWriteIndex: 2 * pass + 1 };
  }

  /** Whether the batch's query set is full: it must be submitted before another timed pass. */
  get full(): boolean {
    return this.batch !== null && this.batch.sinks.length === PASSES_PER_SET;
  }

  /**
   * Records, at the end of a batch's commands, copying its timestamps where
   * they can be read; returns what starts reading them once it is submitted.
   */
  resolve(encoder: GPUCommandEncoder): (() => void) | null {
    const batch = this.batch;
    if (batch === null) return null;
    this.batch = null;
    const { querySet, resolved, readback } = batch.slot;
    const bytes = batch.sinks.length * 16;
    encoder.resolveQuerySet(querySet, 0, 2 * batch.sinks.length, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, readback, 0, bytes);
    return () => {
      const read = this.read(batch, bytes, clock.now());
      this.reading.add(read);
      void read.finally(() => this.reading.delete(read));
    };
  }

  // Reads a submitted batch's timestamps and hands each pass's span to its sink.
  private async read(batch: TimedBatch, bytes: number, submitted: number): Promise<void> {
    const { readback } = batch.slot;
    try {
      await readback.mapAsync(MapMode.READ, 0, bytes);
    } catch {
      // The device went away (destroy, loss): the work never finished, and its times are nobody's.
      return;
    }
    const stamps = new BigUint64Array(readback.getMappedRange(0, bytes).slice(0));
    readback.unmap();
    this.free.push(batch.slot);
    if (!this.timing || batch.session !== this.session) return;
    batch.sinks.forEach((sink, pass) => {
      const begin = stamps[2 * pass];
      const end = stamps[2 * pass + 1];
      // A clock that went backwards (WebGPU allows it, across a power-state change) gives no honest time.
      if (end >= begin) sink({ start: Number(begin) / 1e6, end: Number(end) / 1e6, submitted });
    });
  }

  private createSlot(): QuerySlot {
    const bytes = PASSES_PER_SET * 16;
    return {
      querySet: this.device.createQuerySet({ type: 'timestamp', count: 2 * PASSES_PER_SET, label: 'fathom timestamps' }),
      resolved: this.device.createBuffer({ size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC, label: 'fathom timestamps' }),
      readback: this.device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: 'fathom timestamps' }),
    };
  }

  /** Frees the query sets and their buffers (the device is going away). */
  dispose(): void {
    this.stopTiming();
    for (const { querySet, resolved, readback } of this.free.splice(0)) {
      querySet.destroy();
      resolved.destroy();
      readback.destroy();
    }
  }
}
