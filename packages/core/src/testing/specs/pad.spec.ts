import type { DType } from '../../dtype.js';
import { pad } from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { coordsOf, flatOf, randomRef, storable } from '../reference.js';

// ── Independent float64 reference ──────────────────────────────────────────

/**
 * `torch.nn.functional.pad` in constant mode: `padding` holds (before, after)
 * pairs starting from the last dim; output element `c` reads input element
 * `c − before` along each padded dim, or `value` where that falls outside.
 * Negative amounts crop.
 */
function padReference(x: ReferenceTensor, padding: readonly number[], value: number): ReferenceTensor {
  const n = x.shape.length;
  const before = new Array<number>(n).fill(0);
  const shape = [...x.shape];
  for (let k = 0; k < padding.length / 2; k++) {
    const d = n - 1 - k;
    before[d] = padding[2 * k];
    shape[d] += padding[2 * k] + padding[2 * k + 1];
  }
  const data = new Float64Array(shape.reduce((p, s) => p * s, 1));
  for (let i = 0; i < data.length; i++) {
    const source = coordsOf(i, shape).map((c, d) => c - before[d]);
    const inside = source.every((c, d) => c >= 0 && c < x.shape[d]);
    data[i] = inside ? x.data[flatOf(source, x.shape)] : storable(value, x.dtype);
  }
  return { shape, data, dtype: x.dtype };
}

// ── Samples ────────────────────────────────────────────────────────────────

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

function samples(random: () => number): OpSample[] {
  const case_ = (shape: number[], layout: Layout, padding: number[], value?: number, dtype: DType = 'float32'): OpSample => ({
    name: `[${shape.join(',')}] ${layout}${dtype === 'float32' ? '' : ` ${dtype}`}, padding [${padding.join(',')}]${value === undefined ? '' : `, value ${value}`}`,
    inputs: [input(randomRef(random, shape, dtype, -9, 9), layout)],
    run: ([x]) => (value === undefined ? pad(x, padding) : pad(x, padding, value)),
    reference: ([x]) => padReference(x, padding, value ?? 0),
  });
  return [
    case_([3, 4], 'contiguous', [1, 1]),
    case_([3, 4], 'transposed', [1, 1]),
    case_([5], 'strided', [2, 0]),
    case_([2, 3, 4, 5], 'contiguous', [1, 2, 3, 0]),
    case_([2, 3, 4, 5], 'transposed', [1, 2, 3, 0]),
    case_([2, 3, 4, 5], 'offset', [0, 1, 1, 0, 2, 2]),
    case_([2, 3, 4, 5], 'strided', [1, 1, 1, 1, 1, 1, 1, 1]),
    case_([3, 4], 'contiguous', [-1, 1]),
    case_([3, 4], 'contiguous', [-1, -1, 1, -2]),
    case_([3, 4], 'transposed', [2, -3, -1, 0]),
    case_([3, 4], 'strided', [-4, 0]),
    case_([3, 4], 'contiguous', [1, 1], 2.5),
    case_([3, 4], 'offset', [0, 2, 1, 0], -Infinity),
    case_([3, 4], 'contiguous', [1, 1], 7, 'int32'),
    case_([3, 4], 'contiguous', [2, 1], 1, 'bool'),
    case_([3, 4], 'contiguous', [1, 1, 1, 1], 0.1, 'float64'),
    case_([3, 4], 'contiguous', [0, 0]),
    case_([3, 4], 'contiguous', []),
    case_([], 'contiguous', []),
    case_([0, 3], 'contiguous', [1, 1]),
    case_([0, 3], 'contiguous', [1, 1, 2, 0], 2.5),
    case_([0], 'contiguous', [2, 2], 2.5),
    case_([1], 'contiguous', [3, 0]),
  ];
}

function errors(random: () => number): OpErrorCase[] {
  const failing = (name: string, shape: number[], padding: number[], kind: OpErrorCase['kind'], message: string): OpErrorCase => ({
    name, inputs: [input(randomRef(random, shape))], run: ([x]) => pad(x, padding), kind, message,
  });
  return [
    failing('odd-length padding [1,1,1]', [3, 4], [1, 1, 1], 'ShapeError', 'pad'),
    failing('more pairs than dims', [4], [1, 1, 1, 1], 'ShapeError', 'pad'),
    failing('cropping below zero', [3], [-2, -2], 'ShapeError', 'below zero'),
  ];
}

export const padSpecs: OpSpec[] = [{ name: 'pad', tier: 'T1', samples, errors }];
