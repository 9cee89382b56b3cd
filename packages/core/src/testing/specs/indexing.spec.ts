import type { DType } from '../../dtype.js';
import { embedding, gather, indexSelect, oneHot, scatterAdd, tril, triu, type Tensor } from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { coordsOf, flatOf, randomRef, ref } from '../reference.js';

// ── Independent float64 references ─────────────────────────────────────────

const sizeOfShape = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);
const positive = (dim: number, ndim: number): number => (dim < 0 ? dim + ndim : dim);

/** `out[c] = x[c with c[dim] replaced by index[c]]`. */
function gatherReference(x: ReferenceTensor, dim: number, index: ReferenceTensor): ReferenceTensor {
  const data = new Float64Array(index.data.length);
  for (let i = 0; i < data.length; i++) {
    const c = coordsOf(i, index.shape);
    c[dim] = index.data[i];
    data[i] = x.data[flatOf(c, x.shape)];
  }
  return { shape: [...index.shape], data, dtype: x.dtype };
}

/** A copy of `x` with `src[c]` added at `c with c[dim] replaced by index[c]`, for every `c` of `index`. */
function scatterAddReference(x: ReferenceTensor, dim: number, index: ReferenceTensor, src: ReferenceTensor): ReferenceTensor {
  const data = Float64Array.from(x.data);
  for (let i = 0; i < index.data.length; i++) {
    const c = coordsOf(i, index.shape);
    const value = src.data[flatOf(c, src.shape)];
    c[dim] = index.data[i];
    data[flatOf(c, x.shape)] += value;
  }
  return { shape: [...x.shape], data, dtype: x.dtype };
}

/** `out[c] = x[c with c[dim] replaced by index[c[dim]]]`. */
function indexSelectReference(x: ReferenceTensor, dim: number, index: ReferenceTensor): ReferenceTensor {
  const shape = x.shape.map((size, d) => (d === dim ? index.data.length : size));
  const data = new Float64Array(sizeOfShape(shape));
  for (let i = 0; i < data.length; i++) {
    const c = coordsOf(i, shape);
    c[dim] = index.data[c[dim]];
    data[i] = x.data[flatOf(c, x.shape)];
  }
  return { shape, data, dtype: x.dtype };
}

/** Row `indices[…]` of `weight` (V, D) for every index: shape `[...indices.shape, D]`. */
function embeddingReference(indices: ReferenceTensor, weight: ReferenceTensor): ReferenceTensor {
  const width = weight.shape[1];
  const data = new Float64Array(indices.data.length * width);
  for (let i = 0; i < indices.data.length; i++) {
    for (let j = 0; j < width; j++) data[i * width + j] = weight.data[indices.data[i] * width + j];
  }
  return { shape: [...indices.shape, width], data, dtype: weight.dtype };
}

function oneHotReference(indices: ReferenceTensor, classes: number): ReferenceTensor {
  const data = new Float64Array(indices.data.length * classes);
  for (let i = 0; i < indices.data.length; i++) data[i * classes + indices.data[i]] = 1;
  return { shape: [...indices.shape, classes], data, dtype: 'int32' };
}

/** Keeps `x[…, i, j]` where `keep(j − i)`, zero elsewhere (a masked-out NaN becomes 0, as in PyTorch). */
function triangleReference(x: ReferenceTensor, keep: (offset: number) => boolean): ReferenceTensor {
  const n = x.shape.length;
  const data = new Float64Array(x.data.length);
  for (let k = 0; k < data.length; k++) {
    const c = coordsOf(k, x.shape);
    data[k] = keep(c[n - 1] - c[n - 2]) ? x.data[k] : 0;
  }
  return { shape: [...x.shape], data, dtype: x.dtype };
}

// ── Samples ────────────────────────────────────────────────────────────────

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });
const shapeText = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/** Random int32 indices in [0, size). */
const indices = (random: () => number, shape: number[], size: number): ReferenceTensor => randomRef(random, shape, 'int32', 0, size);

