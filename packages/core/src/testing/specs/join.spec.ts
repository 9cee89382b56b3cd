import type { DType } from '../../dtype.js';
import { cat, stack } from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { coordsOf, flatOf, randomRef, ref, storable } from '../reference.js';

// ── Independent float64 references ─────────────────────────────────────────

// PyTorch's promotion among Fathom's dtypes is a chain: bool < int32 < float32 < float64.
const RANK: Readonly<Record<DType, number>> = { bool: 0, int32: 1, float32: 2, float64: 3 };
const promoted = (dtypes: readonly DType[]): DType => dtypes.reduce((a, b) => (RANK[b] > RANK[a] ? b : a));

/**
 * `torch.cat`: the parts laid end to end along `dim`, skipping 1-D empty
 * tensors (PyTorch's legacy rule), values converted to the promoted dtype.
 */
function catReference(tensors: readonly ReferenceTensor[], dim: number): ReferenceTensor {
  const dtype = promoted(tensors.map((t) => t.dtype));
  const parts = tensors.filter((t) => !(t.shape.length === 1 && t.shape[0] === 0));
  if (parts.length === 0) return { shape: [0], data: new Float64Array(0), dtype };
  const d = dim < 0 ? dim + parts[0].shape.length : dim;
  const shape = [...parts[0].shape];
  shape[d] = parts.reduce((total, t) => total + t.shape[d], 0);
  const data = new Float64Array(shape.reduce((p, s) => p * s, 1));
  for (let i = 0; i < data.length; i++) {
    const c = coordsOf(i, shape);
    let along = c[d];
    let k = 0;
    while (along >= parts[k].shape[d]) along -= parts[k++].shape[d];
    c[d] = along;
    data[i] = storable(parts[k].data[flatOf(c, parts[k].shape)], dtype);
  }
  return { shape, data, dtype };
}

/** `torch.stack`: each tensor gains a size-1 dim at `dim`, then they are concatenated there. */
function stackReference(tensors: readonly ReferenceTensor[], dim: number): ReferenceTensor {
  const ndim = tensors[0].shape.length + 1;
  const d = dim < 0 ? dim + ndim : dim;
  return catReference(tensors.map((t) => ({ ...t, shape: [...t.shape.slice(0, d), 1, ...t.shape.slice(d)] })), d);
}

// ── Samples ────────────────────────────────────────────────────────────────

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

function join(op: 'cat' | 'stack', name: string, inputs: SampleInput[], dim: number): OpSample {
  return {
    name: `${name}, dim ${dim}`,
    inputs,
    run: (tensors) => (op === 'cat' ? cat(tensors, dim) : stack(tensors, dim)),
    reference: (values) => (op === 'cat' ? catReference(values, dim) : stackReference(values, dim)),
  };
}

function catSamples(random: () => number): OpSample[] {
  const r = (shape: number[], dtype: DType = 'float32'): ReferenceTensor => randomRef(random, shape, dtype, -9, 9);
  const sample = (name: string, inputs: SampleInput[], dim: number): OpSample => join('cat', name, inputs, dim);
  return [
    sample('[2,3] and [4,3]', [input(r([2, 3])), input(r([4, 3]))], 0),
    sample('[2,3], [2,1] and [2,0]', [input(r([2, 3])), input(r([2, 1])), input(r([2, 0]))], 1),
    sample('three 3-D tensors', [input(r([2, 3, 1])), input(r([2, 3, 4])), input(r([2, 3, 2]))], -1),
    sample('3-D along the middle', [input(r([2, 1, 4])), input(r([2, 3, 4]))], 1),
    sample('3-D along dim -3', [input(r([1, 3, 4])), input(r([2, 3, 4]))], -3),
    sample('one tensor', [input(r([3, 4]))], 0),
    sample('1-D', [input(r([3])), input(r([1])), input(r([5]))], 0),
    sample('transposed, strided and offset inputs', [input(r([3, 4]), 'transposed'), input(r([2, 4]), 'strided'), input(r([1, 4]), 'offset')], 0),
    sample('transposed and strided inputs along dim 1', [input(r([3, 4]), 'transposed'), input(r([3, 2]), 'strided')], 1),
    sample('transposed 3-D inputs', [input(r([2, 3, 4]), 'transposed'), input(r([2, 3, 4]), 'offset')], -1),
    sample('int32 and float32 promote to float32', [input(r([2, 3], 'int32')), input(r([1, 3]))], 0),
    sample('bool and int32 promote to int32', [input(r([2, 3], 'bool')), input(r([2, 2], 'int32'))], 1),
    sample('float32 and float64 promote to float64', [input(r([2, 3])), input(r([2, 3], 'float64'))], 0),
    sample('bool and bool stay bool', [input(r([2], 'bool')), input(r([3], 'bool'))], 0),
    sample('empty 1-D tensors are skipped', [input(r([0])), input(r([2, 3])), input(r([0]))], 1),
    sample('a skipped empty float64 tensor still takes part in promotion', [input(r([0], 'float64')), input(r([2, 3]))], 0),
    sample('only empty 1-D tensors', [input(r([0])), input(r([0]))], 0),
    sample('empty parts [0,3] and [2,3]', [input(r([0, 3])), input(r([2, 3])), input(r([0, 3]))], 0),
    sample('all parts empty [2,0]', [input(r([2, 0])), input(r([2, 0]))], 1),
  ];
}

