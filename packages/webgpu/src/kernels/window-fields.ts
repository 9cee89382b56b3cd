import type { Conv2dParams } from '@fathom/core/backend';
import type { ParamField } from '../params.js';

/** A 2-D sliding window (convolution or pooling): its size, strides, padding and dilation, as core names them. */
export type Window = Pick<Conv2dParams, 'kernelHeight' | 'kernelWidth' | 'strideHeight' | 'strideWidth' | 'padHeight' | 'padWidth' | 'dilationHeight' | 'dilationWidth'>;

/** The parameter fields of a {@link Window}, for a kernel that reads it at run time. */
export const WINDOW_FIELDS: readonly ParamField[] = [
  { name: 'kernelHeight', type: 'i32' },
  { name: 'kernelWidth', type: 'i32' },
  { name: 'strideHeight', type: 'i32' },
  { name: 'strideWidth', type: 'i32' },
  { name: 'padHeight', type: 'i32' },
  { name: 'padWidth', type: 'i32' },
  { name: 'dilationHeight', type: 'i32' },
  { name: 'dilationWidth', type: 'i32' },
];

/** `p`'s window alone: part of a pipeline key, for a kernel compiled for it. */
export function windowOf(p: Window): Window {
  return {
    kernelHeight: p.kernelHeight, kernelWidth: p.kernelWidth, strideHeight: p.strideHeight, strideWidth: p.strideWidth,
    padHeight: p.padHeight, padWidth: p.padWidth, dilationHeight: p.dilationHeight, dilationWidth: p.dilationWidth,
  };
}

/**
 * WGSL constants KH, KW, SH, SW, PH, PW, DH, DW of `w`: compiled in, the
 * window's loops have constant bounds (they unroll) and its divisions by a
 * stride become multiplications — few distinct windows occur in a network,
 * so few pipelines.
 */
export function windowConstants(w: Window): string {
  return `const KH = ${w.kernelHeight}; const KW = ${w.kernelWidth};
const SH = ${w.strideHeight}; const SW = ${w.strideWidth};
const PH = ${w.padHeight}; const PW = ${w.padWidth};
const DH = ${w.dilationHeight}; const DW = ${w.dilationWidth};`;
}