function gatherSamples(random: () => number): OpSample[] {
  const case_ = (name: string, x: SampleInput, dim: number, index: SampleInput): OpSample => ({
    name,
    inputs: [x, index],
    run: ([t, i]) => gather(t, dim, i),
    reference: ([t, i]) => gatherReference(t, positive(dim, t.shape.length), i),
  });
  const x = (shape: number[], dtype: DType = 'float32'): ReferenceTensor => randomRef(random, shape, dtype, -9, 9);
  return [
    case_('dim 0, [3,4] by index [5,4]', input(x([3, 4])), 0, input(indices(random, [5, 4], 3))),
    case_('dim 1, [3,4] by index [3,6]', input(x([3, 4])), 1, input(indices(random, [3, 6], 4))),
    case_('dim -1, [3,4] by index [3,2]', input(x([3, 4])), -1, input(indices(random, [3, 2], 4))),
    case_('dim 0, index smaller than the input [2,3]', input(x([4, 5])), 0, input(indices(random, [2, 3], 4))),
    case_('dim 1, index smaller than the input [2,2]', input(x([4, 5])), 1, input(indices(random, [2, 2], 5))),
    case_('dim 1 of a 3-D input', input(x([2, 3, 4])), 1, input(indices(random, [2, 5, 4], 3))),
    case_('dim -1 of a 3-D input, smaller index', input(x([2, 3, 4])), -1, input(indices(random, [1, 2, 6], 4))),
    case_('transposed input', input(x([3, 4]), 'transposed'), 1, input(indices(random, [3, 4], 4))),
    case_('strided input, transposed index', input(x([3, 4]), 'strided'), 0, input(indices(random, [3, 4], 3), 'transposed')),
    case_('offset input, strided index', input(x([3, 4]), 'offset'), 1, input(indices(random, [3, 3], 4), 'strided')),
    case_('1-D', input(x([6])), 0, input(indices(random, [9], 6))),
    case_('empty index [0,4]', input(x([3, 4])), 0, input(indices(random, [0, 4], 3))),
    case_('int32 input', input(x([3, 4], 'int32')), 1, input(indices(random, [3, 4], 4))),
    case_('float64 input', input(x([3, 4], 'float64')), 0, input(indices(random, [2, 4], 3))),
  ];
}

function scatterAddSamples(random: () => number): OpSample[] {
  const case_ = (name: string, x: SampleInput, dim: number, index: SampleInput, src: SampleInput): OpSample => ({
    name,
    inputs: [x, index, src],
    run: ([t, i, s]) => scatterAdd(t, dim, i, s),
    reference: ([t, i, s]) => scatterAddReference(t, positive(dim, t.shape.length), i, s),
  });
  const x = (shape: number[], dtype: DType = 'float32'): ReferenceTensor => randomRef(random, shape, dtype, -9, 9);
  return [
    case_('repeated indices accumulate, 1-D', input(ref([4], [1, 2, 3, 4])), 0, input(ref([6], [0, 2, 0, 0, 3, 2], 'int32')), input(ref([6], [10, 20, 30, 40, 50, 60]))),
    case_('dim 0, [3,4] from [6,4]', input(x([3, 4])), 0, input(indices(random, [6, 4], 3)), input(x([6, 4]))),
    case_('dim 1, [3,4] from [3,8]', input(x([3, 4])), 1, input(indices(random, [3, 8], 4)), input(x([3, 8]))),
    case_('dim -1, index smaller than src', input(x([3, 4])), -1, input(indices(random, [2, 5], 4)), input(x([3, 6]))),
    case_('dim 1 of a 3-D input', input(x([2, 3, 4])), 1, input(indices(random, [2, 7, 4], 3)), input(x([2, 7, 4]))),
    case_('transposed input, strided src', input(x([3, 4]), 'transposed'), 0, input(indices(random, [5, 4], 3)), input(x([5, 4]), 'strided')),
    case_('offset input, transposed index', input(x([3, 4]), 'offset'), 1, input(indices(random, [3, 4], 4), 'transposed'), input(x([3, 4]))),
    case_('empty index', input(x([3, 4])), 0, input(indices(random, [0, 4], 3)), input(x([0, 4]))),
    case_('int32', input(x([3, 4], 'int32')), 1, input(indices(random, [3, 6], 4)), input(x([3, 6], 'int32'))),
    case_('float64', input(x([3, 4], 'float64')), 0, input(indices(random, [5, 4], 3)), input(x([5, 4], 'float64'))),
  ];
}

