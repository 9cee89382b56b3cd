import { tensor, type Device, type Tensor } from '@fathom/core';
import { checkRawImage, type RawImage } from './raw-image.js';
import { withSpec, type Transform } from './transform.js';

/**
 * The pixels of an image as a `(C, H, W)` float32 tensor in `[0, 1]`.
 *
 * ```ts
 * imageToTensor(rawImage(new Uint8Array([255, 0, 0]), 1, 1, 3)); // [[[1]], [[0]], [[0]]]
 * ```
 */
export function imageToTensor(image: RawImage, device?: Device): Tensor {
  checkRawImage('toTensor', image);
  const { width, height, channels, data } = image;
  const plane = width * height;
  const out = new Float32Array(plane * channels); // (C, H, W)
  for (let c = 0; c < channels; c++) {
    const target = c * plane;
    for (let i = 0; i < plane; i++) out[target + i] = data[i * channels + c] / 255;
  }
  return tensor(out, { shape: [channels, height, width], device });
}

/**
 * Converts a {@link RawImage} (HWC bytes) to a `(C, H, W)` float32 tensor in
 * `[0, 1]` on the CPU, as torchvision's `ToTensor`: the transforms after it
 * run on the host, and the training loop moves each batch to its device
 * (`@fathom/train` does). Made on the default device, every sample cost a
 * copy to it and reads back (on wasm each one waited for the queued
 * training kernels: 20,000 such waits an epoch of the digits).
 *
 * ```ts
 * const t = compose(centerCrop(224), toTensor());
 * t(image).shape; // [3, 224, 224]
 * ```
 */
export function toTensor(): Transform<RawImage, Tensor> {
  return withSpec({ name: 'toTensor' }, (image: RawImage): Tensor => imageToTensor(image, 'cpu'));
}
