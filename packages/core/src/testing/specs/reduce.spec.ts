import type { DType } from '../../dtype.js';
import { all, any, argmax, argmin, logsumexp, max, mean, min, prod, std, sum, variance, type Tensor } from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { coordsOf, flatOf, randomRef, ref } from '../reference.js';

// ── Independent float64 references ─────────────────────────────────────────

type Dims = number | readonly number[] | undefined;

/** The reduced dims of a `shape`, as sorted non-negative indices (all when `dims` is undefined). */
function resolveDims(dims: Dims, ndim: number): number[] {
  if (dims === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : [...dims];
  return list.map((d) => (d < 0 ? d + Math.max(ndim, 1) : d)).filter((d) => d < ndim).sort((a, b) => a - b);
}

/**
 * Groups the elements of `x` by their coordinates outside `dims` (each group in
 * row-major order) and folds every group with `fold`.
 */
function reduceReference(x: ReferenceTensor, dims: Dims, keepdim: boolean, dtype: DType, fold: (values: number[]) => number): ReferenceTensor {
  const reduced = resolveDims(dims, x.shape.length);
  const kept = x.shape.map((size, d) => (reduced.includes(d) ? 1 : size));
  const groups: number[][] = Array.from({ length: kept.reduce((p, d) => p * d, 1) }, () => []);
  for (let i = 0; i < x.data.length; i++) {
    const coords = coordsOf(i, x.shape).map((c, d) => (reduced.includes(d) ? 0 : c));
    groups[flatOf(coords, kept)].push(x.data[i]);
  }
  const shape = keepdim ? kept : x.shape.filter((_, d) => !reduced.includes(d));
  return { shape, data: Float64Array.from(groups.map(fold)), dtype };
}

const total = (values: number[]): number => {
  let s = 0;
  for (const v of values) s += v;
  return s;
};

const product = (values: number[]): number => {
  let p = 1;
  for (const v of values) p *= v;
  return p;
};

// NaN wins, as in PyTorch.
const largest = (values: number[]): number => {
  let m = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
};

const smallest = (values: number[]): number => {
  let m = Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) return NaN;
    if (v < m) m = v;
  }
  return m;
};

// Index of the first NaN, else of the first largest (smallest) value.
function indexOfExtreme(values: number[], better: (a: number, b: number) => boolean): number {
  let best = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) return i;
    if (better(values[i], values[best])) best = i;
  }
  return best;
}

function varianceOf(values: number[], correction: number): number {
  const n = values.length;
  const centre = total(values) / n;
  let squares = 0;
  for (const v of values) squares += (v - centre) * (v - centre);
  // torch.var divides by max(0, N − correction): 0/0 gives NaN.
  return squares / Math.max(n - correction, 0);
}

function logSumExpOf(values: number[]): number {
  const m = largest(values);
  if (!Number.isFinite(m)) return m; // NaN, all −∞ (and the empty set), or a +∞ term
  let s = 0;
  for (const v of values) s += Math.exp(v - m);
  return m + Math.log(s);
}

/** The dtype a sum or product returns: bool counts in int32. */
const accumulated = (dtype: DType): DType => (dtype === 'bool' ? 'int32' : dtype);

// ── Samples ────────────────────────────────────────────────────────────────

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

/** The layouts that change the strides of `shape` (see Layout). */
function layoutsFor(shape: readonly number[]): Layout[] {
  const layouts: Layout[] = ['contiguous'];
  const n = shape.length;
  if (n >= 2 && shape[n - 1] > 1 && shape[n - 2] > 1) layouts.push('transposed');
  if (n >= 1 && shape[n - 1] !== 1) layouts.push('strided');
  if (shape.every((d) => d > 0)) layouts.push('offset');
  return layouts;
}

interface Reduction {
  readonly dims: Dims;
  readonly keepdim: boolean;
}