function indexSelectSamples(random: () => number): OpSample[] {
  const case_ = (name: string, x: SampleInput, dim: number, index: SampleInput): OpSample => ({
    name,
    inputs: [x, index],
    run: ([t, i]) => indexSelect(t, dim, i),
    reference: ([t, i]) => indexSelectReference(t, positive(dim, t.shape.length), i),
  });
  const x = (shape: number[], dtype: DType = 'float32'): ReferenceTensor => randomRef(random, shape, dtype, -9, 9);
  return [
    case_('dim 0 of [4,3], repeated indices', input(x([4, 3])), 0, input(ref([5], [3, 0, 3, 1, 2], 'int32'))),
    case_('dim 1 of [4,3]', input(x([4, 3])), 1, input(indices(random, [4], 3))),
    case_('dim -1 of a 3-D input', input(x([2, 3, 4])), -1, input(indices(random, [6], 4))),
    case_('dim 1 of a transposed 3-D input', input(x([2, 3, 4]), 'transposed'), 1, input(indices(random, [2], 3))),
    case_('strided input, strided index', input(x([4, 3]), 'strided'), 0, input(indices(random, [3], 4), 'strided')),
    case_('offset input, offset index', input(x([4, 3]), 'offset'), 1, input(indices(random, [3], 3), 'offset')),
    case_('empty index', input(x([4, 3])), 0, input(ref([0], [], 'int32'))),
    case_('1-D input', input(x([7])), 0, input(indices(random, [4], 7))),
    case_('int32 input', input(x([4, 3], 'int32')), 0, input(indices(random, [2], 4))),
  ];
}

function embeddingSamples(random: () => number): OpSample[] {
  const case_ = (name: string, index: SampleInput, weight: SampleInput): OpSample => ({
    name,
    inputs: [index, weight],
    run: ([i, w]) => embedding(i, w),
    reference: ([i, w]) => embeddingReference(i, w),
  });
  return [
    case_('indices [2,3] over weight [10,4]', input(indices(random, [2, 3], 10)), input(randomRef(random, [10, 4]))),
    case_('indices [5] over weight [10,4], repeats', input(ref([5], [9, 0, 9, 3, 0], 'int32')), input(randomRef(random, [10, 4]))),
    case_('0-d index', input(ref([], [7], 'int32')), input(randomRef(random, [10, 4]))),
    case_('transposed weight', input(indices(random, [2, 3], 10)), input(randomRef(random, [10, 4]), 'transposed')),
    case_('strided indices, offset weight', input(indices(random, [2, 3], 10), 'strided'), input(randomRef(random, [10, 4]), 'offset')),
    case_('transposed indices [3,2]', input(indices(random, [3, 2], 10), 'transposed'), input(randomRef(random, [10, 4]))),
    case_('empty indices [0]', input(ref([0], [], 'int32')), input(randomRef(random, [10, 4]))),
  ];
}

function oneHotSamples(random: () => number): OpSample[] {
  const case_ = (name: string, index: SampleInput, classes: number): OpSample => ({
    name,
    inputs: [index],
    run: ([i]) => oneHot(i, classes),
    reference: ([i]) => oneHotReference(i, classes),
  });
  return [
    case_('[4] with 5 classes', input(ref([4], [0, 4, 2, 2], 'int32')), 5),
    case_('[2,3] with 4 classes', input(indices(random, [2, 3], 4)), 4),
    case_('transposed [2,3]', input(indices(random, [2, 3], 4), 'transposed'), 4),
    case_('strided [5]', input(indices(random, [5], 3), 'strided'), 3),
    case_('0-d', input(ref([], [2], 'int32')), 3),
    case_('offset 0-d', input(ref([], [1], 'int32'), 'offset'), 3),
    case_('one class', input(ref([3], [0, 0, 0], 'int32')), 1),
    case_('empty [0]', input(ref([0], [], 'int32')), 5),
  ];
}

