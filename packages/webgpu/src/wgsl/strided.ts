// Generic strided indexing. Kernels receive each operand as a view (shape,
// strides, offset) in their parameter block; the shader turns a flat output
// index into per-operand element offsets with the rank fixed at generation,
// so the loop over dims is unrolled.

import type { ParamField } from '../params.js';

/** The most dims a strided kernel handles after merging contiguous dims (PyTorch caps CUDA kernels at 25; 8 covers every use here). */
export const MAX_RANK = 8;

/** Parameter fields for a `rank`-d iteration shape and each operand's strides and offset: `shape`, `<name>Strides`, `<name>Offset`. */
export function stridedFields(rank: number, operands: readonly string[], shapeName = 'shape'): ParamField[] {
  return [
    { name: shapeName, type: 'u32', length: rank },
    ...operands.flatMap((name): ParamField[] => [
      { name: `${name}Strides`, type: 'i32', length: rank },
      { name: `${name}Offset`, type: 'u32' },
    ]),
  ];
}

/**
 * WGSL statements that declare `let <name>At: u32` for each operand: the
 * element offset of flat index `index` (row-major over `p.<shapeName>`).
 */
export function stridedOffsets(rank: number, operands: readonly string[], index: string, shapeName = 'shape', prefix = ''): string {
  const lines = [`var ${prefix}rest = ${index};`];
  for (const name of operands) lines.push(`var ${name}${prefix}Offset = i32(p.${name}Offset);`);
  for (let d = rank - 1; d >= 0; d--) {
    // What is left of the index at dim 0 is its coordinate: no division (a contiguous operand, rank 1 once merged, needs none).
    lines.push(d === 0
      ? `{ let coord = i32(${prefix}rest);`
      : `{ let size = p.${shapeName}[${d}]; let coord = i32(${prefix}rest % size); ${prefix}rest = ${prefix}rest / size;`);
    for (const name of operands) lines.push(`  ${name}${prefix}Offset += coord * p.${name}Strides[${d}];`);
    lines.push('}');
  }
  for (const name of operands) lines.push(`let ${name}${prefix}At = u32(${name}${prefix}Offset);`);
  return lines.join('\n  ');
}
