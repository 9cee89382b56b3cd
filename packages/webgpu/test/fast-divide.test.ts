import { afterAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/index.js';
import { bindingDeclarations, gridFor, LINEAR_WORKGROUP, linearEntry } from '../src/kernels/launch.js';
import { divisionFunctions, FAST_DIVIDE_LIMIT } from '../src/wgsl/fast-divide.js';
import { backendOrReason, noAdapter } from './adapter.js';

// quot/rem of the convolutions' index arithmetic, against JavaScript's integer
// division: both paths on dividends at and around multiples of the divisor
// (where the f32 estimate lands on the wrong side of a whole quotient, for
// thousands of these cases), up to the fast path's limit.

// Every divisor up to 512 and some of the sizes convolutions divide by.
const DIVISORS = [...Array.from({ length: 512 }, (_, i) => i + 1), 576, 1023, 1024, 12_544, 50_176, 1_000_003];

function cases(): { n: Uint32Array; d: Uint32Array } {
  const n: number[] = [];
  const d: number[] = [];
  for (const divisor of DIVISORS) {
    const largest = Math.floor((FAST_DIVIDE_LIMIT - 1) / divisor);
    const quotients = [...Array.from({ length: 40 }, (_, q) => q), 100, 1000, 4097, largest - 1, largest];
    for (const q of quotients) {
      for (const delta of [-1, 0, 1, divisor - 1]) {
        const value = q * divisor + delta;
        if (value < 0 || value >= FAST_DIVIDE_LIMIT) continue;
        n.push(value);
        d.push(divisor);
      }
    }
  }
  return { n: Uint32Array.from(n), d: Uint32Array.from(d) };
}

async function divide(backend: WebGpuBackend, fast: boolean, n: Uint32Array, d: Uint32Array): Promise<{ q: Int32Array; r: Int32Array }> {
  const [nb, db, qb, rb] = [n, d, n, n].map(() => backend.allocate('int32', n.length));
  backend.upload(nb, Int32Array.from(n));
  backend.upload(db, Int32Array.from(d));
  backend.launch({
    kernel: 'fastDivideTest',
    key: { fast },
    source: () => `${bindingDeclarations([
      { name: 'ns', type: 'u32', access: 'read' },
      { name: 'ds', type: 'u32', access: 'read' },
      { name: 'qs', type: 'u32', access: 'read_write' },
      { name: 'rs', type: 'u32', access: 'read_write' },
    ], 'struct Params { total: u32 }')}
${divisionFunctions(fast)}
${linearEntry('qs[i] = quot(ns[i], ds[i]);\n  rs[i] = rem(ns[i], ds[i]);')}`,
    reads: [nb, db],
    writes: [{ buffer: qb, whole: true }, { buffer: rb, whole: true }],
    params: new Uint32Array([n.length]),
    workgroups: gridFor(Math.ceil(n.length / LINEAR_WORKGROUP), backend.maxWorkgroupsPerDimension),
  });
  const [q, r] = await Promise.all([backend.read(qb), backend.read(rb)]);
  for (const buffer of [nb, db, qb, rb]) backend.release(buffer);
  return { q: q as Int32Array, r: r as Int32Array };
}

const found = await backendOrReason();
if ('backend' in found) {
  const backend = found.backend;
  afterAll(async () => {
    await backend.destroy();
  });

  describe('quot and rem', () => {
    const { n, d } = cases();
    const expectedQ = Array.from(n, (value, i) => Math.floor(value / d[i]));
    const expectedR = Array.from(n, (value, i) => value % d[i]);

    for (const fast of [true, false]) {
      it(`${fast ? 'the f32 path' : 'integer division'} is exact over ${n.length} dividends below 2^21`, async () => {
        const { q, r } = await divide(backend, fast, n, d);
        expect(Array.from(q)).toEqual(expectedQ);
        expect(Array.from(r)).toEqual(expectedR);
      });
    }
  });
} else noAdapter({ it }, found.reason);
