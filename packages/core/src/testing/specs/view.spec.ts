import type { DType } from '../../dtype.js';
import {
  chunk, clone, contiguous, expand, flatten, narrow, permute, reshape, select, slice, split, squeeze, t, transpose, unsqueeze, view,
  type Tensor,
} from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { broadcastAt, coordsOf, flatOf, randomRef } from '../reference.js';

// ── Independent float64 references ─────────────────────────────────────────

const sizeOfShape = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** The same row-major values in another shape (reshape, view, flatten, squeeze, unsqueeze). */
function reshaped(x: ReferenceTensor, shape: readonly number[]): ReferenceTensor {
  if (sizeOfShape(shape) !== x.data.length) throw new Error(`reference: shape [${shape.join(',')}] does not hold ${x.data.length} values`);
  return { shape: [...shape], data: Float64Array.from(x.data), dtype: x.dtype };
}

/** Resolves one -1 in `shape` against `size` elements. */
function inferred(shape: readonly number[], size: number): number[] {
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  return shape.map((d) => (d === -1 ? size / known : d));
}

/** `out[c] = x[c']` with `c'[order[k]] = c[k]`. */
function permuted(x: ReferenceTensor, order: readonly number[]): ReferenceTensor {
  const shape = order.map((d) => x.shape[d]);
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < data.length; i++) {
    const c = coordsOf(i, shape);
    const source = new Array<number>(x.shape.length);
    order.forEach((d, k) => { source[d] = c[k]; });
    data[i] = x.data[flatOf(source, x.shape)];
  }
  return { shape, data, dtype: x.dtype };
}

/** The entries at positions `indices` along `dim`, in that order. */
function taken(x: ReferenceTensor, dim: number, indices: readonly number[]): ReferenceTensor {
  const shape = x.shape.map((size, d) => (d === dim ? indices.length : size));
  const data = new Float64Array(sizeOfShape(shape));
  for (let i = 0; i < data.length; i++) {
    const c = coordsOf(i, shape);
    c[dim] = indices[c[dim]];
    data[i] = x.data[flatOf(c, x.shape)];
  }
  return { shape, data, dtype: x.dtype };
}

/** Python's `range(*slice(start, end, step).indices(size))` for a positive step. */
function sliceIndices(size: number, start: number | undefined, end: number | undefined, step: number): number[] {
  const bound = (i: number | undefined, fallback: number): number => {
    if (i === undefined) return fallback;
    const j = i < 0 ? i + size : i;
    return Math.min(Math.max(j, 0), size);
  };
  const out: number[] = [];
  for (let i = bound(start, 0); i < bound(end, size); i += step) out.push(i);
  return out;
}

const range = (from: number, length: number): number[] => Array.from({ length }, (_, i) => from + i);
const positive = (dim: number, ndim: number): number => (dim < 0 ? dim + ndim : dim);

function expanded(x: ReferenceTensor, target: readonly number[]): ReferenceTensor {
  const lead = target.length - x.shape.length;
  const shape = target.map((d, i) => (d === -1 ? x.shape[i - lead] : d));
  const data = new Float64Array(sizeOfShape(shape));
  for (let i = 0; i < data.length; i++) data[i] = broadcastAt(x, coordsOf(i, shape));
  return { shape, data, dtype: x.dtype };
}

/** Size-1 dims removed: all, or those of `dims` (other named dims stay). */
function squeezed(x: ReferenceTensor, dims?: readonly number[]): ReferenceTensor {
  const named = dims?.map((d) => positive(d, x.shape.length));
  return reshaped(x, x.shape.filter((size, d) => !(size === 1 && (named === undefined || named.includes(d)))));
}

// ── Samples ────────────────────────────────────────────────────────────────

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });
const shapeText = (shape: readonly number[]): string => `[${shape.join(',')}]`;

type Sampler = (random: () => number) => OpSample[];
type ErrorSampler = (random: () => number) => OpErrorCase[];

