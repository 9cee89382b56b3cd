import { ShapeError, ValueError, isTensorLike, scope, tensor, type Tensor } from '@fathom/core';
import { withSpec, type Transform } from './transform.js';

/** The per-channel mean of ImageNet's training images (RGB, in `[0, 1]`), as torchvision uses. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** The per-channel standard deviation of ImageNet's training images (RGB, in `[0, 1]`), as torchvision uses. */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/**
 * Normalises a `(…, C, H, W)` float tensor channel by channel,
 * `(x − mean[c]) / std[c]`, as torchvision's `Normalize`.
 *
 * ```ts
 * const t = compose(toTensor(), normalize(IMAGENET_MEAN, IMAGENET_STD));
 * ```
 */
export function normalize(mean: readonly number[], std: readonly number[]): Transform<Tensor, Tensor> {
  const op = 'normalize';
  if (mean.length === 0 || mean.length !== std.length) {
    throw new ValueError(`${op}: mean and std need one value per channel, got ${mean.length} and ${std.length}`);
  }
  if (!mean.every(Number.isFinite)) throw new ValueError(`${op}: mean must be finite numbers, got [${mean.join(', ')}]`);
  if (!std.every((s) => Number.isFinite(s) && s !== 0)) throw new ValueError(`${op}: std must be finite and non-zero, got [${std.join(', ')}]`);
  const channels = mean.length;
  return withSpec({ name: 'normalize', options: { mean: [...mean], std: [...std] } }, (input: Tensor): Tensor => {
    if (!isTensorLike(input)) throw new ValueError(`${op}: expects a tensor (…, C, H, W); put toTensor() before it`);
    if (input.ndim < 3 || input.shape[input.ndim - 3] !== channels) {
      throw new ShapeError(`${op}: expects (…, ${channels}, H, W) for ${channels} channels, got [${input.shape.join(', ')}]`);
    }
    if (input.backend.capabilities.syncRead && (input.dtype === 'float32' || input.dtype === 'float64')) {
      // On a device that reads synchronously (the CPU), one pass over the values beats two broadcast ops.
      const values = input.dataSync();
      const out = input.dtype === 'float32' ? new Float32Array(values.length) : new Float64Array(values.length);
      const plane = input.shape[input.ndim - 1] * input.shape[input.ndim - 2];
      for (let start = 0, c = 0; start < values.length; start += plane, c = (c + 1) % channels) {
        const shift = mean[c];
        const spread = std[c];
        for (let i = start; i < start + plane; i++) out[i] = (values[i] - shift) / spread;
      }
      return tensor(out, { shape: input.shape, device: input.device });
    }
    return scope(() => {
      const m = tensor(Float32Array.from(mean), { shape: [channels, 1, 1], device: input.device }).cast(input.dtype);
      const s = tensor(Float32Array.from(std), { shape: [channels, 1, 1], device: input.device }).cast(input.dtype);
      return input.sub(m).div(s);
    });
  });
}
