import type { DType } from '../../dtype.js';
import {
  abs, ceil, clamp, cos, elu, erf, exp, expm1, floor, gelu, leakyRelu, log, log1p, logicalNot, neg, reciprocal, relu, round, rsqrt,
  sigmoid, sign, silu, sin, softplus, sqrt, square, tanh, type Tensor,
} from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, ToleranceTier } from '../op-spec.js';
import { randomRef, ref, storable } from '../reference.js';

// ── Independent float64 references ─────────────────────────────────────────

const SQRT_PI = Math.sqrt(Math.PI);

/**
 * erf by composite Simpson integration of 2/√π·e^(−t²) over [0, |x|], with
 * |x| capped at 6.5 (erfc(6.5) ≈ 4e-20) and a step below 1/3000, which keeps
 * the error under 1e-13: a different method from any series the library uses.
 */
export function erfReference(x: number): number {
  if (Number.isNaN(x)) return x;
  const b = Math.min(Math.abs(x), 6.5);
  if (b === 0) return x;
  const intervals = 2 * Math.ceil(b * 1500) + 2;
  const h = b / intervals;
  let total = 1 + Math.exp(-b * b);
  for (let i = 1; i < intervals; i++) {
    const t = i * h;
    total += (i % 2 === 1 ? 4 : 2) * Math.exp(-t * t);
  }
  return Math.sign(x) * (2 / SQRT_PI) * (h / 3) * total;
}

/** Rounds half to even, from floor and the fractional part. */
function roundHalfEvenReference(x: number): number {
  if (!Number.isFinite(x)) return x;
  const down = Math.floor(x);
  const fraction = x - down;
  if (fraction < 0.5) return down;
  if (fraction > 0.5) return down + 1;
  return down % 2 === 0 ? down : down + 1;
}

// ── How each op is sampled ────────────────────────────────────────────────

interface UnaryCase {
  readonly name: string;
  readonly tier: ToleranceTier;
  readonly run: (x: Tensor) => Tensor;
  readonly f: (x: number) => number;
  /** Range of random float inputs. */
  readonly domain: readonly [number, number];
  /** Range of random int32 inputs and the dtype of the result; absent where PyTorch rejects integer input. */
  readonly int?: { readonly domain: readonly [number, number]; readonly result: DType };
  /** Special values; the reference is computed from them like any other input. */
  readonly extremes: readonly number[];
  /** Result dtype for a floating input (default: the input's). */
  readonly floatResult?: DType;
  /** Further samples beyond the common ones. */
  readonly extra?: (random: () => number) => readonly OpSample[];
  readonly errors?: () => readonly OpErrorCase[];
}

const FULL: readonly [number, number] = [-3, 3];
const POSITIVE: readonly [number, number] = [0.1, 4];
const SMALL_INTS: readonly [number, number] = [-3, 4];
const POSITIVE_INTS: readonly [number, number] = [1, 6];
const INF = Infinity;

/** Applies `f` to every element and rounds to what `dtype` stores (float32 rounding turns overflow into ±Infinity, as the op must). */
function mapReference(x: ReferenceTensor, dtype: DType, f: (x: number) => number): ReferenceTensor {
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = storable(f(x.data[i]), dtype);
  return { shape: [...x.shape], data, dtype };
}

function unarySample(name: string, x: ReferenceTensor, layout: Layout, run: (x: Tensor) => Tensor, f: (x: number) => number, dtype: DType): OpSample {
  return {
    name,
    inputs: [{ value: x, layout }],
    run: ([t]) => run(t),
    reference: ([value]) => mapReference(value, dtype, f),
  };
}

const FLOAT_SHAPES: readonly { readonly shape: number[]; readonly layout: Layout }[] = [
  { shape: [], layout: 'contiguous' },
  { shape: [0], layout: 'contiguous' },
  { shape: [1], layout: 'contiguous' },
  { shape: [7], layout: 'contiguous' },
  { shape: [3, 4], layout: 'contiguous' },
  { shape: [3, 4], layout: 'transposed' },
  { shape: [3, 4], layout: 'strided' },
  { shape: [3, 4], layout: 'offset' },
  { shape: [7], layout: 'strided' },
  { shape: [], layout: 'offset' },
  { shape: [2, 3, 4], layout: 'transposed' },
];

