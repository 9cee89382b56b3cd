import { DTypeError } from '@fathom/core';
import type { BackendBuffer, RandomSpec } from '@fathom/core/backend';
import { ParamLayout } from '../params.js';
import { mathLibrary } from '../wgsl/math.js';
import { PHILOX_WGSL } from '../wgsl/philox.js';
import { bindingDeclarations, linearEntry, linearGrid, type KernelRunner } from './launch.js';

const RANDOM = new ParamLayout([
  { name: 'total', type: 'u32' },
  { name: 'length', type: 'u32' },
  { name: 'head', type: 'u32' },
  { name: 'key0', type: 'u32' },
  { name: 'key1', type: 'u32' },
  { name: 'blockLow', type: 'u32' },
  { name: 'blockHigh', type: 'u32' },
  { name: 'a', type: 'f32' },
  { name: 'b', type: 'f32' },
]);

const TWO_POW_32 = 4294967296;

/**
 * WGSL of randomFill (core's recipe): invocation j draws Philox block
 * ⌊offset / 4⌋ + j (64-bit, carried by hand) and writes its four lanes to the
 * elements whose counters fall in it — all four except at a draw's first block
 * (the offset's lane `head` onward) and its last. Uniform takes the top 24 bits
 * of each word; normal is Box–Muller on words (x, y) and (z, w) with u1 in
 * (0, 1], cos for the even lane and sin for the odd, with a log and sin/cos in
 * turns accurate in float32 rather than the loose builtins.
 */
export function randomFillSource(distribution: RandomSpec['distribution']): string {
  const draw = distribution === 'uniform'
    ? `let u = vec4<f32>(words >> vec4<u32>(8u)) * 5.9604644775390625e-8;
  let values = p.a + (p.b - p.a) * u;`
    : `let u1 = vec2<f32>((words.xz >> vec2<u32>(8u)) + vec2<u32>(1u)) * 5.9604644775390625e-8;
  let u2 = vec2<f32>(words.yw >> vec2<u32>(8u)) * 5.9604644775390625e-8;
  let r01 = sqrt(-2.0 * logF32(u1.x));
  let r23 = sqrt(-2.0 * logF32(u1.y));
  let z = vec4<f32>(r01 * cosTurnsF32(u2.x), r01 * sinTurnsF32(u2.x), r23 * cosTurnsF32(u2.y), r23 * sinTurnsF32(u2.y));
  let values = p.a + p.b * z;`;
  return `${distribution === 'normal' ? mathLibrary(['logF32', 'cosTurnsF32', 'sinTurnsF32']) : ''}
${PHILOX_WGSL}
${bindingDeclarations([{ name: 'out', type: 'f32', access: 'read_write' }], RANDOM.wgsl())}
${linearEntry(`let low = p.blockLow + i;
  let high = p.blockHigh + select(0u, 1u, low < i);
  let words = philox(low, high, p.key0, p.key1);
  ${draw}
  // Lane l of this block is element 4i + l − head of the output.
  for (var lane = 0u; lane < 4u; lane++) {
    let slot = 4u * i + lane;
    if (slot >= p.head && slot - p.head < p.length) { out[slot - p.head] = values[lane]; }
  }`)}`;
}

/** Kernels.randomFill. */
export function randomFillKernel(runner: KernelRunner, out: BackendBuffer, spec: RandomSpec): void {
  if (out.dtype !== 'float32') throw new DTypeError(`webgpu: randomFill fills float32 buffers only, got ${out.dtype}`);
  if (out.length === 0) return;
  const { distribution } = spec;
  const firstBlock = Math.floor(spec.offset / 4);
  const head = spec.offset - 4 * firstBlock;
  const blocks = Math.ceil((head + out.length) / 4);
  runner.launch({
    kernel: 'randomFill',
    key: { distribution },
    source: () => randomFillSource(distribution),
    reads: [],
    writes: [{ buffer: out, whole: true }],
    params: RANDOM.pack({
      total: blocks, length: out.length, head, key0: spec.seed[0] >>> 0, key1: spec.seed[1] >>> 0,
      blockLow: firstBlock % TWO_POW_32, blockHigh: Math.floor(firstBlock / TWO_POW_32), a: spec.a, b: spec.b,
    }),
    workgroups: linearGrid(blocks, runner),
  });
}
