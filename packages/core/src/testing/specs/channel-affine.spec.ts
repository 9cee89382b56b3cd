import type { DType } from '../../dtype.js';
import { channelAffine } from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { randomRef } from '../reference.js';

// ── Independent float64 reference ──────────────────────────────────────────

/** x·scale[c] + y·yScale[c] + shift[c] for each element of channel c (dim 1), in float64 (no scale: 1). */
function channelAffineReference(x: ReferenceTensor, scale: ReferenceTensor | null, y: ReferenceTensor | null, yScale: ReferenceTensor | null, shift: ReferenceTensor | null): ReferenceTensor {
  const channels = x.shape[1];
  const inner = x.shape.slice(2).reduce((p, s) => p * s, 1);
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    data[i] = x.data[i] * (scale ? scale.data[c] : 1) + (y && yScale ? y.data[i] * yScale.data[c] : 0) + (shift ? shift.data[c] : 0);
  }
  return { shape: x.shape, data, dtype: x.dtype };
}

// ── Samples ────────────────────────────────────────────────────────────────

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

function samples(random: () => number): OpSample[] {
  const case_ = (shape: number[], terms: { unscaled?: boolean; plus?: boolean; shift?: boolean }, layout: Layout = 'contiguous', dtype: DType = 'float32'): OpSample => {
    // Inputs in order: x, scale (unless unscaled), y and yScale (plus), shift.
    const values = [input(randomRef(random, shape, dtype), layout)];
    if (!terms.unscaled) values.push(input(randomRef(random, [shape[1]], dtype)));
    if (terms.plus) values.push(input(randomRef(random, shape, dtype), layout), input(randomRef(random, [shape[1]], dtype)));
    if (terms.shift) values.push(input(randomRef(random, [shape[1]], dtype)));
    const split = <T>([x, ...rest]: readonly T[]): { x: T; scale: T | null; y: T | null; yScale: T | null; shift: T | null } => {
      const scale = terms.unscaled ? null : (rest.shift() as T);
      const [y, yScale] = terms.plus ? [rest.shift() as T, rest.shift() as T] : [null, null];
      return { x, scale, y, yScale, shift: terms.shift ? (rest.shift() as T) : null };
    };
    const parts = [terms.plus ? 'plus y·yScale' : '', terms.shift ? 'plus shift' : ''].filter((p) => p !== '');
    return {
      name: `[${shape.join(',')}] ${layout}, ${terms.unscaled ? 'x' : 'x·scale'}${parts.length ? ` ${parts.join(', ')}` : ''}${dtype === 'float32' ? '' : ` ${dtype}`}`,
      inputs: values,
      run: (inputs) => {
        const { x, scale, y, yScale, shift } = split(inputs);
        return channelAffine(x, scale, { plus: y && yScale ? { y, yScale } : null, shift });
      },
      reference: (inputs) => {
        const { x, scale, y, yScale, shift } = split(inputs);
        return channelAffineReference(x, scale, y, yScale, shift);
      },
    };
  };
  return [
    case_([5, 3], { shift: true }),
    case_([2, 3, 4, 5], {}),
    case_([2, 3, 4, 5], { plus: true, shift: true }),
    case_([4, 7, 9], { plus: true }),
    case_([3, 1, 2, 2], { plus: true, shift: true }),
    case_([2, 3, 4, 5], { unscaled: true, plus: true, shift: true }),
    case_([4, 5, 3], { unscaled: true, shift: true }),
    // Views, not whole buffers: the separate ops' path on every device.
    case_([2, 3, 4, 5], { plus: true, shift: true }, 'transposed'),
    case_([2, 3, 4, 6], { shift: true }, 'strided'),
    // A BatchNorm's layer: split over two threads on a threaded device.
    case_([16, 64, 16, 16], { unscaled: true, plus: true, shift: true }),
    case_([2, 3, 4, 5], { plus: true, shift: true }, 'contiguous', 'float64'),
  ];
}

function errors(random: () => number): OpErrorCase[] {
  const r = (shape: number[], dtype: DType = 'float32'): SampleInput => input(randomRef(random, shape, dtype));
  return [
    { name: 'scale of the wrong length', inputs: [r([2, 3, 4]), r([4])], run: ([x, s]) => channelAffine(x, s), kind: 'ShapeError', message: 'scale must have shape [3]' },
    { name: 'y of another shape', inputs: [r([2, 3, 4]), r([3]), r([2, 3, 5]), r([3])], run: ([x, s, y, t]) => channelAffine(x, s, { plus: { y, yScale: t } }), kind: 'ShapeError', message: "must have x's shape" },
    { name: 'no channel dim', inputs: [r([6]), r([6])], run: ([x, s]) => channelAffine(x, s), kind: 'ShapeError', message: 'channel dim' },
    { name: 'int32 shift', inputs: [r([2, 3]), r([3]), r([3], 'int32')], run: ([x, s, u]) => channelAffine(x, s, { shift: u }), kind: 'DTypeError', message: 'int32' },
    { name: 'int32 x', inputs: [r([2, 3], 'int32'), r([3], 'int32')], run: ([x, s]) => channelAffine(x, s), kind: 'DTypeError', message: 'x must be a float tensor' },
    { name: 'float64 y beside float32 x', inputs: [r([2, 3, 4]), r([3]), r([2, 3, 4], 'float64'), r([3])], run: ([x, s, y, t]) => channelAffine(x, s, { plus: { y, yScale: t } }), kind: 'DTypeError', message: "y must be x's dtype (float32)" },
  ];
}

export const channelAffineSpecs: OpSpec[] = [{ name: 'channelAffine', tier: 'T1', samples, errors }];