function unarySpec(c: UnaryCase): OpSpec {
  return {
    name: c.name,
    tier: c.tier,
    samples(random) {
      const [low, high] = c.domain;
      const floatOut = c.floatResult ?? 'float32';
      const samples: OpSample[] = FLOAT_SHAPES.map(({ shape, layout }) =>
        unarySample(`float32 [${shape.join(',')}] ${layout}`, randomRef(random, shape, 'float32', low, high), layout, c.run, c.f, floatOut),
      );
      samples.push(
        unarySample('extreme values', ref([c.extremes.length], c.extremes.map((v) => Math.fround(v))), 'contiguous', c.run, c.f, floatOut),
        unarySample('float64 [3,4]', randomRef(random, [3, 4], 'float64', low, high), 'contiguous', c.run, c.f, c.floatResult ?? 'float64'),
      );
      if (c.int) {
        const [intLow, intHigh] = c.int.domain;
        samples.push(
          unarySample(`int32 [3,4] gives ${c.int.result}`, randomRef(random, [3, 4], 'int32', intLow, intHigh), 'contiguous', c.run, c.f, c.int.result),
          unarySample(`int32 [2,5] strided gives ${c.int.result}`, randomRef(random, [2, 5], 'int32', intLow, intHigh), 'strided', c.run, c.f, c.int.result),
        );
      }
      if (c.extra) samples.push(...c.extra(random));
      return samples;
    },
    errors: c.errors,
  };
}

const BOOL_INPUT = (): ReferenceTensor => ref([4], [1, 0, 1, 1], 'bool');

