import type { DType } from '../../dtype.js';
import { logSoftmax, softmax } from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { coordsOf, flatOf, randomRef, ref } from '../reference.js';

// ── Independent float64 reference ──────────────────────────────────────────

/**
 * Softmax or log-softmax along `dim` by the textbook stable formula: with
 * `m` the max of the slice, `x − m − log Σ exp(x − m)`. A slice of all −∞
 * has `m = −∞` and gives NaN, as in PyTorch.
 */
function softmaxReference(x: ReferenceTensor, dim: number, log: boolean): ReferenceTensor {
  const n = x.shape.length;
  const data = new Float64Array(x.data.length);
  if (n === 0) {
    // The softmax of one value is 1 (its log 0).
    data.fill(log ? 0 : 1);
    return { shape: [], data, dtype: x.dtype };
  }
  const d = dim < 0 ? dim + n : dim;
  const size = x.shape[d];
  for (let i = 0; i < x.data.length; i++) {
    const c = coordsOf(i, x.shape);
    const slice: number[] = [];
    for (let k = 0; k < size; k++) {
      c[d] = k;
      slice.push(x.data[flatOf(c, x.shape)]);
    }
    const m = slice.reduce((a, b) => Math.max(a, b), -Infinity); // NaN if the slice holds one
    let total = 0;
    for (const v of slice) total += Math.exp(v - m);
    const logValue = x.data[i] - m - Math.log(total);
    data[i] = log ? logValue : Math.exp(x.data[i] - m) / total;
  }
  return { shape: [...x.shape], data, dtype: x.dtype };
}

// ── Samples ────────────────────────────────────────────────────────────────

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

function softmaxSamples(log: boolean): (random: () => number) => OpSample[] {
  const op = log ? logSoftmax : softmax;
  return (random) => {
    const case_ = (name: string, value: ReferenceTensor, layout: Layout, dim: number): OpSample => ({
      name: `${name} ${layout}${value.dtype === 'float32' ? '' : ` ${value.dtype}`}, dim ${dim}`,
      inputs: [input(value, layout)],
      run: ([x]) => op(x, dim),
      reference: ([x]) => softmaxReference(x, dim, log),
    });
    const r = (shape: number[], dtype: DType = 'float32'): ReferenceTensor => randomRef(random, shape, dtype, -4, 4);
    const INF = Infinity;
    return [
      case_('[3,4]', r([3, 4]), 'contiguous', 0),
      case_('[3,4]', r([3, 4]), 'contiguous', 1),
      case_('[3,4]', r([3, 4]), 'transposed', -1),
      case_('[3,4]', r([3, 4]), 'transposed', 0),
      case_('[3,4]', r([3, 4]), 'strided', 1),
      case_('[3,4]', r([3, 4]), 'offset', -2),
      case_('[2,3,4]', r([2, 3, 4]), 'contiguous', 1),
      case_('[2,3,4]', r([2, 3, 4]), 'transposed', -1),
      case_('[2,3,4]', r([2, 3, 4]), 'offset', 0),
      case_('[5]', r([5]), 'strided', 0),
      case_('[1]', r([1]), 'contiguous', 0),
      case_('[3,1]', r([3, 1]), 'contiguous', 1),
      case_('[]', r([]), 'contiguous', 0),
      case_('[]', r([]), 'offset', -1),
      case_('[0,3]', r([0, 3]), 'contiguous', 1),
      case_('[3,0]', r([3, 0]), 'contiguous', 1),
      case_('[3,0]', r([3, 0]), 'contiguous', 0),
      case_('[3,4]', r([3, 4], 'float64'), 'contiguous', 1),
      case_('[6,1000] long rows', r([6, 1000]), 'contiguous', 1),
      case_('[1000,6] long columns', r([1000, 6]), 'transposed', 0),
      case_('large values [1000,1001,1002] stay finite', ref([3], [1000, 1001, 1002]), 'contiguous', 0),
      case_('large negative values', ref([3], [-1000, -1001, -1002]), 'contiguous', 0),
      case_('rows of large values', ref([2, 3], [1000, 1001, 1002, -5000, 0, 5000]), 'contiguous', 1),
      case_('−∞ entries', ref([2, 3], [-INF, 0, 1, 2, -INF, -INF]), 'contiguous', 1),
      case_('−∞ entries along dim 0', ref([2, 3], [-INF, 0, -INF, 2, -INF, 1]), 'contiguous', 0),
      case_('a row of all −∞ gives NaN', ref([2, 2], [-INF, -INF, 0, 1]), 'contiguous', 1),
      case_('NaN spreads through its row', ref([2, 2], [NaN, 1, 0, 1]), 'contiguous', 1),
    ];
  };
}

function errors(log: boolean): (random: () => number) => OpErrorCase[] {
  const op = log ? logSoftmax : softmax;
  return (random) => [
    { name: 'dim 2 of a [3,4] tensor', inputs: [input(randomRef(random, [3, 4]))], run: ([x]) => op(x, 2), kind: 'IndexError', message: 'out of range' },
    { name: 'dim -3 of a [3,4] tensor', inputs: [input(randomRef(random, [3, 4]))], run: ([x]) => op(x, -3), kind: 'IndexError', message: 'out of range' },
  ];
}

export const softmaxSpecs: OpSpec[] = [
  { name: 'softmax', tier: 'T3', samples: softmaxSamples(false), errors: errors(false) },
  { name: 'logSoftmax', tier: 'T3', samples: softmaxSamples(true), errors: errors(true) },
];
