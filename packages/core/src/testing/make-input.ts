import type { Device } from '../device.js';
import type { DType, TypedArray } from '../dtype.js';
import { formatShape, narrow, select, slice, tensor, transpose, type Shape, type Tensor } from '../index.js';
import type { Layout, ReferenceTensor, SampleInput } from './op-spec.js';
import { coordsOf, flatOf, storable } from './reference.js';

// Written into the elements a view must skip, so a kernel that ignores strides
// or offsets reads something conspicuous (NaN spreads through float math).
function sentinel(dtype: DType): number {
  switch (dtype) {
    case 'float32':
    case 'float64': return Number.NaN;
    case 'int32': return -123456789;
    default: return 1;
  }
}

function typedArray(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'int32': return new Int32Array(length);
    default: return new Uint8Array(length);
  }
}

// A row-major tensor of `shape` whose element at `coords` is `valueAt(coords)`.
function build(shape: Shape, dtype: DType, device: Device, valueAt: (coords: number[]) => number): Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  const values = typedArray(dtype, size);
  for (let i = 0; i < size; i++) values[i] = storable(valueAt(coordsOf(i, shape)), dtype);
  return tensor(values, { shape, dtype, device });
}

// The view for `layout` over a freshly built base tensor. The base is disposed:
// the view holds the storage alone, so disposing the view frees everything.
function layOut(value: ReferenceTensor, layout: Layout, device: Device): Tensor {
  const { shape, dtype } = value;
  const ndim = shape.length;
  const at = (coords: readonly number[]): number => value.data[flatOf(coords, shape)];
  const fill = sentinel(dtype);
  if (layout === 'contiguous') return build(shape, dtype, device, at);
  let base: Tensor;
  let result: Tensor;
  if (layout === 'transposed') {
    if (ndim < 2) throw new Error(`makeInput: layout 'transposed' needs at least 2 dims, got ${formatShape(shape)}`);
    // Stored with the last two dims swapped, then swapped back by a view.
    const swapped = [...shape.slice(0, -2), shape[ndim - 1], shape[ndim - 2]];
    base = build(swapped, dtype, device, (c) => at([...c.slice(0, -2), c[ndim - 1], c[ndim - 2]]));
    result = transpose(base, -1, -2);
  } else if (layout === 'strided') {
    if (ndim < 1) throw new Error(`makeInput: layout 'strided' needs at least 1 dim, got a 0-d shape`);
    // Every other element of a tensor twice as long in the last dim.
    const doubled = [...shape.slice(0, -1), shape[ndim - 1] * 2];
    base = build(doubled, dtype, device, (c) => (c[ndim - 1] % 2 === 0 ? at([...c.slice(0, -1), c[ndim - 1] / 2]) : fill));
    result = slice(base, -1, 0, undefined, 2);
  } else if (ndim === 0) {
    // offset, 0-d: the second element of a 2-element tensor.
    base = build([2], dtype, device, (c) => (c[0] === 1 ? at([]) : fill));
    result = select(base, 0, 1);
  } else {
    // offset: the middle of a tensor with one extra row before and after in dim 0.
    const padded = [shape[0] + 2, ...shape.slice(1)];
    base = build(padded, dtype, device, (c) => (c[0] === 0 || c[0] === shape[0] + 1 ? fill : at([c[0] - 1, ...c.slice(1)])));
    result = narrow(base, 0, 1, shape[0]);
  }
  base.dispose();
  return result;
}

/**
 * Creates the tensor a sample input describes on `device`, through the public
 * API only (`tensor`, `transpose`, `slice`, `narrow`, `select`), with the
 * requested layout. Throws when the result does not have the layout's
 * property (a `transposed` or `strided` tensor that is contiguous anyway, an
 * `offset` view starting at element 0) — such a sample would not test what it
 * claims — or does not read back as exactly the input's values.
 */
export async function makeInput(input: SampleInput, device: Device): Promise<Tensor> {
  const layout = input.layout ?? 'contiguous';
  const { value } = input;
  const result = layOut(value, layout, device);
  const fail = (why: string): never => {
    result.dispose();
    throw new Error(`makeInput: ${layout} ${value.dtype} input ${formatShape(value.shape)}: ${why}`);
  };
  if ((layout === 'transposed' || layout === 'strided') && result.isContiguous()) {
    fail(`the view is contiguous (strides [${result.strides.join(',')}]); use a shape where this layout changes the strides`);
  }
  if (layout === 'offset' && result.offset === 0) fail('the view starts at element 0; use a non-empty shape');
  if (layout === 'contiguous' && !result.isContiguous()) fail('the tensor is not contiguous');
  if (result.shape.length !== value.shape.length || result.shape.some((d, i) => d !== value.shape[i])) {
    fail(`made shape ${formatShape(result.shape)}`);
  }
  if (result.dtype !== value.dtype) fail(`made dtype ${result.dtype}`);
  const read = await result.data();
  for (let i = 0; i < read.length; i++) {
    const expected = storable(value.data[i], value.dtype);
    const same = read[i] === expected || (Number.isNaN(read[i]) && Number.isNaN(expected));
    if (!same) fail(`element [${coordsOf(i, value.shape).join(',')}] reads ${read[i]}, expected ${expected}`);
  }
  if (read.length !== value.data.length) fail(`read ${read.length} values, expected ${value.data.length}`);
  return result;
}
