import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../src/backend-entry.js';
import {
  getBackend, profile, profileAsync, Profiler, tensor, ValueError, type Backend, type ChromeTraceEvent, type ProfileResult, Tensor,
} from '../src/index.js';

// (2, 3) @ (3, 4) + (4,) → relu → sum: four kernels, no temporaries.
function smallNetwork(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return x.matmul(w).add(b).relu().sum();
}

function inputs(): [Tensor, Tensor, Tensor] {
  return [
    tensor([[1, -2, 3], [-4, 5, -6]]),
    tensor([[1, 0, -1, 2], [0.5, 1, 0, -1], [1, 1, 1, 1]]),
    tensor([0.1, -0.2, 0.3, -0.4]),
  ];
}

function counts(result: ProfileResult<unknown>): Record<string, number> {
  return Object.fromEntries(result.keyAverages().map((row) => [row.name, row.calls]));
}

describe('profile', () => {
  it('records each kernel of a small computation with its name, device, input shapes and count', async () => {
    const [x, w, b] = inputs();
    const result = profile(() => smallNetwork(x, w, b));
    expect(result.events.map((event) => event.name)).toEqual(['matmul', 'add', 'relu', 'sum']);
    expect(counts(result)).toEqual({ matmul: 1, add: 1, relu: 1, sum: 1 });
    expect(result.events.map((event) => event.kernel)).toEqual(['matmul', 'binary', 'unary', 'reduce']);
    expect(result.events.every((event) => event.device === 'cpu' && event.depth === 0)).toBe(true);
    expect(result.events[0].inputShapes).toEqual([[2, 3], [3, 4]]);
    // add sees both operands broadcast to the output's shape, as the kernel does.
    expect(result.events[1].inputShapes).toEqual([[2, 4], [2, 4]]);
    expect(await result.value.item()).toBeCloseTo(smallNetworkReference(), 5);
  });

  it('counts repeated calls and charges each op with the bytes of its outputs', () => {
    const [x, w, b] = inputs();
    const result = profile(() => {
      for (let i = 0; i < 3; i++) smallNetwork(x, w, b);
    });
    expect(counts(result)).toEqual({ matmul: 3, add: 3, relu: 3, sum: 3 });
    const bytes = Object.fromEntries(result.keyAverages().map((row) => [row.name, row.bytes]));
    // outputs: matmul, add and relu (2, 4) float32 = 32 bytes each; sum a 0-d float32 = 4 bytes.
    expect(bytes).toEqual({ matmul: 3 * 32, add: 3 * 32, relu: 3 * 32, sum: 3 * 4 });
    expect(result.bytesAllocated).toBe(3 * (32 + 32 + 32 + 4));
    expect(result.bytesOutsideKernels).toBe(0);
  });

  it('sees a scalar operand as a fill and uploads as allocations no kernel wrote', () => {
    const result = profile(() => tensor([1, 2, 3]).mul(2));
    expect(result.events.map((event) => event.name)).toEqual(['fill', 'mul']);
    expect(result.events.map((event) => event.madeBy)).toEqual(['newFull', 'mul']);
    expect(result.keyAverages().map((row) => row.name)).toEqual(['fill (newFull)', 'mul']);
    expect(result.bytesAllocated).toBe(12 + 4 + 12);
    expect(result.bytesOutsideKernels).toBe(12);
  });

  it('names a copy by the op it served: a cast, a contiguous copy, an in-place copy_', () => {
    const counts = tensor([1, 2, 3], { dtype: 'int32' });
    const matrix = tensor([[1, 2], [3, 4]]);
    const target = tensor([0, 0, 0]);
    const result = profile(() => {
      counts.add(0.5); // the int32 operand is cast to float32 first
      matrix.t().contiguous();
      target.copy_(tensor([7, 8, 9]));
    });
    expect(result.keyAverages().map((row) => [row.name, row.calls])).toEqual([
      ['fill (newFull)', 1], ['copy (cast)', 1], ['add', 1], ['copy (clone)', 1], ['copy', 1],
    ]);
    const trace = JSON.parse(result.chromeTrace()) as { traceEvents: ChromeTraceEvent[] };
    expect(trace.traceEvents.filter((event) => event.ph === 'X').map((event) => event.name)).toContain('copy (cast)');
  });

  it('records nothing outside a profile and leaves the kernel table as it was', () => {
    const cpu = getBackend('cpu');
    const kernels = cpu.kernels;
    const [x, w, b] = inputs();
    const before = profile(() => smallNetwork(x, w, b));
    expect(cpu.kernels).toBe(kernels);
    smallNetwork(x, w, b);
    const after = profile(() => x.relu());
    expect(before.events).toHaveLength(4);
    expect(after.events.map((event) => event.name)).toEqual(['relu']);
    expect(cpu.kernels).toBe(kernels);
  });

  it('stops recording when the function throws', () => {
    const cpu = getBackend('cpu');
    const kernels = cpu.kernels;
    const [x] = inputs();
    expect(() => profile(() => {
      x.relu();
      x.matmul(x); // (2, 3) @ (2, 3): a ShapeError
    })).toThrow(/matmul: cannot multiply/);
    expect(cpu.kernels).toBe(kernels);
    const next = profile(() => x.exp());
    expect(next.events.map((event) => event.name)).toEqual(['exp']);
  });

  it('gives a nested profile its own events and the outer one all of them', () => {
    const [x, w, b] = inputs();
    let inner: ProfileResult<Tensor> | undefined;
    const outer = profile(() => {
      x.neg();
      inner = profile(() => smallNetwork(x, w, b));
      x.abs();
    });
    expect(inner?.events.map((event) => event.name)).toEqual(['matmul', 'add', 'relu', 'sum']);
    expect(outer.events.map((event) => event.name)).toEqual(['neg', 'matmul', 'add', 'relu', 'sum', 'abs']);
    expect(outer.wallTime).toBeGreaterThanOrEqual(inner?.wallTime ?? Infinity);
  });

  it('profiles a backend that is not registered once it allocates', () => {
    const own: Backend = createCpuBackend();
    const kernels = own.kernels;
    const result = profile(() => {
      const a = Tensor.empty(own, [3], 'float32', 'test');
      return a.add(a);
    });
    expect(result.events.map((event) => event.name)).toEqual(['add']);
    expect(result.value.backend).toBe(own);
    expect(own.kernels).toBe(kernels);
  });

  it('says which devices it could not record (a frozen backend) and records the others', () => {
    const frozen: Backend = Object.freeze(createCpuBackend());
    const result = profile(() => {
      const a = Tensor.empty(frozen, [3], 'float32', 'test');
      a.add(a);
      tensor([1, 2]).neg();
    });
    expect(result.events.map((event) => event.name)).toEqual(['neg']);
    expect(result.uninstrumented).toEqual(['cpu']);
    expect(result.table()).toContain('not recorded (kernel table could not be wrapped): cpu');
  });

  it('refuses a function that returns a promise, pointing at profileAsync', () => {
    expect(() => profile(async () => 1)).toThrow(ValueError);
    expect(() => profile(async () => 1)).toThrow(/profileAsync/);
  });

  it('profileAsync waits for the function and the devices, and stops on a rejection', async () => {
    const [x, w, b] = inputs();
    const result = await profileAsync(async () => {
      const y = smallNetwork(x, w, b);
      await Promise.resolve();
      return y.item();
    });
    expect(counts(result)).toEqual({ matmul: 1, add: 1, relu: 1, sum: 1 });
    expect(result.value).toBeCloseTo(smallNetworkReference(), 5);
    await expect(profileAsync(async () => {
      x.relu();
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(profile(() => undefined).events).toHaveLength(0);
  });

  it('Profiler starts and stops by hand, and `using` stops it', () => {
    const [x] = inputs();
    const profiler = new Profiler().start();
    x.relu();
    x.relu();
    const result = profiler.stop();
    expect(counts(result)).toEqual({ relu: 2 });
    expect(profiler.result).toBe(result);
    expect(() => profiler.start().start()).toThrow(/already running/);
    profiler.stop();
    let scoped: Profiler;
    {
      using running = new Profiler().start();
      scoped = running;
      x.exp();
    }
    expect(scoped.result?.events.map((event) => event.name)).toEqual(['exp']);
    expect(profile(() => undefined).events).toHaveLength(0);
  });

  it('accounts the wall time as time in kernels plus time outside them', () => {
    const [x, w, b] = inputs();
    const result = profile(() => smallNetwork(x, w, b));
    const kernelTime = result.events.reduce((sum, event) => sum + event.duration, 0);
    expect(result.kernelTime).toBeCloseTo(kernelTime, 9);
    expect(result.timeOutsideKernels).toBeCloseTo(result.wallTime - kernelTime, 9);
    expect(result.timeOutsideKernels).toBeGreaterThanOrEqual(0);
    for (const event of result.events) {
      expect(event.start).toBeGreaterThanOrEqual(0);
      expect(event.start + event.duration).toBeLessThanOrEqual(result.wallTime + 1e-9);
      expect(event.selfDuration).toBe(event.duration);
    }
  });
});

describe('ProfileResult.chromeTrace', () => {
  it('is JSON with one complete event per kernel call, in non-decreasing time', () => {
    const [x, w, b] = inputs();
    const result = profile(() => {
      for (let i = 0; i < 5; i++) smallNetwork(x, w, b);
    });
    const trace = JSON.parse(result.chromeTrace()) as { traceEvents: ChromeTraceEvent[] };
    const complete = trace.traceEvents.filter((event) => event.ph === 'X');
    expect(complete).toHaveLength(result.events.length);
    expect(complete).toHaveLength(20);
    expect(complete.map((event) => event.name)).toEqual(result.events.map((event) => event.name));
    for (const event of complete) {
      expect(Object.keys(event).sort()).toEqual(['args', 'cat', 'dur', 'name', 'ph', 'pid', 'tid', 'ts']);
      expect(event.dur).toBeGreaterThanOrEqual(0);
      expect(event.args.device).toBe('cpu');
    }
    for (let i = 1; i < complete.length; i++) expect(complete[i].ts ?? NaN).toBeGreaterThanOrEqual(complete[i - 1].ts ?? Infinity);
    expect(trace.traceEvents.filter((event) => event.ph !== 'X').every((event) => event.ph === 'M')).toBe(true);
  });
});

describe('ProfileResult.table', () => {
  // Fixed events, so the order does not depend on the clock.
  function fixed(): ProfileResult<void> {
    return profileWith([
      { name: 'matmul', duration: 4, calls: 1 },
      { name: 'add', duration: 0.5, calls: 6 },
      { name: 'relu', duration: 1, calls: 2 },
    ]);
  }

  it('sorts by total time, self time or calls, and cuts to top', () => {
    const names = (table: string): string[] => table.split('\n').slice(2).filter((line) => /^\w+ +cpu/.test(line)).map((line) => line.split(/ +/)[0]);
    expect(names(fixed().table())).toEqual(['matmul', 'add', 'relu']);
    expect(names(fixed().table({ sortBy: 'self' }))).toEqual(['matmul', 'add', 'relu']);
    expect(names(fixed().table({ sortBy: 'count' }))).toEqual(['add', 'relu', 'matmul']);
    expect(names(fixed().table({ sortBy: 'count', top: 1 }))).toEqual(['add']);
    expect(fixed().table({ top: 1 })).toContain('(2 more ops not shown)');
    expect(() => fixed().table({ sortBy: 'mean' as 'total' })).toThrow(/sortBy must be one of total, self, count/);
  });

  it('aligns its columns and says the times are host times', () => {
    const lines = fixed().table().split('\n');
    expect(lines[0]).toMatch(/^op +device +calls +host total ms +host self ms +host mean µs +self % +allocated$/);
    const rows = lines.slice(2, 5);
    const end = lines[0].length;
    for (const row of rows) expect(row.length).toBe(end);
    expect(rows[0]).toMatch(/^matmul +cpu +1 +4\.000 +4\.000 +4000\.0 +/);
    expect(rows[1]).toMatch(/^add +cpu +6 +3\.000 +3\.000 +500\.0 +/);
    expect(lines.at(-2)).toMatch(/^wall [\d.]+ ms; in kernels 9\.000 ms \([\d.]+%\); outside kernels -?[\d.]+ ms/);
  });
});

// The same computation in float64, written out.
function smallNetworkReference(): number {
  const x = [[1, -2, 3], [-4, 5, -6]];
  const w = [[1, 0, -1, 2], [0.5, 1, 0, -1], [1, 1, 1, 1]];
  const b = [0.1, -0.2, 0.3, -0.4];
  let total = 0;
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 4; j++) {
      let value = b[j];
      for (let k = 0; k < 3; k++) value += x[i][k] * w[k][j];
      total += Math.max(value, 0);
    }
  }
  return total;
}

// A result from hand-made events: `calls` back-to-back calls of `duration` ms each.
function profileWith(rows: readonly { name: string; duration: number; calls: number }[]): ProfileResult<void> {
  const base = profile(() => undefined);
  let start = 0;
  const events = rows.flatMap((row) => Array.from({ length: row.calls }, () => {
    const event = { name: row.name, kernel: row.name, device: 'cpu', inputShapes: [], start, duration: row.duration, selfDuration: row.duration, depth: 0, bytes: 0, madeBy: null, gpuSpans: null };
    start += row.duration;
    return event;
  }));
  return new (base.constructor as new (value: void, recorded: unknown) => ProfileResult<void>)(undefined, {
    start: 0, end: start + 1, syncTime: 0, events, allocations: [], asyncDevices: [], uninstrumented: [], timedDevices: [], notes: [],
  });
}
