import type { DType, TypedArray } from './dtype.js';
import type { Shape } from './shape.js';

const SUMMARIZE_ABOVE = 1000;
const EDGE_ITEMS = 3;

function floatFormatter(values: TypedArray): (v: number) => string {
  const finite = Array.from(values).filter(Number.isFinite);
  const integral = finite.every(Number.isInteger);
  const largest = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const smallest = finite.filter((v) => v !== 0).reduce((m, v) => Math.min(m, Math.abs(v)), Infinity);
  const scientific = largest >= 1e8 || (finite.length > 0 && smallest < 1e-4) || (largest / smallest > 1000 && !integral);
  return (v: number) => {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (scientific) return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
    if (integral) return `${v}.`;
    return v.toFixed(4);
  };
}

/**
 * Text of a tensor as PyTorch prints it: `tensor([[1., 2.],\n        [3., 4.]])`,
 * with the middle elided beyond 1000 elements and the dtype or device noted when not the default.
 */
export function formatTensor(values: TypedArray, shape: Shape, dtype: DType, device: string): string {
  const formatOne = dtype === 'bool' ? (v: number) => (v ? 'True' : 'False') : dtype === 'int32' ? String : floatFormatter(values);
  const summarize = values.length > SUMMARIZE_ABOVE;
  const strings = Array.from(values, (v) => formatOne(v));
  // PyTorch pads to the widest finite value; nan and inf may stick out.
  const width = strings.reduce((w, text, i) => (Number.isFinite(values[i]) ? Math.max(w, text.length) : w), 0);
  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const indent = 'tensor('.length;
  const render = (dim: number, base: number): string => {
    if (dim === shape.length) return strings[base].padStart(width);
    const size = shape[dim];
    const shown = summarize && size > 2 * EDGE_ITEMS ? [...range(0, EDGE_ITEMS), -1, ...range(size - EDGE_ITEMS, size)] : range(0, size);
    const parts = shown.map((i) => (i < 0 ? ' ...' : render(dim + 1, base + i * strides[dim])));
    if (dim === shape.length - 1) return `[${parts.join(', ')}]`;
    const separator = `,${'\n'.repeat(shape.length - dim - 1)}${' '.repeat(indent + dim + 1)}`;
    return `[${parts.join(separator)}]`;
  };
  const body = shape.length === 0 ? strings[0] : render(0, 0);
  const notes: string[] = [];
  if (shape.includes(0)) notes.push(`size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
  if (dtype !== 'float32' && dtype !== 'bool') notes.push(`dtype=${dtype}`);
  if (device !== 'cpu') notes.push(`device='${device}'`);
  return `tensor(${body}${notes.map((n) => `, ${n}`).join('')})`;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
