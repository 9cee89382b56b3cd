import type { DType } from '../../dtype.js';
import { matmul } from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { broadcastAt, broadcastShape, coordsOf, randomRef, ref } from '../reference.js';

// ── Independent float64 reference ──────────────────────────────────────────

/**
 * `torch.matmul` by its definition: a 1-D left operand is a row [1, K], a 1-D
 * right operand a column [K, 1] (the unit dim is dropped from the result);
 * leading batch dims broadcast; each output is a dot product in float64.
 */
function matmulReference(a: ReferenceTensor, b: ReferenceTensor): ReferenceTensor {
  const left: ReferenceTensor = a.shape.length === 1 ? { ...a, shape: [1, a.shape[0]] } : a; // (…, M, K)
  const right: ReferenceTensor = b.shape.length === 1 ? { ...b, shape: [b.shape[0], 1] } : b; // (…, K, N)
  const m = left.shape[left.shape.length - 2];
  const k = left.shape[left.shape.length - 1];
  const n = right.shape[right.shape.length - 1];
  const batch = broadcastShape(left.shape.slice(0, -2), right.shape.slice(0, -2));
  const full = [...batch, m, n];
  const size = full.reduce((p, d) => p * d, 1);
  const data = new Float64Array(size);
  for (let flat = 0; flat < size; flat++) {
    const coords = coordsOf(flat, full);
    const outer = coords.slice(0, -2);
    const [i, j] = coords.slice(-2);
    let dot = 0;
    for (let p = 0; p < k; p++) dot += broadcastAt(left, [...outer, i, p]) * broadcastAt(right, [...outer, p, j]);
    data[flat] = dot;
  }
  let shape = full;
  if (a.shape.length === 1 && b.shape.length === 1) shape = [...batch];
  else if (a.shape.length === 1) shape = [...batch, n];
  else if (b.shape.length === 1) shape = [...batch, m];
  return { shape, data, dtype: a.dtype };
}

// ── Samples ────────────────────────────────────────────────────────────────

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

function product(name: string, a: SampleInput, b: SampleInput): OpSample {
  return {
    name,
    inputs: [a, b],
    run: ([x, y]) => matmul(x, y),
    reference: ([x, y]) => matmulReference(x, y),
  };
}

