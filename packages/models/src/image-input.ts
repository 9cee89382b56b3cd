import { formatShape, ShapeError, type Tensor } from '@fathom/core';

/**
 * Throws a {@link ShapeError} naming the model unless `x` is an image batch
 * (N, channels, H, W) with H and W at least `minSize`: the smallest input for
 * which every pooling stage of the model still has a window to read.
 */
export function checkImageBatch(model: string, x: Tensor, channels: number, minSize = 1): void {
  if (x.ndim !== 4 || x.shape[1] !== channels || x.shape[2] < minSize || x.shape[3] < minSize) {
    const size = minSize > 1 ? ` with H, W ≥ ${minSize}` : '';
    throw new ShapeError(`${model}: input must be (N, ${channels}, H, W)${size}, got ${formatShape(x.shape)}`);
  }
}
