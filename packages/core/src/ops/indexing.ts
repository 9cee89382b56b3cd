import { DTypeError, IndexError, ShapeError, ValueError } from '../errors.js';
import { formatShape, normalizeDim } from '../shape.js';
import { recordOp, withoutRecording } from '../gradient-hook.js';
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { clone } from './copy.js';
import { commonBackend } from './operand.js';
import { expand, reshape, unsqueeze } from './view.js';
import { where } from './where.js';
import { checkValues } from '../capture/value-check.js';

function checkIndexDType(op: string, index: Tensor): void {
  if (index.dtype !== 'int32') throw new DTypeError(`${op}: index must be int32, got ${index.dtype}`);
}

// Out-of-range indices are reported where the device can read synchronously
// (cpu, wasm); a GPU backend would need a read-back in the middle of an op to check.
function checkIndexRange(op: string, index: Tensor, size: number, dim: number): void {
  if (index.numel === 0) return;
  checkValues(index, (values) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < 0 || v >= size) {
        throw new IndexError(`${op}: index ${v} is out of bounds for dimension ${dim} with size ${size}`);
      }
    }
  });
}

/**
 * `out[i][j][k] = x[index[i][j][k]][j][k]` for dim 0, and likewise for other
 * dims (`torch.gather`): `index` has the output's shape and no dim larger than `x`'s, except along `dim`.
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const backend = commonBackend('gather', [x, index]);
  checkIndexDType('gather', index);
  const d = normalizeDim('gather', dim, x.ndim);
  if (index.ndim !== x.ndim || index.shape.some((size, i) => i !== d && size > x.shape[i])) {
    throw new ShapeError(`gather: index ${formatShape(index.shape)} must have the dimensions of input ${formatShape(x.shape)} and be no larger outside dimension ${d}`);
  }
  checkIndexRange('gather', index, x.shape[d] ?? 1, d);
  const out = x.newZeros(index.shape);
  backend.kernels.gather(x.layout(), d, index.layout(), out.layout().buffer);
  return recordOp('gather', [x, index], out, { dim: d });
}

/** A copy of `x` with `src` added at `index` along `dim` (`torch.scatter_add`, out of place). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const backend = commonBackend('scatterAdd', [x, index, src]);
  checkIndexDType('scatterAdd', index);
  const d = normalizeDim('scatterAdd', dim, x.ndim);
  if (index.ndim !== x.ndim || src.ndim !== x.ndim || index.shape.some((size, i) => size > src.shape[i] || (i !== d && size > x.shape[i]))) {
    throw new ShapeError(`scatterAdd: index ${formatShape(index.shape)} must fit inside src ${formatShape(src.shape)} and, outside dimension ${d}, inside input ${formatShape(x.shape)}`);
  }
  if (src.dtype !== x.dtype) throw new DTypeError(`scatterAdd: src dtype ${src.dtype} differs from input dtype ${x.dtype}`);
  checkIndexRange('scatterAdd', index, x.shape[d] ?? 1, d);
  const out = withoutRecording(() => clone(x));
  backend.kernels.scatterAdd(out.layout().buffer, out.shape, d, index.layout(), src.layout());
  return recordOp('scatterAdd', [x, index, src], out, { dim: d });
}

/** The entries of `x` at positions `index` (1-D int32) along `dim` (`torch.index_select`). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndexDType('indexSelect', index);
  if (index.ndim > 1) throw new ShapeError(`indexSelect: index must be 1-D, got ${formatShape(index.shape)}`);
  const d = normalizeDim('indexSelect', dim, x.ndim);
  return scope(() => {
    // gather with the index broadcast (stride 0) over every other dim: no copy of the index.
    const shape = x.shape.map((size, i) => (i === d ? index.numel : size));
    const lined = reshape(index, x.shape.map((_, i) => (i === d ? index.numel : 1)));
    return gather(x, d, expand(lined, shape));
  });
}

/**
 * Rows of `weight` (V, D) picked by integer `indices` of any shape: the result
 * has shape `[...indices.shape, D]` (`torch.nn.functional.embedding`).
 */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  if (weight.ndim !== 2) throw new ShapeError(`embedding: weight must be 2-D (num_embeddings, embedding_dim), got ${formatShape(weight.shape)}`);
  return scope(() => reshape(indexSelect(weight, 0, reshape(indices, [-1])), [...indices.shape, weight.shape[1]]));
}

/** One-hot int32 encoding with a new last dim of `numClasses` (which, unlike PyTorch, must be given: inferring it would need a read-back). */
export function oneHot(indices: Tensor, numClasses: number): Tensor {
  checkIndexDType('oneHot', indices);
  if (!Number.isInteger(numClasses) || numClasses <= 0) throw new ValueError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  checkIndexRange('oneHot', indices, numClasses, indices.ndim);
  return scope(() => {
    const classes = indices.newTensor(Array.from({ length: numClasses }, (_, i) => i), [numClasses], 'int32');
    return unsqueeze(indices, -1).eq(classes).int();
  });
}

function triangle(op: 'triu' | 'tril', x: Tensor, diagonal: number): Tensor {
  if (x.ndim < 2) throw new ShapeError(`${op}: expects at least 2 dimensions, got ${formatShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new ValueError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const rows = x.shape[x.ndim - 2];
  const cols = x.shape[x.ndim - 1];
  return scope(() => {
    const mask = new Array<number>(rows * cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) mask[i * cols + j] = Number(op === 'triu' ? j - i >= diagonal : j - i <= diagonal);
    }
    return where(x.newTensor(mask, [rows, cols], 'bool'), x, x.newZeros([]));
  });
}

/** Keeps elements on and above the `diagonal`-th diagonal of the last two dims; zeroes the rest. */
export const triu = (x: Tensor, diagonal = 0): Tensor => triangle('triu', x, diagonal);
/** Keeps elements on and below the `diagonal`-th diagonal of the last two dims; zeroes the rest. */
export const tril = (x: Tensor, diagonal = 0): Tensor => triangle('tril', x, diagonal);