/** A one-input sample: `op(x)` against `expected(x)`. */
function unary(
  name: string,
  value: ReferenceTensor,
  layout: Layout,
  run: (x: Tensor) => Tensor | readonly Tensor[],
  expected: (x: ReferenceTensor) => ReferenceTensor | readonly ReferenceTensor[],
): OpSample {
  return { name: `${shapeText(value.shape)} ${layout}${value.dtype === 'float32' ? '' : ` ${value.dtype}`}, ${name}`, inputs: [input(value, layout)], run: ([x]) => run(x), reference: ([x]) => expected(x) };
}

function failing(name: string, value: ReferenceTensor, run: (x: Tensor) => unknown, kind: OpErrorCase['kind'], message: string, layout: Layout = 'contiguous'): OpErrorCase {
  return { name, inputs: [input(value, layout)], run: ([x]) => run(x), kind, message };
}

function spec(name: string, samples: Sampler, errors?: ErrorSampler): OpSpec {
  return { name, tier: 'T1', samples, errors };
}

const reshapeSamples = (op: typeof reshape): Sampler => (random) => {
  const r = (shape: number[], dtype: DType = 'float32'): ReferenceTensor => randomRef(random, shape, dtype);
  const to = (x: ReferenceTensor, layout: Layout, shape: number[]): OpSample =>
    unary(`to ${shapeText(shape)}`, x, layout, (tensor) => op(tensor, shape), (v) => reshaped(v, inferred(shape, v.data.length)));
  return [
    to(r([3, 4]), 'contiguous', [4, 3]),
    to(r([3, 4]), 'contiguous', [2, -1]),
    to(r([3, 4]), 'offset', [-1]),
    to(r([2, 3, 4]), 'contiguous', [6, 4]),
    to(r([2, 3, 4]), 'offset', [2, 12]),
    to(r([2, 3, 4]), 'contiguous', [4, -1, 2]),
    to(r([]), 'contiguous', [1, 1]),
    to(r([]), 'offset', [-1]),
    to(r([1]), 'contiguous', []),
    to(r([5]), 'contiguous', [5, 1]),
    to(r([5]), 'contiguous', [1, 5, 1]),
    to(r([0, 3]), 'contiguous', [3, 0]),
    to(r([0, 3]), 'contiguous', [0]),
    to(randomRef(random, [2, 3], 'int32', -9, 9), 'contiguous', [3, 2]),
    to(r([2, 3], 'bool'), 'contiguous', [6]),
    // Strides [8, 2] merge into one dim of stride 2, and [24, 8, 2] likewise: still views.
    to(r([3, 4]), 'strided', [12]),
    to(r([2, 3, 4]), 'strided', [4, 6]),
    // Splitting the stride-3 dim of a transposed [3,4] ([1,3]) is a view too.
    to(r([3, 4]), 'transposed', [3, 2, 2]),
    ...(op === reshape ? [
      // These need a copy: reshape makes one, view refuses (see the errors).
      to(r([3, 4]), 'transposed', [12]),
      to(r([3, 4]), 'transposed', [2, 6]),
      to(r([2, 3, 4]), 'transposed', [-1]),
      to(r([2, 3, 4]), 'transposed', [6, 4])
    ] : []),
  ];
};

const reshapeErrors = (op: typeof reshape): ErrorSampler => (random) => [
  failing('two -1 sizes', randomRef(random, [3, 4]), (x) => op(x, [-1, -1]), 'ShapeError', 'only one dimension can be -1'),
  failing('[3,4] to [5,2]', randomRef(random, [3, 4]), (x) => op(x, [5, 2]), 'ShapeError', 'invalid for input of size 12'),
  failing('[3,4] to [5,-1]', randomRef(random, [3, 4]), (x) => op(x, [5, -1]), 'ShapeError', 'invalid for input of size 12'),
  failing('a negative size', randomRef(random, [3, 4]), (x) => op(x, [-2, -6]), 'ValueError', 'invalid size'),
  ...(op === view ? [
    failing('view of a transposed [3,4] as [12]', randomRef(random, [3, 4]), (x) => view(x, [12]), 'ShapeError', 'reshape', 'transposed'),
    failing('view of a transposed [2,3,4] as [6,4]', randomRef(random, [2, 3, 4]), (x) => view(x, [6, 4]), 'ShapeError', 'reshape', 'transposed'),
  ] : []),
];

