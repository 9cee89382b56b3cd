import { DTypeError, ShapeError, sizeOf, type DType, type Shape } from '@fathom/core';
import type { BackendBuffer, View } from '@fathom/core/backend';
import { ParamLayout } from '../params.js';
import { storageType } from '../wgsl/storage-type.js';
import { MAX_RANK } from '../wgsl/strided.js';
import { bindingDeclarations, linearEntry, linearGrid, type KernelRunner } from './launch.js';

// gather and scatterAdd walk coordinates explicitly (the indexed dim cannot
// be merged with its neighbours), so a 0-d operand is handled as shape [1].

function indexLayout(rank: number): ParamLayout {
  return new ParamLayout([
    { name: 'total', type: 'u32' },
    { name: 'dim', type: 'u32' },
    { name: 'outShape', type: 'u32', length: rank },
    { name: 'indexShape', type: 'u32', length: rank },
    { name: 'indexStrides', type: 'i32', length: rank },
    { name: 'indexOffset', type: 'u32' },
    { name: 'valueStrides', type: 'i32', length: rank },
    { name: 'valueOffset', type: 'u32' },
  ]);
}

function atLeast1d(shape: Shape, strides: readonly number[]): { shape: number[]; strides: number[] } {
  return shape.length === 0 ? { shape: [1], strides: [0] } : { shape: [...shape], strides: [...strides] };
}

function checkRank(op: string, rank: number): void {
  if (rank > MAX_RANK) throw new ShapeError(`webgpu: ${op} handles at most ${MAX_RANK} dims, got ${rank}`);
}

/**
 * WGSL of gather: output element i sits at coordinates c of the index's
 * shape; it reads x at c with c[dim] replaced by index[c].
 */
export function gatherSource(dtype: DType, rank: number): string {
  const type = storageType(dtype, 'gather');
  const lines: string[] = ['var rest = i;', 'var indexAt = i32(p.indexOffset);', 'var valueAt = i32(p.valueOffset);'];
  for (let d = rank - 1; d >= 0; d--) {
    lines.push(`{ let coord = i32(rest % p.indexShape[${d}]); rest = rest / p.indexShape[${d}];`);
    lines.push(`  indexAt += coord * p.indexStrides[${d}];`);
    lines.push(`  if (p.dim != ${d}u) { valueAt += coord * p.valueStrides[${d}]; } }`);
  }
  lines.push('valueAt += index[u32(indexAt)] * p.valueStrides[p.dim];');
  lines.push('out[i] = x[u32(valueAt)];');
  return `${bindingDeclarations([
    { name: 'x', type, access: 'read' },
    { name: 'index', type: 'i32', access: 'read' },
    { name: 'out', type, access: 'read_write' },
  ], indexLayout(rank).wgsl())}
${linearEntry(lines.join('\n  '))}`;
}

/** Kernels.gather. */
export function gatherKernel(runner: KernelRunner, x: View, dim: number, index: View, out: BackendBuffer): void {
  const dtype = x.buffer.dtype;
  storageType(dtype, 'gather');
  if (index.buffer.dtype !== 'int32') throw new DTypeError(`webgpu: gather needs an int32 index, got ${index.buffer.dtype}`);
  const total = sizeOf(index.shape);
  if (total === 0) return;
  const indexView = atLeast1d(index.shape, index.strides);
  const valueView = atLeast1d(x.shape, x.strides);
  const rank = indexView.shape.length;
  checkRank('gather', rank);
  runner.launch({
    kernel: 'gather',
    key: { dtype, rank },
    source: () => gatherSource(dtype, rank),
    reads: [x.buffer, index.buffer],
    writes: [{ buffer: out, whole: true }],
    params: indexLayout(rank).pack({
      total, dim: index.shape.length === 0 ? 0 : dim, outShape: indexView.shape, indexShape: indexView.shape,
      indexStrides: indexView.strides, indexOffset: index.offset, valueStrides: valueView.strides, valueOffset: x.offset,
    }),
    workgroups: linearGrid(total, runner),
  });
}

/**
 * WGSL of scatterAdd as a gather: output element i (coordinates c) adds, in
 * index order, every src[c with c[dim] = j] whose index[c with c[dim] = j]
 * is c[dim]. Each output element is written by one invocation, in the CPU
 * backend's order, so results are deterministic and need no float atomics.
 */
export function scatterAddSource(dtype: DType, rank: number): string {
  const type = storageType(dtype, 'scatterAdd');
  const lines: string[] = ['var rest = i;', 'var indexAt = i32(p.indexOffset);', 'var valueAt = i32(p.valueOffset);', 'var wanted = 0;'];
  for (let d = rank - 1; d >= 0; d--) {
    lines.push(`{ let coord = rest % p.outShape[${d}]; rest = rest / p.outShape[${d}];`);
    lines.push(`  if (p.dim == ${d}u) { wanted = i32(coord); } else {`);
    lines.push(`    if (coord >= p.indexShape[${d}]) { return; }`);
    lines.push(`    indexAt += i32(coord) * p.indexStrides[${d}]; valueAt += i32(coord) * p.valueStrides[${d}]; } }`);
  }
  lines.push(`var acc = out[i];
  let count = p.indexShape[p.dim];
  let indexStep = p.indexStrides[p.dim];
  let valueStep = p.valueStrides[p.dim];
  for (var j = 0u; j < count; j++) {
    if (index[u32(indexAt)] == wanted) { acc += src[u32(valueAt)]; }
    indexAt += indexStep;
    valueAt += valueStep;
  }
  out[i] = acc;`);
  return `${bindingDeclarations([
    { name: 'index', type: 'i32', access: 'read' },
    { name: 'src', type, access: 'read' },
    { name: 'out', type, access: 'read_write' },
  ], indexLayout(rank).wgsl())}
${linearEntry(lines.join('\n  '))}`;
}

/** Kernels.scatterAdd. */
export function scatterAddKernel(runner: KernelRunner, out: BackendBuffer, outShape: Shape, dim: number, index: View, src: View): void {
  const dtype = out.dtype;
  storageType(dtype, 'scatterAdd');
  if (index.buffer.dtype !== 'int32') throw new DTypeError(`webgpu: scatterAdd needs an int32 index, got ${index.buffer.dtype}`);
  if (src.buffer.dtype !== dtype) throw new DTypeError(`webgpu: scatterAdd adds ${src.buffer.dtype} into ${dtype}; cast first`);
  const total = sizeOf(outShape);
  const sources = sizeOf(index.shape);
  if (total === 0 || sources === 0) return;
  const indexView = atLeast1d(index.shape, index.strides);
  const srcView = atLeast1d(src.shape, src.strides);
  const shape = outShape.length === 0 ? [1] : [...outShape];
  const rank = shape.length;
  checkRank('scatterAdd', rank);
  runner.launch({
    kernel: 'scatterAdd',
    key: { dtype, rank },
    source: () => scatterAddSource(dtype, rank),
    reads: [index.buffer, src.buffer],
    writes: [{ buffer: out, whole: false }],
    params: indexLayout(rank).pack({
      total, dim: outShape.length === 0 ? 0 : dim, outShape: shape, indexShape: indexView.shape,
      indexStrides: indexView.strides, indexOffset: index.offset, valueStrides: srcView.strides, valueOffset: src.offset,
    }),
    workgroups: linearGrid(total, runner),
  });
}
