import type { ParamField } from '../params.js';

/** The parameter fields of a 2-D sliding window (convolution or pooling): its size, strides, padding and dilation. */
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
