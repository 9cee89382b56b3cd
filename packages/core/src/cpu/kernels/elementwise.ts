import type { BackendBuffer, BinaryOp, UnaryOp, UnaryParams, View } from '../../backend.js';
import { contiguousStrides } from '../../shape.js';
import type { CpuBuffer } from '../cpu-buffer.js';
import { erf } from '../erf.js';
import { forEachRow } from '../strided.js';

const data = (buffer: BackendBuffer) => (buffer as CpuBuffer).data;

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

const UNARY: Record<UnaryOp, (x: number, p: UnaryParams) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN),
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  reciprocal: (x) => 1 / x,
  square: (x) => x * x,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid,
  relu: (x) => (x > 0 || x !== x ? x : 0),
  gelu: (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)),
  softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  silu: (x) => x * sigmoid(x),
  erf,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  logicalNot: (x) => (x === 0 ? 1 : 0),
  leakyRelu: (x, p) => (x > 0 ? x : p.alpha * x),
  elu: (x, p) => (x > 0 ? x : p.alpha * Math.expm1(x)),
  clamp: (x, p) => {
    const low = x < p.min ? p.min : x;
    return low > p.max ? p.max : low;
  },
};

const truthy = (x: number): boolean => x !== 0;

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  // C99 and PyTorch: 1^y = 1 for any y, and (-1)^±∞ = 1; Math.pow gives NaN for both.
  pow: (a, b) => (a === 1 || (a === -1 && (b === Infinity || b === -Infinity)) ? 1 : Math.pow(a, b)),
  maximum: (a, b) => (a > b || a !== a ? a : b),
  minimum: (a, b) => (a < b || a !== a ? a : b),
  eq: (a, b) => Number(a === b),
  ne: (a, b) => Number(a !== b),
  lt: (a, b) => Number(a < b),
  le: (a, b) => Number(a <= b),
  gt: (a, b) => Number(a > b),
  ge: (a, b) => Number(a >= b),
  logicalAnd: (a, b) => Number(truthy(a) && truthy(b)),
  logicalOr: (a, b) => Number(truthy(a) || truthy(b)),
  logicalXor: (a, b) => Number(truthy(a) !== truthy(b)),
  reluBackward: (a, b) => (b > 0 ? a : 0),
};

/** Kernels.fill: bool buffers store any nonzero value as 1. */
export function fillKernel(out: BackendBuffer, value: number): void {
  data(out).fill(out.dtype === 'bool' ? Number(value !== 0) : value);
}

/** Kernels.copy: strided to strided, converting dtype (into bool, nonzero and NaN become 1). */
export function copyKernel(src: View, dst: View): void {
  const from = data(src.buffer);
  const to = data(dst.buffer);
  const toBool = dst.buffer.dtype === 'bool' && src.buffer.dtype !== 'bool';
  forEachRow(src.shape, [src.strides, dst.strides], [src.offset, dst.offset], (o, n, s) => {
    let i = o[0];
    let j = o[1];
    const si = s[0];
    const sj = s[1];
    if (toBool) for (let k = 0; k < n; k++, i += si, j += sj) to[j] = from[i] !== 0 ? 1 : 0;
    else for (let k = 0; k < n; k++, i += si, j += sj) to[j] = from[i];
  });
}

/** Kernels.unary. */
export function unaryKernel(op: UnaryOp, x: View, out: BackendBuffer, params: UnaryParams): void {
  const f = UNARY[op];
  const from = data(x.buffer);
  const to = data(out);
  forEachRow(x.shape, [x.strides, contiguousStrides(x.shape)], [x.offset, 0], (o, n, s) => {
    let i = o[0];
    let j = o[1];
    const si = s[0];
    for (let k = 0; k < n; k++, i += si, j++) to[j] = f(from[i], params);
  });
}

/** Kernels.binary, with unrolled loops for the arithmetic that dominates training. */
export function binaryKernel(op: BinaryOp, a: View, b: View, out: BackendBuffer, alpha = 1): void {
  const left = data(a.buffer);
  const right = data(b.buffer);
  const to = data(out);
  const f = BINARY[op];
  if (alpha !== 1) {
    scaledKernel(op === 'sub' ? -1 : 1, a, b, out, alpha);
    return;
  }
  forEachRow(a.shape, [a.strides, b.strides, contiguousStrides(a.shape)], [a.offset, b.offset, 0], (o, n, s) => {
    let i = o[0];
    let j = o[1];
    let k = o[2];
    const si = s[0];
    const sj = s[1];
    switch (op) {
      case 'add': for (let c = 0; c < n; c++, i += si, j += sj, k++) to[k] = left[i] + right[j]; break;
      case 'sub': for (let c = 0; c < n; c++, i += si, j += sj, k++) to[k] = left[i] - right[j]; break;
      case 'mul': for (let c = 0; c < n; c++, i += si, j += sj, k++) to[k] = left[i] * right[j]; break;
      case 'div': for (let c = 0; c < n; c++, i += si, j += sj, k++) to[k] = left[i] / right[j]; break;
      default: for (let c = 0; c < n; c++, i += si, j += sj, k++) to[k] = f(left[i], right[j]);
    }
  });
}

// a ± alpha·b (sign ±1), the product rounded to the output's dtype before the sum as a float32 kernel rounds it.
function scaledKernel(sign: number, a: View, b: View, out: BackendBuffer, alpha: number): void {
  const left = data(a.buffer);
  const right = data(b.buffer);
  const to = data(out);
  const round = out.dtype === 'float32' ? Math.fround : (x: number): number => x;
  const scale = round(alpha);
  forEachRow(a.shape, [a.strides, b.strides, contiguousStrides(a.shape)], [a.offset, b.offset, 0], (o, n, s) => {
    for (let c = 0, i = o[0], j = o[1], k = o[2]; c < n; c++, i += s[0], j += s[1], k++) to[k] = left[i] + sign * round(scale * right[j]);
  });
}

/** Kernels.where. */
export function whereKernel(condition: View, a: View, b: View, out: BackendBuffer): void {
  const mask = data(condition.buffer);
  const left = data(a.buffer);
  const right = data(b.buffer);
  const to = data(out);
  forEachRow(
    a.shape,
    [condition.strides, a.strides, b.strides, contiguousStrides(a.shape)],
    [condition.offset, a.offset, b.offset, 0],
    (o, n, s) => {
      let m = o[0], i = o[1], j = o[2], k = o[3];
      for (let c = 0; c < n; c++, m += s[0], i += s[1], j += s[2], k++) to[k] = mask[m] ? left[i] : right[j];
    },
  );
}
