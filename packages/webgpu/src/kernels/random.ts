import { DTypeError, type BackendBuffer, type RandomSpec } from '@fathom/core';
import { ParamLayout } from '../params.js';
import { mathLibrary } from '../wgsl/math.js';
import { PHILOX_WGSL } from '../wgsl/philox.js';
import { bindingDeclarations, linearEntry, linearGrid, type KernelRunner } from './launch.js';

const RANDOM = new ParamLayout([
  { name: 'total', type: 'u32' },
  { name: 'key0', type: 'u32' },
  { name: 'key1', type: 'u32' },
  { name: 'counterLow', type: 'u32' },
  { name: 'counterHigh', type: 'u32' },
  { name: 'a', type: 'f32' },
  { name: 'b', type: 'f32' },
]);

const TWO_POW_32 = 4294967296;

/**
 * WGSL of randomFill: element i draws Philox at counter offset + i (64-bit,
 * carried by hand); uniform takes the top 24 bits of word 0, normal is
 * Box–Muller on words 0 and 1 with u1 in (0, 1] (core's recipe), with a log
 * and a cosine accurate in float32 rather than the loose builtins.
 */
export function randomFillSource(distribution: RandomSpec['distribution']): string {
  const draw = distribution === 'uniform'
    ? `let u = f32(words.x >> 8u) * 5.9604644775390625e-8;
  out[i] = p.a + (p.b - p.a) * u;`
    : `let u1 = f32((words.x >> 8u) + 1u) * 5.9604644775390625e-8;
  let u2 = f32(words.y >> 8u) * 5.9604644775390625e-8;
  out[i] = p.a + p.b * (sqrt(-2.0 * logF32(u1)) * cosTurnsF32(u2));`;
  return `${distribution === 'normal' ? mathLibrary(['logF32', 'cosTurnsF32']) : ''}
${PHILOX_WGSL}
${bindingDeclarations([{ name: 'out', type: 'f32', access: 'read_write' }], RANDOM.wgsl())}
${linearEntry(`let low = p.counterLow + i;
  let high = p.counterHigh + select(0u, 1u, low < i);
  let words = philox(low, high, p.key0, p.key1);
  ${draw}`)}`;
}

/** Kernels.randomFill. */
export function randomFillKernel(runner: KernelRunner, out: BackendBuffer, spec: RandomSpec): void {
  if (out.dtype !== 'float32') throw new DTypeError(`webgpu: randomFill fills float32 buffers only, got ${out.dtype}`);
  if (out.length === 0) return;
  const { distribution } = spec;
  runner.launch({
    kernel: 'randomFill',
    key: { distribution },
    source: () => randomFillSource(distribution),
    reads: [],
    writes: [{ buffer: out, whole: true }],
    params: RANDOM.pack({
      total: out.length, key0: spec.seed[0] >>> 0, key1: spec.seed[1] >>> 0,
      counterLow: spec.offset % TWO_POW_32, counterHigh: Math.floor(spec.offset / TWO_POW_32), a: spec.a, b: spec.b,
    }),
    workgroups: linearGrid(out.length, runner),
  });
}
