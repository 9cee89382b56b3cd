import type { Conv2dParams, View } from '@fathom/core/backend';
import { ParamLayout } from '../params.js';
import { WINDOW_FIELDS } from './window-fields.js';
import { bindingDeclarations } from './launch.js';

// The parameter block the convolution kernels share. Every index in them is
// NCHW / OIHW row-major.

/** A convolution's geometry: `total` counts what one launch covers; the offsets are the two inputs' first elements. */
export const GEOMETRY = new ParamLayout([
  { name: 'total', type: 'u32' },
  { name: 'batch', type: 'u32' },
  { name: 'inChannels', type: 'u32' },
  { name: 'inHeight', type: 'i32' },
  { name: 'inWidth', type: 'i32' },
  { name: 'outChannels', type: 'u32' },
  { name: 'outHeight', type: 'i32' },
  { name: 'outWidth', type: 'i32' },
  ...WINDOW_FIELDS,
  { name: 'groupIn', type: 'u32' },
  { name: 'groupOut', type: 'u32' },
  { name: 'firstOffset', type: 'u32' },
  { name: 'secondOffset', type: 'u32' },
]);

/** {@link GEOMETRY}'s values for one launch. */
export function geometry(p: Conv2dParams, total: number, first: View, second: View): Record<string, number> {
  return {
    total,
    batch: p.batch, inChannels: p.inChannels, inHeight: p.inHeight, inWidth: p.inWidth,
    outChannels: p.outChannels, outHeight: p.outHeight, outWidth: p.outWidth,
    kernelHeight: p.kernelHeight, kernelWidth: p.kernelWidth, strideHeight: p.strideHeight, strideWidth: p.strideWidth,
    padHeight: p.padHeight, padWidth: p.padWidth, dilationHeight: p.dilationHeight, dilationWidth: p.dilationWidth,
    groupIn: p.inChannels / p.groups, groupOut: p.outChannels / p.groups,
    firstOffset: first.offset, secondOffset: second.offset,
  };
}

/** Bindings of a convolution kernel: two float inputs, the output, and `layout`'s parameter block. */
export function declarations(first: string, second: string, layout: ParamLayout = GEOMETRY): string {
  return bindingDeclarations([
    { name: first, type: 'f32', access: 'read' },
    { name: second, type: 'f32', access: 'read' },
    { name: 'out', type: 'f32', access: 'read_write' },
  ], layout.wgsl());
}