function triangleSamples(op: 'triu' | 'tril', random: () => number): OpSample[] {
  const run = op === 'triu' ? triu : tril;
  const keep = (diagonal: number) => (offset: number): boolean => (op === 'triu' ? offset >= diagonal : offset <= diagonal);
  const case_ = (x: ReferenceTensor, layout: Layout, diagonal: number | undefined): OpSample => ({
    name: `${shapeText(x.shape)} ${layout}${x.dtype === 'float32' ? '' : ` ${x.dtype}`}, diagonal ${diagonal ?? 'default (0)'}`,
    inputs: [input(x, layout)],
    run: ([t]) => (diagonal === undefined ? run(t) : run(t, diagonal)),
    reference: ([t]) => triangleReference(t, keep(diagonal ?? 0)),
  });
  const samples: OpSample[] = [];
  for (const diagonal of [-1, 0, 2]) {
    samples.push(case_(randomRef(random, [4, 4]), 'contiguous', diagonal));
    samples.push(case_(randomRef(random, [3, 5]), 'transposed', diagonal));
    samples.push(case_(randomRef(random, [5, 3]), 'strided', diagonal));
    samples.push(case_(randomRef(random, [2, 3, 4]), 'contiguous', diagonal));
    samples.push(case_(randomRef(random, [2, 4, 3]), 'offset', diagonal));
  }
  samples.push(
    case_(randomRef(random, [3, 3]), 'contiguous', undefined),
    case_(randomRef(random, [3, 3]), 'contiguous', 10),
    case_(randomRef(random, [3, 3]), 'contiguous', -10),
    case_(randomRef(random, [2, 3, 4], 'int32', -9, 9), 'transposed', 1),
    case_(randomRef(random, [3, 3], 'bool'), 'contiguous', 0),
    case_(randomRef(random, [3, 3], 'float64'), 'contiguous', -1),
    case_(randomRef(random, [0, 3]), 'contiguous', 0),
    case_(randomRef(random, [2, 0, 3]), 'contiguous', 1),
    case_(randomRef(random, [1, 1]), 'contiguous', 0),
    case_(ref([3, 3], [NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN]), 'contiguous', 0),
    case_(ref([2, 2], [Infinity, -Infinity, -Infinity, Infinity]), 'contiguous', 0),
  );
  return samples;
}

// ── Errors ─────────────────────────────────────────────────────────────────

function failing(name: string, inputs: SampleInput[], run: (tensors: readonly Tensor[]) => unknown, kind: OpErrorCase['kind'], message: string): OpErrorCase {
  return { name, inputs, run, kind, message, needsSyncRead: message === 'out of bounds' };
}

const float = (random: () => number, shape: number[]): SampleInput => input(randomRef(random, shape));
const int = (shape: number[], values: number[]): SampleInput => input(ref(shape, values, 'int32'));

function gatherErrors(random: () => number): OpErrorCase[] {
  return [
    failing('index 3 of a dim of 3', [float(random, [3, 4]), int([1, 2], [0, 3])], ([x, i]) => gather(x, 0, i), 'IndexError', 'out of bounds'),
    failing('negative index', [float(random, [3, 4]), int([1, 2], [-1, 0])], ([x, i]) => gather(x, 1, i), 'IndexError', 'out of bounds'),
    failing('float index', [float(random, [3, 4]), float(random, [1, 2])], ([x, i]) => gather(x, 0, i), 'DTypeError', 'int32'),
    failing('index with fewer dims', [float(random, [3, 4]), int([2], [0, 1])], ([x, i]) => gather(x, 0, i), 'ShapeError', 'gather'),
    failing('index larger outside dim', [float(random, [3, 4]), int([1, 5], [0, 0, 0, 0, 0])], ([x, i]) => gather(x, 0, i), 'ShapeError', 'gather'),
    failing('dim out of range', [float(random, [3, 4]), int([1, 2], [0, 0])], ([x, i]) => gather(x, 2, i), 'IndexError', 'out of range'),
  ];
}