/** The reductions each shape is checked with: all dims, one, a negative one, several; keepdim both ways. */
function reductionsFor(shape: readonly number[]): Reduction[] {
  switch (shape.length) {
    case 0:
      return [{ dims: undefined, keepdim: false }, { dims: undefined, keepdim: true }, { dims: 0, keepdim: false }, { dims: -1, keepdim: true }];
    case 1:
      return [{ dims: undefined, keepdim: false }, { dims: undefined, keepdim: true }, { dims: 0, keepdim: false }, { dims: -1, keepdim: true }];
    case 2:
      return [
        { dims: undefined, keepdim: false }, { dims: 0, keepdim: false }, { dims: 1, keepdim: true }, { dims: -1, keepdim: false },
        { dims: [0, 1], keepdim: false }, { dims: [-1, 0], keepdim: true },
      ];
    default:
      return [
        { dims: undefined, keepdim: false }, { dims: undefined, keepdim: true }, { dims: 1, keepdim: false }, { dims: -1, keepdim: true },
        { dims: [0, 2], keepdim: false }, { dims: [0, 2], keepdim: true }, { dims: [-1, -2], keepdim: false },
      ];
  }
}

const describeDims = (dims: Dims): string => (dims === undefined ? 'all dims' : typeof dims === 'number' ? `dim ${dims}` : `dims [${dims.join(',')}]`);
const describeShape = (shape: readonly number[]): string => `[${shape.join(',')}]`;

const SHAPES: readonly (readonly number[])[] = [[], [0], [1], [5], [3, 4], [2, 3, 4], [3, 0], [0, 3]];

/** A reduction op: how to run it over dims and how its reference folds a group of values. */
interface ReduceCase {
  readonly name: string;
  readonly run: (x: Tensor, dims: Dims, keepdim: boolean) => Tensor;
  readonly fold: (values: number[]) => number;
  readonly dtype: (input: DType) => DType;
  /** Whether the op throws on a reduction over a size-0 dim (max, min). */
  readonly needsElements?: boolean;
  /** Whether `dims` is a single dim or all (argmax, argmin). */
  readonly singleDim?: boolean;
  /** Other dtypes to check on a [3,4] input. */
  readonly otherDTypes?: readonly DType[];
}

function reductionSample(c: ReduceCase, x: ReferenceTensor, layout: Layout, r: Reduction): OpSample {
  return {
    name: `${describeShape(x.shape)} ${x.dtype} ${layout}, ${describeDims(r.dims)}${r.keepdim ? ', keepdim' : ''}`,
    inputs: [input(x, layout)],
    run: ([t]) => c.run(t, r.dims, r.keepdim),
    reference: ([t]) => reduceReference(t, r.dims, r.keepdim, c.dtype(t.dtype), c.fold),
  };
}

function wouldReduceEmpty(shape: readonly number[], dims: Dims): boolean {
  return resolveDims(dims, shape.length).some((d) => shape[d] === 0);
}

function standardSamples(c: ReduceCase, random: () => number): OpSample[] {
  const samples: OpSample[] = [];
  for (const shape of SHAPES) {
    for (const layout of layoutsFor(shape)) {
      for (const r of reductionsFor(shape)) {
        if (c.singleDim && Array.isArray(r.dims)) continue;
        if (c.needsElements && wouldReduceEmpty(shape, r.dims)) continue;
        // Arg-reductions of a tensor with no elements throw, whatever the dim.
        if (c.singleDim && shape.includes(0)) continue;
        samples.push(reductionSample(c, randomRef(random, shape), layout, r));
      }
    }
  }
  for (const dtype of c.otherDTypes ?? []) {
    const x = randomRef(random, [3, 4], dtype, -4, 5);
    samples.push(reductionSample(c, x, 'contiguous', { dims: undefined, keepdim: false }));
    samples.push(reductionSample(c, x, 'transposed', { dims: 0, keepdim: false }));
    samples.push(reductionSample(c, x, 'strided', { dims: -1, keepdim: true }));
  }
  return samples;
}

const byDims = (reduction: (x: Tensor, dims?: number | readonly number[], keepdim?: boolean) => Tensor) =>
  (x: Tensor, dims: Dims, keepdim: boolean): Tensor => reduction(x, dims, keepdim);

const byDim = (reduction: (x: Tensor, dim?: number, keepdim?: boolean) => Tensor) =>
  (x: Tensor, dims: Dims, keepdim: boolean): Tensor => reduction(x, dims as number | undefined, keepdim);

const floatOrSame = (dtype: DType): DType => (dtype === 'int32' || dtype === 'bool' ? 'float32' : dtype);

