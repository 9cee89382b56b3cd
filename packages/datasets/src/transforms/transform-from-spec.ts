import { ValueError } from '@fathom/core';
import { centerCrop } from './center-crop.js';
import { colorJitter, type ColorJitterOptions } from './color-jitter.js';
import { normalize } from './normalize.js';
import { randomCrop, type RandomCropOptions } from './random-crop.js';
import { randomHorizontalFlip } from './random-horizontal-flip.js';
import { randomResizedCrop, type RandomResizedCropOptions } from './random-resized-crop.js';
import { resize, type ResizeOptions, type Size } from './resize.js';
import { toTensor } from './to-tensor.js';
import { compose, type Transform, type TransformSpec } from './transform.js';

/**
 * Rebuilds a built-in transform from its {@link TransformSpec} (what a worker
 * thread receives). Throws {@link ValueError} for a name it does not know.
 *
 * ```ts
 * const again = transformFromSpec(randomCrop(32, { padding: 4 }).spec!);
 * ```
 */
export function transformFromSpec(spec: TransformSpec): Transform<never, unknown> {
  const options = (spec.options ?? {}) as Record<string, unknown>;
  const sized = <O>(): { size: Size } & O => options as unknown as { size: Size } & O;
  switch (spec.name) {
    case 'compose':
      return compose(...(spec.options as TransformSpec[]).map(transformFromSpec));
    case 'toTensor':
      return toTensor();
    case 'normalize':
      return normalize(options.mean as number[], options.std as number[]);
    case 'resize': {
      const { size, ...rest } = sized<ResizeOptions>();
      return resize(size, rest);
    }
    case 'centerCrop':
      return centerCrop(options.size as Size);
    case 'randomCrop': {
      const { size, ...rest } = sized<RandomCropOptions>();
      return randomCrop(size, rest);
    }
    case 'randomResizedCrop': {
      const { size, ...rest } = sized<RandomResizedCropOptions>();
      return randomResizedCrop(size, rest);
    }
    case 'randomHorizontalFlip':
      return randomHorizontalFlip(options.p as number);
    case 'colorJitter':
      return colorJitter(options as ColorJitterOptions);
    default:
      throw new ValueError(`transformFromSpec: unknown transform '${spec.name}'`);
  }
}