function scatterAddErrors(random: () => number): OpErrorCase[] {
  return [
    failing('index 4 of a dim of 4', [float(random, [3, 4]), int([1, 2], [4, 0]), float(random, [1, 2])], ([x, i, s]) => scatterAdd(x, 1, i, s), 'IndexError', 'out of bounds'),
    failing('float index', [float(random, [3, 4]), float(random, [1, 2]), float(random, [1, 2])], ([x, i, s]) => scatterAdd(x, 0, i, s), 'DTypeError', 'int32'),
    failing('src of another dtype', [float(random, [3, 4]), int([1, 2], [0, 1]), int([1, 2], [1, 1])], ([x, i, s]) => scatterAdd(x, 0, i, s), 'DTypeError', 'src'),
    failing('index larger than src', [float(random, [3, 4]), int([2, 2], [0, 1, 0, 1]), float(random, [1, 2])], ([x, i, s]) => scatterAdd(x, 0, i, s), 'ShapeError', 'scatterAdd'),
  ];
}

function indexSelectErrors(random: () => number): OpErrorCase[] {
  return [
    failing('index 4 of a dim of 4', [float(random, [4, 3]), int([2], [1, 4])], ([x, i]) => indexSelect(x, 0, i), 'IndexError', 'out of bounds'),
    failing('float index', [float(random, [4, 3]), float(random, [2])], ([x, i]) => indexSelect(x, 0, i), 'DTypeError', 'int32'),
    failing('2-D index', [float(random, [4, 3]), int([1, 2], [0, 1])], ([x, i]) => indexSelect(x, 0, i), 'ShapeError', '1-D'),
  ];
}

function embeddingErrors(random: () => number): OpErrorCase[] {
  return [
    failing('index 10 of 10 rows', [int([2], [3, 10]), float(random, [10, 4])], ([i, w]) => embedding(i, w), 'IndexError', 'out of bounds'),
    failing('float indices', [float(random, [2]), float(random, [10, 4])], ([i, w]) => embedding(i, w), 'DTypeError', 'int32'),
    failing('3-D weight', [int([2], [0, 1]), float(random, [2, 3, 4])], ([i, w]) => embedding(i, w), 'ShapeError', 'weight'),
  ];
}

function oneHotErrors(random: () => number): OpErrorCase[] {
  return [
    failing('numClasses 0', [int([2], [0, 0])], ([i]) => oneHot(i, 0), 'ValueError', 'numClasses'),
    failing('index 3 with 3 classes', [int([2], [0, 3])], ([i]) => oneHot(i, 3), 'IndexError', 'out of bounds'),
    failing('negative index', [int([2], [0, -1])], ([i]) => oneHot(i, 3), 'IndexError', 'out of bounds'),
    failing('float indices', [float(random, [2])], ([i]) => oneHot(i, 3), 'DTypeError', 'int32'),
  ];
}

function triangleErrors(op: 'triu' | 'tril', random: () => number): OpErrorCase[] {
  const run = op === 'triu' ? triu : tril;
  return [
    failing('1-D input', [float(random, [4])], ([x]) => run(x), 'ShapeError', 'at least 2 dimensions'),
    failing('fractional diagonal', [float(random, [3, 3])], ([x]) => run(x, 0.5), 'ValueError', 'diagonal'),
  ];
}

export const indexingSpecs: OpSpec[] = [
  { name: 'gather', tier: 'T1', samples: gatherSamples, errors: gatherErrors },
  { name: 'scatterAdd', tier: 'T1', samples: scatterAddSamples, errors: scatterAddErrors },
  { name: 'indexSelect', tier: 'T1', samples: indexSelectSamples, errors: indexSelectErrors },
  { name: 'embedding', tier: 'T1', samples: embeddingSamples, errors: embeddingErrors },
  { name: 'oneHot', tier: 'T1', samples: oneHotSamples, errors: oneHotErrors },
  { name: 'triu', tier: 'T1', samples: (random) => triangleSamples('triu', random), errors: (random) => triangleErrors('triu', random) },
  { name: 'tril', tier: 'T1', samples: (random) => triangleSamples('tril', random), errors: (random) => triangleErrors('tril', random) },
];
