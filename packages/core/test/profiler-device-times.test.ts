import { describe, expect, it } from 'vitest';
import { createCpuBackend, type DeviceSpanSink, type DeviceTimer, type Kernels } from '../src/backend-entry.js';
import { profile, profileAsync, Profiler, Tensor, type Backend, type ChromeTraceEvent } from '../src/index.js';

// The device ms each kernel of the fake device takes: a matmul costs more than the rest.
const WORK_MS: Partial<Record<keyof Kernels, number>> = { matmul: 3 };

/**
 * A device timer as a GPU backend has one: kernels record work charged to
 * the call the profiler names, and the times arrive only when collected.
 */
class FakeTimer implements DeviceTimer {
  private charged: DeviceSpanSink | null = null;
  private queued: { sink: DeviceSpanSink; ms: number; submitted: number }[] = [];
  // The device's clock, ms, with an epoch of its own.
  private clock = 5e6;
  timing = false;
  charges = 0;

  constructor(private readonly unavailable: string | null = null) {}

  startTiming(): string | null {
    this.timing = this.unavailable === null;
    return this.unavailable;
  }

  chargeTo(sink: DeviceSpanSink | null): void {
    this.charges++;
    this.charged = sink;
  }

  stopTiming(): void {
    this.timing = false;
    this.queued = [];
  }

  /** A kernel ran: its work is charged to the current call. */
  work(ms: number): void {
    if (this.timing && this.charged) this.queued.push({ sink: this.charged, ms, submitted: performance.now() });
  }

  async collectTimes(): Promise<void> {
    await Promise.resolve();
    for (const { sink, ms, submitted } of this.queued.splice(0)) {
      sink({ start: this.clock, end: this.clock + ms, submitted });
      this.clock += ms + 0.5;
    }
  }
}

// A cpu backend named 'fakegpu' whose every kernel reports work to `timer`.
function fakeGpu(timer: FakeTimer): Backend {
  const cpu = createCpuBackend();
  const kernels = Object.fromEntries(Object.entries(cpu.kernels).map(([name, run]) => [name, (...args: unknown[]) => {
    timer.work(WORK_MS[name as keyof Kernels] ?? 1);
    (run as (...args: unknown[]) => void)(...args);
  }])) as unknown as Kernels;
  return { ...cpu, name: 'fakegpu', kernels, deviceTimer: timer };
}

function network(backend: Backend): Tensor {
  const x = Tensor.empty(backend, [2, 3], 'float32', 'test');
  const w = Tensor.empty(backend, [3, 4], 'float32', 'test');
  return x.matmul(w).relu().sum();
}

describe('profile: device times', () => {
  it('profileAsync charges each kernel call with the device time of its work', async () => {
    const timer = new FakeTimer();
    const backend = fakeGpu(timer);
    const result = await profileAsync(async () => network(backend));
    const byName = Object.fromEntries(result.events.map((event) => [event.name, event.gpuDuration]));
    expect(byName).toEqual({ matmul: 3, relu: 1, sum: 1 });
    expect(result.timedDevices).toEqual(['fakegpu']);
    expect(result.gpuTime).toBe(5);
    expect(result.notes).toEqual([]);
    const matmul = result.keyAverages().find((row) => row.name === 'matmul');
    expect(matmul?.gpuTime).toBe(3);
    expect(matmul?.gpuMeanMicroseconds).toBe(3000);
    expect(timer.timing).toBe(false);
  });

  it('puts the device work on a track of its own, never before the host submitted it', async () => {
    const backend = fakeGpu(new FakeTimer());
    const result = await profileAsync(async () => network(backend));
    expect(result.gpuEvents.map((event) => [event.name, event.duration])).toEqual([['matmul', 3], ['relu', 1], ['sum', 1]]);
    for (const [i, event] of result.gpuEvents.entries()) {
      const host = result.events[i];
      expect(event.start).toBeGreaterThanOrEqual(host.start - 1e-9);
      if (i > 0) expect(event.start - result.gpuEvents[i - 1].start).toBeCloseTo(result.gpuEvents[i - 1].duration + 0.5, 9);
    }
    const trace = JSON.parse(result.chromeTrace()) as { traceEvents: ChromeTraceEvent[] };
    const gpuTrack = trace.traceEvents.filter((event) => event.tid === 2);
    expect(gpuTrack[0]).toMatchObject({ ph: 'M', name: 'thread_name', args: { name: 'fakegpu GPU (device timestamps)' } });
    expect(gpuTrack.slice(1).map((event) => [event.name, event.dur])).toEqual([['matmul', 3000], ['relu', 1000], ['sum', 1000]]);
    expect(trace.traceEvents.filter((event) => event.ph === 'X' && event.tid === 1)).toHaveLength(3);
  });

  it('adds GPU columns and a GPU total to the table, and sorts by GPU time', async () => {
    const backend = fakeGpu(new FakeTimer());
    const result = await profileAsync(async () => network(backend));
    const lines = result.table({ sortBy: 'gpu' }).split('\n');
    expect(lines[0]).toMatch(/^op +device +calls +host total ms +host self ms +host mean µs +self % +gpu total ms +gpu mean µs +allocated$/);
    expect(lines[2]).toMatch(/^matmul +fakegpu +1 +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+% +3\.000 +3000\.0 +/);
    expect(lines).toContain('GPU time of the kernels on fakegpu, as the device timed it: 5.000 ms');
  });

  it('Profiler.stopAsync has the times; profile() and Profiler.stop() say they could not wait for them', async () => {
    const backend = fakeGpu(new FakeTimer());
    const profiler = new Profiler().start();
    network(backend);
    expect((await profiler.stopAsync()).gpuTime).toBe(5);
    const sync = profile(() => network(backend));
    expect(sync.events.every((event) => event.gpuDuration === null)).toBe(true);
    expect(sync.gpuTime).toBeNull();
    expect(sync.notes).toEqual([expect.stringMatching(/^GPU times on fakegpu: not read, .*profileAsync and Profiler\.stopAsync wait for it$/)]);
    expect(sync.table()).not.toContain('gpu total ms');
  });

  it('says once why a device cannot time its work, and invents no times', async () => {
    const timer = new FakeTimer('adapter has no timestamp-query');
    const backend = fakeGpu(timer);
    const result = await profileAsync(async () => {
      network(backend);
      return network(backend);
    });
    expect(result.notes).toEqual(['GPU times on fakegpu: adapter has no timestamp-query']);
    expect(result.events.every((event) => event.gpuDuration === null)).toBe(true);
    expect(result.gpuEvents).toEqual([]);
    expect(result.keyAverages().every((row) => row.gpuTime === null)).toBe(true);
    const table = result.table();
    expect(table).not.toContain('gpu total ms');
    expect(table.split('\n').at(-1)).toBe('GPU times on fakegpu: adapter has no timestamp-query');
    expect(timer.charges).toBe(0);
  });

  it('tells the device nothing while no profile runs', () => {
    const timer = new FakeTimer();
    network(fakeGpu(timer));
    expect(timer.charges).toBe(0);
    expect(timer.timing).toBe(false);
  });
});
