import { contiguousStrides, sizeOf, type DType } from '@fathom/core';
import type { ArgReduceOp, BackendBuffer, BinaryOp, ReduceOp, View } from '@fathom/core/backend';
import { argReduceKernel, reduceKernel } from '../kernels/reduce.js';
import type { Block } from './block-plan.js';
import { walked, wholeView, type LargeKernels, type SplitOperand } from './large-kernels.js';

// How partial results of a split reduction combine, and what a reduction of nothing gives.
const COMBINE: Readonly<Record<ReduceOp, BinaryOp>> = { sum: 'add', prod: 'mul', max: 'maximum', min: 'minimum', all: 'logicalAnd', any: 'logicalOr' };

function identity(op: ReduceOp, dtype: DType): number {
  const int = dtype === 'int32';
  switch (op) {
    case 'sum': case 'any': return 0;
    case 'prod': case 'all': return 1;
    case 'max': return dtype === 'bool' ? 0 : int ? -2147483648 : -Infinity;
    case 'min': return dtype === 'bool' ? 1 : int ? 2147483647 : Infinity;
  }
}

// The output walked by the iteration over x: row-major over the kept dims, still along the reduced ones.
function outputOperand(out: BackendBuffer, shape: readonly number[], reduced: readonly number[]): SplitOperand {
  const dims = shape.map((_, d) => d).filter((d) => !reduced.includes(d));
  const own = contiguousStrides(dims.map((d) => shape[d]));
  const strides = shape.map((_, d) => (reduced.includes(d) ? 0 : own[dims.indexOf(d)]));
  return { view: wholeView(out, dims.map((d) => shape[d])), strides, dims };
}

function coversReduced(block: Block, shape: readonly number[], reduced: readonly number[]): boolean {
  return reduced.every((d) => block.shape[d] === shape[d]);
}

/** Kernels.reduce where a buffer is larger than one binding: blocks reduce on their own, partial results combine into `out`. */
export function largeReduce(large: LargeKernels, op: ReduceOp, x: View, dims: readonly number[], out: BackendBuffer): void {
  const outOperand = outputOperand(out, x.shape, dims);
  if (sizeOf(x.shape) === 0) return large.fill(out, identity(op, out.dtype));
  const operands = [walked(x), outOperand];
  const blocks = large.plan(op, x.shape, operands);
  const partial = blocks.some((block) => !coversReduced(block, x.shape, dims));
  if (partial) large.fill(out, identity(op, out.dtype));
  for (const block of blocks) {
    const view = large.restrict(operands[0], block, 0);
    const target = large.restrict(outOperand, block, null);
    if (!partial) {
      large.write(target, (buffer) => reduceKernel(large.run, op, view, dims, buffer));
      continue;
    }
    const result = large.run.allocate(out.dtype, sizeOf(target.shape));
    reduceKernel(large.run, op, view, dims, result);
    large.accumulate(COMBINE[op], target, result);
    large.run.release(result);
  }
}

/**
 * Kernels.argReduce where a buffer is larger than one binding. Blocks split
 * along `dim` are met in increasing order per output element, each taking
 * over only where strictly better (or the first NaN), so the first extreme
 * index wins as on one block.
 */
export function largeArgReduce(large: LargeKernels, op: ArgReduceOp, x: View, dim: number, out: BackendBuffer): void {
  const outOperand = outputOperand(out, x.shape, [dim]);
  const operands = [walked(x), outOperand];
  const blocks = large.plan(op, x.shape, operands);
  if (blocks.every((block) => coversReduced(block, x.shape, [dim]))) {
    for (const block of blocks) {
      const view = large.restrict(operands[0], block, 0);
      large.write(large.restrict(outOperand, block, null), (buffer) => argReduceKernel(large.run, op, view, dim, buffer));
    }
    return;
  }
  const { run } = large;
  const dtype = x.buffer.dtype;
  const best = run.allocate(dtype, out.length);
  const bestOperand: SplitOperand = { ...outOperand, view: { ...outOperand.view, buffer: best } };
  large.fill(out, 0);
  large.fill(best, identity(op === 'argmax' ? 'max' : 'min', dtype));
  for (const block of blocks) {
    const view = large.restrict(operands[0], block, 0);
    const target = large.restrict(outOperand, block, null);
    const bestHere = large.restrict(bestOperand, block, null);
    const shape = target.shape;
    const size = sizeOf(shape);
    const temp = (type: DType): BackendBuffer => run.allocate(type, size);
    const local = temp('int32');
    argReduceKernel(run, op, view, dim, local);
    const value = temp(dtype);
    reduceKernel(run, op === 'argmax' ? 'max' : 'min', view, [dim], value);
    const shift = large.scalar('int32', block.origin[dim], shape);
    const index = temp('int32');
    large.binary('add', wholeView(local, shape), shift.view, index);
    const better = temp('bool');
    large.binary(op === 'argmax' ? 'gt' : 'lt', wholeView(value, shape), bestHere, better);
    const scratch = [local, shift.buffer, index, better];
    if (dtype === 'float32') {
      // NaN counts as the extreme, the first one found winning.
      const valueNaN = temp('bool');
      const bestNumber = temp('bool');
      const firstNaN = temp('bool');
      large.binary('ne', wholeView(value, shape), wholeView(value, shape), valueNaN);
      large.binary('eq', bestHere, bestHere, bestNumber);
      large.binary('logicalAnd', wholeView(valueNaN, shape), wholeView(bestNumber, shape), firstNaN);
      large.binary('logicalOr', wholeView(better, shape), wholeView(firstNaN, shape), valueNaN);
      large.copy(wholeView(valueNaN, shape), wholeView(better, shape));
      scratch.push(valueNaN, bestNumber, firstNaN);
    }
    const take = wholeView(better, shape);
    large.write(target, (buffer) => large.where(take, wholeView(index, shape), target, buffer));
    large.write(bestHere, (buffer) => large.where(take, wholeView(value, shape), bestHere, buffer));
    for (const buffer of [...scratch, value]) run.release(buffer);
  }
  run.release(best);
}