function stackSamples(random: () => number): OpSample[] {
  const r = (shape: number[], dtype: DType = 'float32'): ReferenceTensor => randomRef(random, shape, dtype, -9, 9);
  const three = (shape: number[], layouts: Layout[] = ['contiguous', 'contiguous', 'contiguous']): SampleInput[] =>
    layouts.map((layout) => input(r(shape), layout));
  const sample = (name: string, inputs: SampleInput[], dim: number): OpSample => join('stack', name, inputs, dim);
  return [
    sample('three [2,3]', three([2, 3]), 0),
    sample('three [2,3]', three([2, 3]), 1),
    sample('three [2,3]', three([2, 3]), 2),
    sample('three [2,3]', three([2, 3]), -1),
    sample('transposed, strided and offset [3,4]', three([3, 4], ['transposed', 'strided', 'offset']), 0),
    sample('transposed, strided and offset [3,4]', three([3, 4], ['transposed', 'strided', 'offset']), -1),
    sample('0-d tensors', three([]), 0),
    sample('0-d tensors', three([]), -1),
    sample('one tensor', [input(r([2, 3]))], 1),
    sample('[0,3] tensors', three([0, 3]), 1),
    sample('[0] tensors', three([0]), 0),
    sample('int32 and float32 promote to float32', [input(r([4], 'int32')), input(r([4]))], 0),
  ];
}

function failing(name: string, inputs: SampleInput[], run: OpErrorCase['run'], kind: OpErrorCase['kind'], message: string): OpErrorCase {
  return { name, inputs, run, kind, message };
}

function catErrors(random: () => number): OpErrorCase[] {
  const r = (shape: number[]): SampleInput => input(randomRef(random, shape));
  return [
    failing('[2,3] and [2,4] along dim 0', [r([2, 3]), r([2, 4])], (t) => cat(t, 0), 'ShapeError', 'cat'),
    failing('[2,3] and [2,3,1]', [r([2, 3]), r([2, 3, 1])], (t) => cat(t, 0), 'ShapeError', 'cat'),
    failing('[2,3] and [3] (not empty)', [r([2, 3]), r([3])], (t) => cat(t, 0), 'ShapeError', 'cat'),
    failing('an empty list', [], () => cat([], 0), 'ValueError', 'non-empty'),
    failing('dim 2 of 2-D tensors', [r([2, 3]), r([2, 3])], (t) => cat(t, 2), 'IndexError', 'out of range'),
  ];
}

function stackErrors(random: () => number): OpErrorCase[] {
  const r = (shape: number[]): SampleInput => input(randomRef(random, shape));
  return [
    failing('[2,3] and [3,2]', [r([2, 3]), r([3, 2])], (t) => stack(t, 0), 'ShapeError', 'stack'),
    failing('[2,3] and [2,3,1]', [r([2, 3]), r([2, 3, 1])], (t) => stack(t, 0), 'ShapeError', 'stack'),
    failing('an empty list', [], () => stack([], 0), 'ValueError', 'non-empty'),
    failing('dim 3 of 2-D tensors', [r([2, 3]), r([2, 3])], (t) => stack(t, 3), 'IndexError', 'out of range'),
  ];
}

export const joinSpecs: OpSpec[] = [
  { name: 'cat', tier: 'T1', samples: catSamples, errors: catErrors },
  { name: 'stack', tier: 'T1', samples: stackSamples, errors: stackErrors },
];