const CASES: readonly UnaryCase[] = [
  {
    name: 'neg', tier: 'T1', run: neg, f: (x) => -x, domain: FULL, int: { domain: SMALL_INTS, result: 'int32' },
    extremes: [0, -0, INF, -INF, NaN, 3.4e38, -1.5],
    errors: () => [{ name: 'neg of bool', inputs: [{ value: BOOL_INPUT() }], run: ([x]) => neg(x), kind: 'DTypeError', message: 'bool' }],
  },
  {
    name: 'abs', tier: 'T1', run: abs, f: Math.abs, domain: FULL, int: { domain: SMALL_INTS, result: 'int32' },
    extremes: [-0, -INF, INF, NaN, -5, 3.4e38],
  },
  {
    name: 'sign', tier: 'T1', run: sign, f: (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0), domain: FULL,
    int: { domain: SMALL_INTS, result: 'int32' }, extremes: [0, -0, -2, 3, INF, -INF, NaN, 1e-30],
    errors: () => [{ name: 'sign of bool', inputs: [{ value: BOOL_INPUT() }], run: ([x]) => sign(x), kind: 'DTypeError', message: 'bool' }],
  },
  {
    name: 'exp', tier: 'T2', run: exp, f: Math.exp, domain: FULL, int: { domain: SMALL_INTS, result: 'float32' },
    extremes: [100, -100, 0, INF, -INF, NaN, 88, 89, -87],
  },
  {
    name: 'expm1', tier: 'T2', run: expm1, f: Math.expm1, domain: FULL, int: { domain: SMALL_INTS, result: 'float32' },
    extremes: [1e-10, -1e-10, 0, -INF, INF, 100, -100, NaN],
  },
  {
    name: 'log', tier: 'T2', run: log, f: Math.log, domain: POSITIVE, int: { domain: POSITIVE_INTS, result: 'float32' },
    extremes: [0, -0, -1, INF, -INF, 1, NaN, 1e-30, 3e38],
  },
  {
    name: 'log1p', tier: 'T2', run: log1p, f: Math.log1p, domain: [-0.9, 3], int: { domain: [0, 5], result: 'float32' },
    extremes: [-1, -2, 1e-10, -1e-10, 0, INF, NaN],
  },
  {
    name: 'sqrt', tier: 'T2', run: sqrt, f: Math.sqrt, domain: POSITIVE, int: { domain: POSITIVE_INTS, result: 'float32' },
    extremes: [-1, 0, INF, -INF, 1e-30, NaN, 4],
  },
  {
    name: 'rsqrt', tier: 'T2', run: rsqrt, f: (x) => 1 / Math.sqrt(x), domain: POSITIVE, int: { domain: POSITIVE_INTS, result: 'float32' },
    extremes: [0, -0, -1, INF, 4, NaN, 1e-30],
  },
  {
    name: 'reciprocal', tier: 'T1', run: reciprocal, f: (x) => 1 / x, domain: FULL, int: { domain: SMALL_INTS, result: 'float32' },
    extremes: [0, -0, INF, -INF, NaN, 1e-39, 3],
  },
  {
    name: 'square', tier: 'T1', run: square, f: (x) => x * x, domain: FULL, int: { domain: SMALL_INTS, result: 'int32' },
    extremes: [INF, -INF, NaN, 1e20, -3, 1e-30],
  },
  {
    name: 'sin', tier: 'T2', run: sin, f: Math.sin, domain: [-7, 7], int: { domain: SMALL_INTS, result: 'float32' },
    extremes: [0, -0, INF, -INF, NaN, 100, Math.PI],
  },
  {
    name: 'cos', tier: 'T2', run: cos, f: Math.cos, domain: [-7, 7], int: { domain: SMALL_INTS, result: 'float32' },
    extremes: [0, INF, -INF, NaN, 100, Math.PI],
  },
  {
    name: 'tanh', tier: 'T2', run: tanh, f: Math.tanh, domain: FULL, int: { domain: SMALL_INTS, result: 'float32' },
    extremes: [100, -100, INF, -INF, NaN, 1e-10, 0],
  },
  {
    name: 'sigmoid', tier: 'T2', run: sigmoid, f: (x) => 1 / (1 + Math.exp(-x)), domain: [-8, 8], int: { domain: SMALL_INTS, result: 'float32' },
    extremes: [100, -100, INF, -INF, NaN, 0, 20, -20],
  },
  {
    name: 'relu', tier: 'T1', run: relu, f: (x) => (Number.isNaN(x) ? x : Math.max(x, 0)), domain: FULL, int: { domain: SMALL_INTS, result: 'int32' },
    extremes: [NaN, -INF, INF, -0, -1e-30, 2],
  },
  {
    name: 'leakyRelu', tier: 'T1', run: (x) => leakyRelu(x), f: (x) => (x > 0 ? x : 0.01 * x), domain: FULL,
    extremes: [NaN, -INF, INF, -100, 0, 5],
    extra: (random) => [
      unarySample('negativeSlope 0.2', randomRef(random, [3, 4]), 'contiguous', (x) => leakyRelu(x, 0.2), (x) => (x > 0 ? x : 0.2 * x), 'float32'),
    ],
  },
  {
    name: 'gelu', tier: 'T2', run: gelu, f: (x) => 0.5 * x * (1 + erfReference(x / Math.SQRT2)), domain: [-4, 4],
    extremes: [NaN, INF, 0, -10, 10, -3, 1e-10],
  },
  {
    name: 'softplus', tier: 'T2', run: softplus, f: (x) => Math.log1p(Math.exp(x)), domain: [-8, 8],
    extremes: [100, -100, INF, -INF, NaN, 0, 20, -20],
  },
  {
    name: 'elu', tier: 'T2', run: (x) => elu(x), f: (x) => (x > 0 ? x : Math.exp(x) - 1), domain: FULL,
    extremes: [-INF, INF, NaN, -100, -1e-10, 0, 3],
    extra: (random) => [
      unarySample('alpha 0.5', randomRef(random, [3, 4]), 'contiguous', (x) => elu(x, 0.5), (x) => (x > 0 ? x : 0.5 * Math.expm1(x)), 'float32'),
    ],
  },
  {
    name: 'silu', tier: 'T2', run: silu, f: (x) => x / (1 + Math.exp(-x)), domain: [-8, 8],
    extremes: [100, -100, INF, NaN, 0, -20],
  },
  {
    name: 'erf', tier: 'T2', run: erf, f: erfReference, domain: FULL, int: { domain: SMALL_INTS, result: 'float32' },
    extremes: [0, INF, -INF, NaN, 1e-10, 3, -5, 0.5, 6, -10],
  },
  {
    name: 'floor', tier: 'T1', run: floor, f: Math.floor, domain: [-5, 5], int: { domain: SMALL_INTS, result: 'int32' },
    extremes: [-0.5, 0.5, -INF, INF, NaN, 1e10, -2, 2.999999],
  },
  {
    name: 'ceil', tier: 'T1', run: ceil, f: Math.ceil, domain: [-5, 5], int: { domain: SMALL_INTS, result: 'int32' },
    extremes: [-0.5, 0.5, -INF, INF, NaN, 1e10, -2, 2.000001],
  },
  {
    name: 'round', tier: 'T1', run: round, f: roundHalfEvenReference, domain: [-5, 5], int: { domain: SMALL_INTS, result: 'int32' },
    extremes: [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 0.49999997, -0.49999997, 1.4999999, INF, -INF, NaN, 8388609, 4194304.5],
  },
  {
    name: 'logicalNot', tier: 'T1', run: logicalNot, f: (x) => (x === 0 ? 1 : 0), domain: [-1.5, 1.5], floatResult: 'bool',
    int: { domain: [-1, 2], result: 'bool' }, extremes: [0, -0, NaN, 2, INF, -INF, 1e-30],
    extra: (random) => [
      unarySample('bool [3,4]', randomRef(random, [3, 4], 'bool'), 'contiguous', logicalNot, (x) => (x === 0 ? 1 : 0), 'bool'),
      unarySample('bool [3,4] transposed', randomRef(random, [3, 4], 'bool'), 'transposed', logicalNot, (x) => (x === 0 ? 1 : 0), 'bool'),
    ],
  },
  {
    name: 'clamp', tier: 'T1', run: (x) => clamp(x, -1, 1), f: (x) => (Number.isNaN(x) ? x : Math.min(Math.max(x, -1), 1)), domain: FULL,
    int: { domain: SMALL_INTS, result: 'int32' }, extremes: [NaN, INF, -INF, -1, 1, 0.5, -0],
    extra: (random) => {
      const clampReference = (min: number, max: number) => (x: number): number => (Number.isNaN(x) ? x : Math.min(Math.max(x, min), max));
      return [
        unarySample('min only (0.5)', randomRef(random, [3, 4]), 'contiguous', (x) => clamp(x, 0.5), clampReference(0.5, Infinity), 'float32'),
        unarySample('max only (-0.5)', randomRef(random, [3, 4]), 'transposed', (x) => clamp(x, undefined, -0.5), clampReference(-Infinity, -0.5), 'float32'),
        // As in PyTorch: min > max makes every element max.
        unarySample('min 1 > max -1 gives max', randomRef(random, [5]), 'contiguous', (x) => clamp(x, 1, -1), () => -1, 'float32'),
        // PyTorch promotes integer input with floating bounds (torch.clamp(int_tensor, min=-1.5) is float).
        unarySample(
          'int32 with bounds -1.5, 2.5 gives float32', randomRef(random, [3, 4], 'int32', -4, 5), 'contiguous',
          (x) => clamp(x, -1.5, 2.5), clampReference(-1.5, 2.5), 'float32',
        ),
      ];
    },
    errors: () => [
      { name: 'no bounds', inputs: [{ value: ref([3], [1, 2, 3]) }], run: ([x]) => clamp(x), kind: 'ValueError', message: 'at least one of min and max' },
    ],
  },
];

/** One spec per unary op exported by core. */
export const unarySpecs: OpSpec[] = CASES.map(unarySpec);