function samples(random: () => number): OpSample[] {
  const r = (shape: number[], dtype: DType = 'float32'): ReferenceTensor => randomRef(random, shape, dtype);
  return [
    product('1-D · 1-D [5]·[5] (dot)', input(r([5])), input(r([5]))),
    product('1-D · 1-D strided and offset', input(r([7]), 'strided'), input(r([7]), 'offset')),
    product('1-D · 2-D [4]·[4,3]', input(r([4])), input(r([4, 3]))),
    product('2-D · 1-D [3,4]·[4]', input(r([3, 4])), input(r([4]))),
    product('2-D · 2-D [3,4]·[4,5]', input(r([3, 4])), input(r([4, 5]))),
    product('batched 3-D · 3-D [2,3,4]·[2,4,5]', input(r([2, 3, 4])), input(r([2, 4, 5]))),
    product('broadcast batch [2,1,3,4]·[5,4,2]', input(r([2, 1, 3, 4])), input(r([5, 4, 2]))),
    product('broadcast batch [1,3,4]·[4,4,2]', input(r([1, 3, 4])), input(r([4, 4, 2]))),
    product('3-D · 2-D [2,3,4]·[4,5]', input(r([2, 3, 4])), input(r([4, 5]))),
    product('2-D · 3-D [3,4]·[2,4,5]', input(r([3, 4])), input(r([2, 4, 5]))),
    product('3-D · 1-D [2,3,4]·[4]', input(r([2, 3, 4])), input(r([4]))),
    product('1-D · 3-D [4]·[2,4,3]', input(r([4])), input(r([2, 4, 3]))),
    product('4-D · 1-D [2,2,3,4]·[4]', input(r([2, 2, 3, 4])), input(r([4]))),
    product('transposed [3,4]·transposed [4,5]', input(r([3, 4]), 'transposed'), input(r([4, 5]), 'transposed')),
    product('transposed [3,4]·[4,5]', input(r([3, 4]), 'transposed'), input(r([4, 5]))),
    product('[3,4]·transposed [4,5]', input(r([3, 4])), input(r([4, 5]), 'transposed')),
    product('strided [3,4]·offset [4,5]', input(r([3, 4]), 'strided'), input(r([4, 5]), 'offset')),
    product('batched transposed [2,3,4]·strided [2,4,5]', input(r([2, 3, 4]), 'transposed'), input(r([2, 4, 5]), 'strided')),
    product('broadcast batch, offset [2,1,3,4]·transposed [5,4,2]', input(r([2, 1, 3, 4]), 'offset'), input(r([5, 4, 2]), 'transposed')),
    product('K = 0: [3,0]·[0,4] gives zeros', input(r([3, 0])), input(r([0, 4]))),
    product('K = 0 batched: [2,3,0]·[2,0,4] gives zeros', input(r([2, 3, 0])), input(r([2, 0, 4]))),
    product('K = 0 1-D: [0]·[0] gives 0', input(r([0])), input(r([0]))),
    product('M = 0: [0,4]·[4,3]', input(r([0, 4])), input(r([4, 3]))),
    product('N = 0: [3,4]·[4,0]', input(r([3, 4])), input(r([4, 0]))),
    product('batch 0: [0,3,4]·[4,2]', input(r([0, 3, 4])), input(r([4, 2]))),
    product('batch 0 broadcast: [1,3,4]·[0,4,2]', input(r([1, 3, 4])), input(r([0, 4, 2]))),
    product('M = 1: [1,4]·[4,5]', input(r([1, 4])), input(r([4, 5]))),
    product('N = 1: [3,4]·[4,1]', input(r([3, 4])), input(r([4, 1]))),
    product('M = N = 1: [1,4]·[4,1]', input(r([1, 4])), input(r([4, 1]))),
    product('K = 1: [3,1]·[1,5]', input(r([3, 1])), input(r([1, 5]))),
    product('odd sizes [37,53]·[53,29]', input(r([37, 53])), input(r([53, 29]))),
    product('odd sizes transposed [37,53]·transposed [53,29]', input(r([37, 53]), 'transposed'), input(r([53, 29]), 'transposed')),
    product('larger than a tile [70,129]·[129,67]', input(r([70, 129])), input(r([129, 67]))),
    product('batched larger [3,65,33]·[33,66]', input(r([3, 65, 33])), input(r([33, 66]))),
    product('long K [2,1000]·[1000,3]', input(r([2, 1000])), input(r([1000, 3]))),
    // N a multiple of 4 with contiguous rows: kernels may read B four columns at once
    product('N = 12 [5,7]·[7,12]', input(r([5, 7])), input(r([7, 12]))),
    product('N = 8 batched [2,9,6]·[2,6,8]', input(r([2, 9, 6])), input(r([2, 6, 8]))),
    product('N = 132 [33,70]·[70,132]', input(r([33, 70])), input(r([70, 132]))),
    product('float64 [3,4]·[4,5]', input(r([3, 4], 'float64')), input(r([4, 5], 'float64'))),
    product('float64 batched transposed [2,3,4]·[4]', input(r([2, 3, 4], 'float64'), 'transposed'), input(r([4], 'float64'))),
    product('infinities and NaN propagate', input(ref([2, 2], [Infinity, 1, NaN, 2])), input(ref([2, 2], [1, 0, 2, 3]))),
  ];
}

function errors(random: () => number): OpErrorCase[] {
  const r = (shape: number[], dtype: DType = 'float32'): ReferenceTensor => randomRef(random, shape, dtype);
  const pair = (name: string, a: ReferenceTensor, b: ReferenceTensor, kind: OpErrorCase['kind'], message: string): OpErrorCase => ({
    name, inputs: [input(a), input(b)], run: ([x, y]) => matmul(x, y), kind, message,
  });
  return [
    pair('inner mismatch [2,3]·[4,5]', r([2, 3]), r([4, 5]), 'ShapeError', 'inner dimensions'),
    pair('inner mismatch names the shapes', r([2, 3]), r([4, 5]), 'ShapeError', '[2,3] by [4,5]'),
    pair('1-D mismatch [3]·[4]', r([3]), r([4]), 'ShapeError', 'inner dimensions'),
    pair('batched inner mismatch [2,3,4]·[2,5,6]', r([2, 3, 4]), r([2, 5, 6]), 'ShapeError', 'inner dimensions'),
    pair('batch dims that do not broadcast [2,3,4]·[3,4,5]', r([2, 3, 4]), r([3, 4, 5]), 'ShapeError', 'broadcast'),
    pair('int32 operands', r([2, 3], 'int32'), r([3, 4], 'int32'), 'DTypeError', 'int32'),
    pair('float32 with float64', r([2, 3]), r([3, 4], 'float64'), 'DTypeError', 'float64'),
    pair('bool operands', r([2, 3], 'bool'), r([3, 4], 'bool'), 'DTypeError', 'matmul'),
    pair('0-d left operand', r([]), r([3]), 'ShapeError', 'at least 1 dimension'),
    pair('0-d right operand', r([3, 4]), r([]), 'ShapeError', 'at least 1 dimension'),
  ];
}

export const matmulSpecs: OpSpec[] = [{ name: 'matmul', tier: 'T3', samples, errors }];