const SUM: ReduceCase = { name: 'sum', run: byDims(sum), fold: total, dtype: accumulated, otherDTypes: ['int32', 'bool', 'float64'] };
// Unlike PyTorch (which raises), an integer mean is computed as float32.
const MEAN: ReduceCase = { name: 'mean', run: byDims(mean), fold: (v) => total(v) / v.length, dtype: floatOrSame, otherDTypes: ['int32', 'float64'] };
const PROD: ReduceCase = { name: 'prod', run: byDims(prod), fold: product, dtype: accumulated, otherDTypes: ['int32', 'bool'] };
const MAX: ReduceCase = { name: 'max', run: byDims(max), fold: largest, dtype: (d) => d, needsElements: true, otherDTypes: ['int32', 'float64'] };
const MIN: ReduceCase = { name: 'min', run: byDims(min), fold: smallest, dtype: (d) => d, needsElements: true, otherDTypes: ['int32'] };
const ALL: ReduceCase = { name: 'all', run: byDims(all), fold: (v) => Number(v.every((x) => x !== 0)), dtype: () => 'bool', otherDTypes: ['bool', 'int32'] };
const ANY: ReduceCase = { name: 'any', run: byDims(any), fold: (v) => Number(v.some((x) => x !== 0)), dtype: () => 'bool', otherDTypes: ['bool', 'int32'] };
const ARGMAX: ReduceCase = {
  name: 'argmax', run: byDim(argmax), fold: (v) => indexOfExtreme(v, (a, b) => a > b), dtype: () => 'int32', singleDim: true, otherDTypes: ['int32', 'bool'],
};
const ARGMIN: ReduceCase = {
  name: 'argmin', run: byDim(argmin), fold: (v) => indexOfExtreme(v, (a, b) => a < b), dtype: () => 'int32', singleDim: true, otherDTypes: ['int32'],
};
const LOGSUMEXP: ReduceCase = {
  name: 'logsumexp',
  // logsumexp takes no "all dims" default: name every dim (dim 0 of a 0-d tensor).
  run: (x, dims, keepdim) => logsumexp(x, dims ?? (x.ndim === 0 ? 0 : x.shape.map((_, i) => i)), keepdim),
  fold: logSumExpOf,
  dtype: floatOrSame,
  otherDTypes: ['float64'],
};

function varianceCase(name: 'var' | 'std', correction: number): ReduceCase {
  const op = name === 'var' ? variance : std;
  return {
    name,
    run: (x, dims, keepdim) => op(x, dims, { correction, keepdim }),
    fold: name === 'var' ? (v) => varianceOf(v, correction) : (v) => Math.sqrt(varianceOf(v, correction)),
    dtype: floatOrSame,
    otherDTypes: ['float64'],
  };
}

// ── Special values ─────────────────────────────────────────────────────────

const NAN = NaN;
const INF = Infinity;

function specialSample(c: ReduceCase, name: string, x: ReferenceTensor, dims: Dims = undefined, keepdim = false, layout: Layout = 'contiguous'): OpSample {
  return { ...reductionSample(c, x, layout, { dims, keepdim }), name };
}

/** Integer-valued floats in [low, high), so ties occur. */
function integerValued(random: () => number, shape: number[], low: number, high: number): ReferenceTensor {
  return { ...randomRef(random, shape, 'int32', low, high), dtype: 'float32' };
}

function extremeSpecials(c: ReduceCase, random: () => number): OpSample[] {
  const withNaN = ref([2, 4], [1, NAN, 3, NAN, -INF, 2, INF, 0]);
  return [
    specialSample(c, 'NaN inside [1,NaN,3,NaN] wins', ref([4], [1, NAN, 3, NAN])),
    specialSample(c, 'NaN in one row, dim 1', withNaN, 1),
    specialSample(c, 'NaN in one row, dim 0, strided', withNaN, 0, false, 'strided'),
    specialSample(c, 'infinities', ref([4], [-INF, 2, INF, -3])),
    specialSample(c, 'ties of integer values, dim 1', integerValued(random, [4, 6], -2, 3), 1),
    specialSample(c, 'ties of integer values, dim 0, transposed', integerValued(random, [4, 6], -2, 3), 0, false, 'transposed'),
    specialSample(c, 'ties of integer values, all dims', integerValued(random, [4, 6], -2, 3)),
  ];
}