const flattenSamples: Sampler = (random) => {
  const r = (shape: number[]): ReferenceTensor => randomRef(random, shape);
  const merged = (x: ReferenceTensor, start: number, end: number): ReferenceTensor => {
    if (x.shape.length === 0) return reshaped(x, [1]);
    const s = positive(start, x.shape.length);
    const e = positive(end, x.shape.length);
    return reshaped(x, [...x.shape.slice(0, s), sizeOfShape(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
  };
  const case_ = (x: ReferenceTensor, layout: Layout, start?: number, end?: number): OpSample =>
    unary(`flatten(${start ?? ''}${end === undefined ? '' : `, ${end}`})`, x, layout, (v) => flatten(v, start, end), (v) => merged(v, start ?? 0, end ?? -1));
  return [
    case_(r([2, 3, 4]), 'contiguous'),
    case_(r([2, 3, 4]), 'transposed'),
    case_(r([2, 3, 4]), 'contiguous', 1),
    case_(r([2, 3, 4]), 'transposed', 1),
    case_(r([2, 3, 4]), 'strided', 0, 1),
    case_(r([2, 3, 4]), 'offset', -2, -1),
    case_(r([2, 3, 4]), 'contiguous', 1, 1),
    case_(r([2, 3, 4, 5]), 'transposed', 1, 2),
    case_(r([]), 'contiguous'),
    case_(r([5]), 'strided'),
    case_(r([2, 0, 3]), 'contiguous'),
  ];
};

const flattenErrors: ErrorSampler = (random) => [
  failing('startDim after endDim', randomRef(random, [2, 3, 4]), (x) => flatten(x, 2, 1), 'ValueError', 'startDim'),
  failing('endDim out of range', randomRef(random, [2, 3, 4]), (x) => flatten(x, 0, 3), 'IndexError', 'out of range'),
];

const squeezeSamples: Sampler = (random) => {
  const x = (): ReferenceTensor => randomRef(random, [1, 3, 1, 4]);
  const case_ = (value: ReferenceTensor, layout: Layout, dims?: number | number[]): OpSample => {
    const list = dims === undefined ? undefined : typeof dims === 'number' ? [dims] : dims;
    return unary(`squeeze(${list === undefined ? '' : shapeText(list)})`, value, layout, (v) => squeeze(v, dims), (v) => squeezed(v, list));
  };
  return [
    case_(x(), 'contiguous'),
    case_(x(), 'strided'),
    case_(randomRef(random, [1, 3, 4]), 'transposed'),
    case_(randomRef(random, [1, 3, 4]), 'transposed', 0),
    case_(x(), 'offset', 2),
    case_(x(), 'contiguous', 0),
    case_(x(), 'contiguous', -4),
    case_(x(), 'strided', -2),
    case_(x(), 'contiguous', 1), // a dim that isn't 1 stays
    case_(x(), 'contiguous', [0, 2]),
    case_(x(), 'contiguous', [1, 2]),
    case_(randomRef(random, []), 'contiguous'),
    case_(randomRef(random, [1]), 'contiguous'),
    case_(randomRef(random, [1, 1]), 'contiguous', 0),
    case_(randomRef(random, [1, 0, 1]), 'contiguous'),
  ];
};

const squeezeErrors: ErrorSampler = (random) => [
  failing('dim 4 of a 4-D tensor', randomRef(random, [1, 3, 1, 4]), (x) => squeeze(x, 4), 'IndexError', 'out of range'),
];

const unsqueezeSamples: Sampler = (random) => {
  const case_ = (value: ReferenceTensor, layout: Layout, dim: number): OpSample => {
    const d = positive(dim, value.shape.length + 1);
    return unary(`unsqueeze(${dim})`, value, layout, (v) => unsqueeze(v, dim), (v) => reshaped(v, [...v.shape.slice(0, d), 1, ...v.shape.slice(d)]));
  };
  const x = (): ReferenceTensor => randomRef(random, [3, 4]);
  return [
    case_(x(), 'contiguous', 0),
    case_(x(), 'transposed', 1),
    case_(x(), 'strided', 2),
    case_(x(), 'offset', -1),
    case_(x(), 'transposed', -2),
    case_(x(), 'contiguous', -3),
    case_(randomRef(random, []), 'contiguous', 0),
    case_(randomRef(random, []), 'offset', -1),
    case_(randomRef(random, [0, 2]), 'contiguous', 1),
  ];
};

const unsqueezeErrors: ErrorSampler = (random) => [
  failing('dim 3 of a 2-D tensor', randomRef(random, [3, 4]), (x) => unsqueeze(x, 3), 'IndexError', 'out of range'),
  failing('dim -4 of a 2-D tensor', randomRef(random, [3, 4]), (x) => unsqueeze(x, -4), 'IndexError', 'out of range'),
];

function swapOrder(ndim: number, a: number, b: number): number[] {
  const order = Array.from({ length: ndim }, (_, i) => i);
  if (ndim === 0) return order; // PyTorch accepts dims 0 and -1 of a 0-d tensor: nothing moves
  const [p, q] = [positive(a, ndim), positive(b, ndim)];
  [order[p], order[q]] = [order[q], order[p]];
  return order;
}

const transposeSamples: Sampler = (random) => {
  const case_ = (value: ReferenceTensor, layout: Layout, a: number, b: number): OpSample =>
    unary(`transpose(${a}, ${b})`, value, layout, (v) => transpose(v, a, b), (v) => permuted(v, swapOrder(v.shape.length, a, b)));
  return [
    case_(randomRef(random, [3, 4]), 'contiguous', 0, 1),
    case_(randomRef(random, [3, 4]), 'transposed', 0, 1),
    case_(randomRef(random, [3, 4]), 'strided', 1, 0),
    case_(randomRef(random, [2, 3, 4]), 'contiguous', 0, 2),
    case_(randomRef(random, [2, 3, 4]), 'offset', -1, -2),
    case_(randomRef(random, [2, 3, 4]), 'transposed', 0, 1),
    case_(randomRef(random, [2, 3, 4]), 'contiguous', 1, 1),
    case_(randomRef(random, [5]), 'strided', 0, -1),
    case_(randomRef(random, []), 'contiguous', 0, -1),
    case_(randomRef(random, [0, 3]), 'contiguous', 0, 1),
    case_(randomRef(random, [3, 4], 'int32', -9, 9), 'contiguous', 0, 1),
  ];
};

const transposeErrors: ErrorSampler = (random) => [
  failing('dim 2 of a 2-D tensor', randomRef(random, [3, 4]), (x) => transpose(x, 0, 2), 'IndexError', 'out of range'),
];

const tSamples: Sampler = (random) => {
  const case_ = (value: ReferenceTensor, layout: Layout): OpSample =>
    unary('t()', value, layout, (v) => t(v), (v) => (v.shape.length < 2 ? reshaped(v, v.shape) : permuted(v, [1, 0])));
  return [
    case_(randomRef(random, [3, 4]), 'contiguous'),
    case_(randomRef(random, [3, 4]), 'transposed'),
    case_(randomRef(random, [3, 4]), 'offset'),
    case_(randomRef(random, [1, 4]), 'contiguous'),
    case_(randomRef(random, [5]), 'strided'),
    case_(randomRef(random, []), 'contiguous'),
  ];
};

const tErrors: ErrorSampler = (random) => [
  failing('a 3-D tensor', randomRef(random, [2, 3, 4]), (x) => t(x), 'ShapeError', 'at most 2 dimensions'),
];

const permuteSamples: Sampler = (random) => {
  const case_ = (value: ReferenceTensor, layout: Layout, order: number[]): OpSample =>
    unary(`permute(${shapeText(order)})`, value, layout, (v) => permute(v, order), (v) => permuted(v, order.map((d) => positive(d, v.shape.length))));
  return [
    case_(randomRef(random, [2, 3, 4]), 'contiguous', [2, 0, 1]),
    case_(randomRef(random, [2, 3, 4]), 'transposed', [1, 2, 0]),
    case_(randomRef(random, [2, 3, 4]), 'strided', [-1, 0, 1]),
    case_(randomRef(random, [2, 3, 4]), 'offset', [0, 1, 2]),
    case_(randomRef(random, [2, 3, 4, 5]), 'contiguous', [3, 1, 0, 2]),
    case_(randomRef(random, [3, 4]), 'contiguous', [1, 0]),
    case_(randomRef(random, []), 'contiguous', []),
    case_(randomRef(random, [2, 0, 3]), 'contiguous', [2, 1, 0]),
  ];
};

const permuteErrors: ErrorSampler = (random) => [
  failing('too few dims', randomRef(random, [2, 3, 4]), (x) => permute(x, [1, 0]), 'ShapeError', 'permute'),
  failing('a repeated dim', randomRef(random, [2, 3, 4]), (x) => permute(x, [0, 0, 1]), 'ValueError', 'repeat'),
  failing('dim out of range', randomRef(random, [2, 3, 4]), (x) => permute(x, [0, 1, 3]), 'IndexError', 'out of range'),
];

const expandSamples: Sampler = (random) => {
  const case_ = (value: ReferenceTensor, layout: Layout, target: number[]): OpSample =>
    unary(`expand(${shapeText(target)})`, value, layout, (v) => expand(v, target), (v) => expanded(v, target));
  return [
    case_(randomRef(random, [3, 1]), 'contiguous', [3, 4]),
    case_(randomRef(random, [3, 1]), 'offset', [3, 5]),
    case_(randomRef(random, [3, 1]), 'strided', [2, 3, 4]),
    case_(randomRef(random, [3, 1]), 'contiguous', [-1, 4]),
    case_(randomRef(random, [3, 1]), 'contiguous', [2, -1, 4]),
    case_(randomRef(random, [1, 4]), 'contiguous', [3, 4]),
    case_(randomRef(random, [2, 1, 4]), 'strided', [2, 3, 4]),
    case_(randomRef(random, [3, 4]), 'transposed', [2, 3, 4]),
    case_(randomRef(random, [3, 4]), 'contiguous', [3, 4]),
    case_(randomRef(random, []), 'contiguous', [2, 3]),
    case_(randomRef(random, []), 'offset', [4]),
    case_(randomRef(random, [1]), 'contiguous', [0]),
    case_(randomRef(random, [1]), 'contiguous', [2, 0, 1]),
    case_(randomRef(random, [3, 1], 'int32', -9, 9), 'contiguous', [3, 4]),
  ];
};

const expandErrors: ErrorSampler = (random) => [
  failing('[3,2] to [3,4]', randomRef(random, [3, 2]), (x) => expand(x, [3, 4]), 'ShapeError', 'cannot expand'),
  failing('-1 in a new leading dim', randomRef(random, [3, 1]), (x) => expand(x, [-1, 3, 4]), 'ShapeError', 'cannot expand'),
  failing('fewer dims than the input', randomRef(random, [2, 3, 1]), (x) => expand(x, [3, 4]), 'ShapeError', 'expand'),
];

interface SliceArguments {
  readonly dim: number;
  readonly start?: number;
  readonly end?: number;
  readonly step?: number;
}

const sliceSamples: Sampler = (random) => {
  const case_ = (value: ReferenceTensor, layout: Layout, s: SliceArguments): OpSample => {
    const label = `slice(${s.dim}, ${s.start ?? '–'}, ${s.end ?? '–'}${s.step === undefined ? '' : `, ${s.step}`})`;
    return unary(label, value, layout, (v) => slice(v, s.dim, s.start, s.end, s.step), (v) => {
      const d = positive(s.dim, v.shape.length);
      return taken(v, d, sliceIndices(v.shape[d], s.start, s.end, s.step ?? 1));
    });
  };
  const x = (): ReferenceTensor => randomRef(random, [7]);
  const m = (): ReferenceTensor => randomRef(random, [5, 6]);
  return [
    case_(x(), 'contiguous', { dim: 0, start: 2, end: 5 }),
    case_(x(), 'strided', { dim: 0, start: -3 }),
    case_(x(), 'offset', { dim: 0, end: -1 }),
    case_(x(), 'contiguous', { dim: 0, start: -5, end: -2 }),
    case_(x(), 'contiguous', { dim: 0, step: 2 }),
    case_(x(), 'strided', { dim: 0, start: 1, step: 2 }),
    case_(x(), 'contiguous', { dim: 0, start: 1, end: 6, step: 3 }),
    case_(x(), 'contiguous', { dim: 0, start: -10, end: 100 }),
    case_(x(), 'contiguous', { dim: 0, start: 5, end: 100, step: 4 }),
    case_(x(), 'contiguous', { dim: 0, start: 4, end: 2 }),
    case_(x(), 'contiguous', { dim: 0, start: 3, end: 3 }),
    case_(x(), 'contiguous', { dim: 0, start: 9, end: 12 }),
    case_(x(), 'contiguous', { dim: 0, start: 7 }),
    case_(m(), 'contiguous', { dim: 1, start: 1, end: 4 }),
    case_(m(), 'transposed', { dim: 1, start: -4, step: 2 }),
    case_(m(), 'transposed', { dim: 0, start: 1, end: -1 }),
    case_(m(), 'strided', { dim: -1, step: 2 }),
    case_(m(), 'offset', { dim: 0, start: 2, step: 2 }),
    case_(randomRef(random, [2, 3, 4]), 'transposed', { dim: 2, start: 1, end: 3 }),
    case_(randomRef(random, [0, 3]), 'contiguous', { dim: 0, start: 1, end: 2 }),
    case_(randomRef(random, [3, 0]), 'contiguous', { dim: 0, start: 1 }),
  ];
};

const sliceErrors: ErrorSampler = (random) => [
  failing('step 0', randomRef(random, [5]), (x) => slice(x, 0, 0, 5, 0), 'ValueError', 'step'),
  failing('negative step', randomRef(random, [5]), (x) => slice(x, 0, 4, 0, -1), 'ValueError', 'step'),
  failing('dim out of range', randomRef(random, [5]), (x) => slice(x, 1, 0, 2), 'IndexError', 'out of range'),
];

const narrowSamples: Sampler = (random) => {
  const case_ = (value: ReferenceTensor, layout: Layout, dim: number, start: number, length: number): OpSample =>
    unary(`narrow(${dim}, ${start}, ${length})`, value, layout, (v) => narrow(v, dim, start, length), (v) => {
      const d = positive(dim, v.shape.length);
      return taken(v, d, range(start < 0 ? start + v.shape[d] : start, length));
    });
  const m = (): ReferenceTensor => randomRef(random, [3, 4]);
  return [
    case_(m(), 'contiguous', 0, 1, 2),
    case_(m(), 'transposed', 1, 1, 3),
    case_(m(), 'strided', -1, -2, 2),
    case_(m(), 'offset', 0, 0, 3),
    case_(m(), 'contiguous', 1, 4, 0),
    case_(m(), 'contiguous', 1, 2, 0),
    case_(randomRef(random, [6]), 'strided', 0, 2, 3),
  ];
};

const narrowErrors: ErrorSampler = (random) => [
  failing('start 3 length 2 of size 4', randomRef(random, [3, 4]), (x) => narrow(x, 1, 3, 2), 'IndexError', 'do not fit'),
  failing('start 5 of size 4', randomRef(random, [3, 4]), (x) => narrow(x, 1, 5, 0), 'IndexError', 'do not fit'),
  failing('negative length', randomRef(random, [3, 4]), (x) => narrow(x, 1, 0, -1), 'IndexError', 'do not fit'),
  failing('dim out of range', randomRef(random, [3, 4]), (x) => narrow(x, 2, 0, 1), 'IndexError', 'out of range'),
];

const selectSamples: Sampler = (random) => {
  const case_ = (value: ReferenceTensor, layout: Layout, dim: number, index: number): OpSample =>
    unary(`select(${dim}, ${index})`, value, layout, (v) => select(v, dim, index), (v) => {
      const d = positive(dim, v.shape.length);
      const one = taken(v, d, [index < 0 ? index + v.shape[d] : index]);
      return reshaped(one, v.shape.filter((_, k) => k !== d));
    });
  return [
    case_(randomRef(random, [3, 4]), 'contiguous', 0, 1),
    case_(randomRef(random, [3, 4]), 'transposed', 1, -1),
    case_(randomRef(random, [3, 4]), 'strided', 1, 2),
    case_(randomRef(random, [3, 4]), 'offset', 0, 2),
    case_(randomRef(random, [2, 3, 4]), 'transposed', 1, 0),
    case_(randomRef(random, [2, 3, 4]), 'contiguous', -3, 1),
    case_(randomRef(random, [5]), 'strided', 0, 4),
    case_(randomRef(random, [1]), 'contiguous', 0, 0),
    case_(randomRef(random, [3, 0]), 'contiguous', 0, 2),
  ];
};

const selectErrors: ErrorSampler = (random) => [
  failing('index 3 of size 3', randomRef(random, [3, 4]), (x) => select(x, 0, 3), 'IndexError', 'out of range'),
  failing('index -5 of size 4', randomRef(random, [3, 4]), (x) => select(x, 1, -5), 'IndexError', 'out of range'),
  failing('a 0-d tensor', randomRef(random, []), (x) => select(x, 0, 0), 'IndexError', 'select'),
];

/** The pieces of `sizes` along `dim`. */
function pieces(x: ReferenceTensor, dim: number, sizes: readonly number[]): ReferenceTensor[] {
  let at = 0;
  return sizes.map((size) => {
    const piece = taken(x, dim, range(at, size));
    at += size;
    return piece;
  });
}

/** `torch.split` sizes for an integer split size: full pieces, the last smaller. */
function splitSizes(size: number, splitSize: number): number[] {
  const sizes: number[] = [];
  for (let at = 0; at < size; at += splitSize) sizes.push(Math.min(splitSize, size - at));
  return sizes.length === 0 ? [0] : sizes;
}

const splitSamples: Sampler = (random) => {
  const case_ = (value: ReferenceTensor, layout: Layout, splitSize: number | number[], dim: number): OpSample =>
    unary(`split(${typeof splitSize === 'number' ? splitSize : shapeText(splitSize)}, ${dim})`, value, layout, (v) => split(v, splitSize, dim), (v) => {
      const d = positive(dim, v.shape.length);
      return pieces(v, d, typeof splitSize === 'number' ? splitSizes(v.shape[d], splitSize) : splitSize);
    });
  return [
    case_(randomRef(random, [5, 2]), 'contiguous', 2, 0),
    case_(randomRef(random, [5, 2]), 'offset', 5, 0),
    case_(randomRef(random, [5, 2]), 'contiguous', 7, 0),
    case_(randomRef(random, [3, 6]), 'transposed', 2, 1),
    case_(randomRef(random, [3, 6]), 'strided', 4, -1),
    case_(randomRef(random, [3, 6]), 'contiguous', [1, 5], 1),
    case_(randomRef(random, [3, 6]), 'transposed', [2, 0, 4], -1),
    case_(randomRef(random, [5, 2]), 'offset', [3, 2], 0),
    case_(randomRef(random, [0]), 'contiguous', 2, 0),
  ];
};

const splitErrors: ErrorSampler = (random) => [
  failing('sizes [2,2] of a dim of 5', randomRef(random, [5, 2]), (x) => split(x, [2, 2]), 'ShapeError', 'add up'),
  failing('sizes [6,-1] of a dim of 5', randomRef(random, [5, 2]), (x) => split(x, [6, -1]), 'ShapeError', 'add up'),
  failing('split size 0', randomRef(random, [5, 2]), (x) => split(x, 0), 'ValueError', 'splitSize'),
];

const chunkSamples: Sampler = (random) => {
  const case_ = (value: ReferenceTensor, layout: Layout, chunks: number, dim: number): OpSample =>
    unary(`chunk(${chunks}, ${dim})`, value, layout, (v) => chunk(v, chunks, dim), (v) => {
      const d = positive(dim, v.shape.length);
      // torch.chunk: pieces of ⌈size / chunks⌉, so there may be fewer than `chunks`.
      return pieces(v, d, splitSizes(v.shape[d], Math.max(1, Math.ceil(v.shape[d] / chunks))));
    });
  return [
    case_(randomRef(random, [6]), 'contiguous', 3, 0),
    case_(randomRef(random, [5]), 'strided', 2, 0),
    case_(randomRef(random, [6]), 'offset', 4, 0),
    case_(randomRef(random, [2, 7]), 'transposed', 3, 1),
    case_(randomRef(random, [2, 7]), 'contiguous', 3, -1),
    case_(randomRef(random, [2]), 'contiguous', 5, 0),
    case_(randomRef(random, [4, 3]), 'contiguous', 1, 0),
  ];
};

const chunkErrors: ErrorSampler = (random) => [
  failing('0 chunks', randomRef(random, [6]), (x) => chunk(x, 0), 'ValueError', 'chunks'),
];

const copySamples = (op: (x: Tensor) => Tensor): Sampler => (random) => {
  const case_ = (value: ReferenceTensor, layout: Layout): OpSample => unary('copy', value, layout, (v) => op(v), (v) => reshaped(v, v.shape));
  return [
    case_(randomRef(random, [3, 4]), 'contiguous'),
    case_(randomRef(random, [3, 4]), 'transposed'),
    case_(randomRef(random, [2, 3, 4]), 'transposed'),
    case_(randomRef(random, [3, 4]), 'strided'),
    case_(randomRef(random, [2, 3, 4]), 'offset'),
    case_(randomRef(random, []), 'offset'),
    case_(randomRef(random, [0, 3]), 'contiguous'),
    case_(randomRef(random, [3, 4], 'int32', -9, 9), 'transposed'),
    case_(randomRef(random, [3, 4], 'bool'), 'strided'),
    case_(randomRef(random, [3, 4], 'float64'), 'offset'),
  ];
};

export const viewSpecs: OpSpec[] = [
  spec('reshape', reshapeSamples(reshape), reshapeErrors(reshape)),
  spec('view', reshapeSamples(view), reshapeErrors(view)),
  spec('flatten', flattenSamples, flattenErrors),
  spec('squeeze', squeezeSamples, squeezeErrors),
  spec('unsqueeze', unsqueezeSamples, unsqueezeErrors),
  spec('transpose', transposeSamples, transposeErrors),
  spec('t', tSamples, tErrors),
  spec('permute', permuteSamples, permuteErrors),
  spec('expand', expandSamples, expandErrors),
  spec('slice', sliceSamples, sliceErrors),
  spec('narrow', narrowSamples, narrowErrors),
  spec('select', selectSamples, selectErrors),
  spec('split', splitSamples, splitErrors),
  spec('chunk', chunkSamples, chunkErrors),
  spec('contiguous', copySamples(contiguous)),
  spec('clone', copySamples(clone)),
];
