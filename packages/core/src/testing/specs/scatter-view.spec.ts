import { selectScatter, sliceScatter } from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { coordsOf, flatOf, randomRef } from '../reference.js';

// ── Independent float64 reference ──────────────────────────────────────────

/** `base` with the elements whose coordinate along `dim` is `start + k·step` (k < src's size) replaced by `src`. */
function scatterReference(base: ReferenceTensor, src: ReferenceTensor, dim: number, start: number, step: number, dropDim: boolean): ReferenceTensor {
  const data = Float64Array.from(base.data);
  for (let i = 0; i < src.data.length; i++) {
    const c = coordsOf(i, src.shape);
    const target = dropDim ? [...c.slice(0, dim), start, ...c.slice(dim)] : c.map((v, d) => (d === dim ? start + v * step : v));
    data[flatOf(target, base.shape)] = src.data[i];
  }
  return { shape: base.shape, data, dtype: base.dtype };
}

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

function sliceSamples(random: () => number): OpSample[] {
  const case_ = (shape: number[], layout: Layout, dim: number, start: number, end: number, step: number): OpSample => {
    const srcShape = shape.map((s, d) => (d === dim ? Math.ceil((end - start) / step) : s));
    return {
      name: `[${shape.join(',')}] ${layout}, dim ${dim}, ${start}:${end}:${step}`,
      inputs: [input(randomRef(random, shape), layout), input(randomRef(random, srcShape))],
      run: ([base, src]) => sliceScatter(base, src, dim, start, end, step),
      reference: ([base, src]) => scatterReference(base, src, dim, start, step, false),
    };
  };
  return [
    case_([6], 'contiguous', 0, 1, 4, 1),
    case_([6], 'strided', 0, 0, 6, 2),
    case_([4, 5], 'contiguous', 1, 1, 5, 3),
    case_([4, 5], 'transposed', 0, 2, 4, 1),
    case_([2, 3, 4], 'offset', 2, 0, 0, 1),
  ];
}

function selectSamples(random: () => number): OpSample[] {
  const case_ = (shape: number[], layout: Layout, dim: number, index: number): OpSample => ({
    name: `[${shape.join(',')}] ${layout}, dim ${dim}, index ${index}`,
    inputs: [input(randomRef(random, shape), layout), input(randomRef(random, shape.filter((_, d) => d !== dim)))],
    run: ([base, src]) => selectScatter(base, src, dim, index),
    reference: ([base, src]) => scatterReference(base, src, dim, index, 1, true),
  });
  return [case_([5], 'contiguous', 0, 3), case_([3, 4], 'contiguous', 1, 0), case_([3, 4], 'transposed', 0, 2), case_([2, 3, 4], 'strided', 2, 3)];
}

const errors = (random: () => number): OpErrorCase[] => [
  {
    name: 'src of the wrong shape',
    inputs: [input(randomRef(random, [4, 5])), input(randomRef(random, [4, 2]))],
    run: ([base, src]) => sliceScatter(base, src, 1, 0, 3),
    kind: 'ShapeError',
    message: 'must have the shape of the window',
  },
];

/** `sliceScatter` and `selectScatter`: out-of-place writes into a slice, the gradients of slice and select. */
export const scatterViewSpecs: OpSpec[] = [
  { name: 'sliceScatter', tier: 'T1', samples: sliceSamples, errors },
  { name: 'selectScatter', tier: 'T1', samples: selectSamples },
];