function longSum(c: ReduceCase, random: () => number): OpSample[] {
  return [
    { ...specialSample(c, '100 000 values', randomRef(random, [100_000])), tier: 'T3' },
    { ...specialSample(c, '100 000 values in [0, 1)', randomRef(random, [100_000], 'float32', 0, 1)), tier: 'T3' },
    { ...specialSample(c, '[4, 25 000] over dim 1, transposed', randomRef(random, [4, 25_000]), 1, false, 'transposed'), tier: 'T3' },
  ];
}

function reduceSpec(c: ReduceCase, extra: (random: () => number) => OpSample[], errors: (random: () => number) => OpErrorCase[]): OpSpec {
  return {
    name: c.name,
    tier: 'T3',
    samples: (random) => [...standardSamples(c, random), ...extra(random)],
    errors,
  };
}

function errorCase(name: string, value: ReferenceTensor, run: (x: Tensor) => unknown, kind: OpErrorCase['kind'], message: string): OpErrorCase {
  return { name, inputs: [input(value)], run: ([x]) => run(x), kind, message };
}

function dimErrors(c: ReduceCase): (random: () => number) => OpErrorCase[] {
  return (random) => [
    errorCase('dim 2 of a [3,4] tensor', randomRef(random, [3, 4]), (x) => c.run(x, 2, false), 'IndexError', 'out of range'),
    errorCase('dim -3 of a [3,4] tensor', randomRef(random, [3, 4]), (x) => c.run(x, -3, false), 'IndexError', 'out of range'),
    errorCase('dim 1 of a 0-d tensor', randomRef(random, []), (x) => c.run(x, 1, false), 'IndexError', 'out of range'),
  ];
}

function emptyErrors(c: ReduceCase, what: string): (random: () => number) => OpErrorCase[] {
  return (random) => [
    ...dimErrors(c)(random),
    errorCase(`${c.name} of [0]`, ref([0], []), (x) => c.run(x, undefined, false), 'ValueError', what),
    errorCase(`${c.name} over the size-0 dim of [2,0]`, ref([2, 0], []), (x) => c.run(x, 1, false), 'ValueError', what),
    errorCase(`${c.name} of [0,3] over dim 0`, ref([0, 3], []), (x) => c.run(x, 0, false), 'ValueError', what),
  ];
}

function emptyIdentities(c: ReduceCase, expected: string): (random: () => number) => OpSample[] {
  return () => [specialSample(c, `[0] gives ${expected}`, ref([0], [])), specialSample(c, `[0] bool gives ${expected}`, ref([0], [], 'bool'))];
}

function logsumexpSpecials(c: ReduceCase, random: () => number): OpSample[] {
  return [
    specialSample(c, '[1000, 1000] gives 1000 + ln 2', ref([2], [1000, 1000])),
    specialSample(c, '[-1000, -1000] gives -1000 + ln 2', ref([2], [-1000, -1000])),
    specialSample(c, 'rows of large values, dim 1', ref([2, 3], [1000, 1001, 1002, -1000, -1001, -1002]), 1),
    specialSample(c, 'all −∞ gives −∞', ref([3], [-INF, -INF, -INF])),
    specialSample(c, 'one row all −∞, dim 1', ref([2, 2], [-INF, -INF, 0, 1]), 1),
    specialSample(c, 'some −∞', ref([3], [-INF, 0, 1])),
    specialSample(c, '+∞ gives +∞', ref([3], [INF, 0, 1])),
    specialSample(c, 'NaN gives NaN', ref([3], [NAN, 0, 1])),
    specialSample(c, '[0] gives −∞', ref([0], [])),
    specialSample(c, '[2,0] over dim 1 gives −∞', ref([2, 0], []), 1),
    ...longSum(c, random).map((s) => ({ ...s, name: `logsumexp of ${s.name}` })),
  ];
}

function varianceSpec(name: 'var' | 'std'): OpSpec {
  const cases = [0, 1].map((correction) => varianceCase(name, correction));
  const byDefault: ReduceCase = {
    ...cases[1],
    run: (x, dims, keepdim) => (name === 'var' ? variance : std)(x, dims, keepdim ? { keepdim } : undefined),
  };
  const named = (prefix: string, samples: OpSample[]): OpSample[] => samples.map((s) => ({ ...s, name: `${prefix}, ${s.name}` }));
  return {
    name,
    tier: 'T3',
    samples: (random) => [
      ...cases.flatMap((c, correction) => named(`correction ${correction}`, [
        ...standardSamples(c, random),
        specialSample(c, 'constant values', ref([4], [2.5, 2.5, 2.5, 2.5])),
        specialSample(c, 'large offset', ref([4], [1000.5, 1001, 1001.5, 1002])),
        specialSample(c, 'an infinity gives NaN', ref([3], [1, INF, 2])),
        { ...specialSample(c, '100 000 values', randomRef(random, [100_000])), tier: 'T3' },
      ])),
      ...named('default correction (1)', [
        specialSample(byDefault, '[3,4] all dims', randomRef(random, [3, 4])),
        specialSample(byDefault, '[3,4] dim 1, keepdim', randomRef(random, [3, 4]), 1, true),
      ]),
    ],
    errors: dimErrors(cases[1]),
  };
}

export const reduceSpecs: OpSpec[] = [
  reduceSpec(SUM, (random) => [...emptyIdentities(SUM, '0')(random), ...longSum(SUM, random)], dimErrors(SUM)),
  reduceSpec(MEAN, (random) => [specialSample(MEAN, '[0] gives NaN', ref([0], [])), ...longSum(MEAN, random)], dimErrors(MEAN)),
  reduceSpec(PROD, (random) => [
    ...emptyIdentities(PROD, '1')(random),
    specialSample(PROD, 'a zero and an infinity give NaN', ref([3], [0, INF, 2])),
    specialSample(PROD, 'int32 with negatives', ref([4], [-2, 3, -1, 5], 'int32')),
  ], dimErrors(PROD)),
  reduceSpec(MAX, (random) => extremeSpecials(MAX, random), emptyErrors(MAX, 'size 0')),
  reduceSpec(MIN, (random) => extremeSpecials(MIN, random), emptyErrors(MIN, 'size 0')),
  reduceSpec(ALL, () => [
    specialSample(ALL, '[0] gives true', ref([0], [])),
    specialSample(ALL, '[0] bool gives true', ref([0], [], 'bool')),
    specialSample(ALL, '[2,0] over dim 1 gives true', ref([2, 0], []), 1),
    specialSample(ALL, 'NaN and -0 (NaN is true, -0 is false)', ref([2, 2], [NAN, 1, -0, 1]), 1),
  ], dimErrors(ALL)),
  reduceSpec(ANY, () => [
    specialSample(ANY, '[0] gives false', ref([0], [])),
    specialSample(ANY, '[0] bool gives false', ref([0], [], 'bool')),
    specialSample(ANY, '[2,0] over dim 1 gives false', ref([2, 0], []), 1),
    specialSample(ANY, 'NaN and -0 (NaN is true, -0 is false)', ref([2, 2], [NAN, 0, -0, 0]), 1),
  ], dimErrors(ANY)),
  reduceSpec(ARGMAX, (random) => [
    ...extremeSpecials(ARGMAX, random),
    specialSample(ARGMAX, 'ties give the first index', ref([5], [1, 3, 3, 2, 3])),
    specialSample(ARGMAX, 'first NaN after a larger value', ref([5], [7, 1, NAN, 9, NAN])),
  ], emptyErrors(ARGMAX, 'empty')),
  reduceSpec(ARGMIN, (random) => [
    ...extremeSpecials(ARGMIN, random),
    specialSample(ARGMIN, 'ties give the first index', ref([5], [2, 1, 1, 3, 1])),
    specialSample(ARGMIN, 'first NaN after a smaller value', ref([5], [-7, 1, NAN, -9, NAN])),
  ], emptyErrors(ARGMIN, 'empty')),
  varianceSpec('var'),
  varianceSpec('std'),
  reduceSpec(LOGSUMEXP, (random) => logsumexpSpecials(LOGSUMEXP, random), dimErrors(LOGSUMEXP)),
];
