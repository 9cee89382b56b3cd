import { coversBuffer, type BackendBuffer } from '../backend.js';
import { isFloating } from '../dtype.js';
import { DTypeError, ShapeError } from '../errors.js';
import { gradientEngine } from '../gradient-hook.js';
import { formatShape, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkPerChannel, commonBackend } from './operand.js';
import { reshape } from './view.js';

/** What {@link channelAffine} adds to `x·scale`: a second input with its own per-channel scale, and a per-channel shift. */
export interface ChannelAffineOptions {
  /** A second input of `x`'s shape and its per-channel scale: `+ y·yScale[c]`. */
  readonly plus?: { readonly y: Tensor; readonly yScale: Tensor } | null;
  /** A per-channel value added last: `+ shift[c]`. */
  readonly shift?: Tensor | null;
}

/**
 * `x·scale[c] + y·yScale[c] + shift[c]` for each element of channel c (dim 1
 * of an (N, C, …) tensor), with `scale` (null: x unscaled), `yScale` and
 * `shift` of shape [C]: what BatchNorm's output and input gradient are made
 * of. Each product and sum is rounded in that order, as the separate `mul`
 * and `add` ops round them; a device with a fused kernel
 * (`Kernels.channelAffine`: cpu and wasm) does it in one pass, webgpu fuses
 * the separate ops itself. Differentiable: while gradients are recorded for
 * an input it runs as the separate, recorded ops.
 *
 * ```ts
 * channelAffine(x, invstd, { shift: bias }); // x·invstd[c] + bias[c]
 * ```
 */
export function channelAffine(x: Tensor, scale: Tensor | null, options: ChannelAffineOptions = {}): Tensor {
  const { plus = null, shift = null } = options;
  const inputs = [x, ...(scale ? [scale] : []), ...(plus ? [plus.y, plus.yScale] : []), ...(shift ? [shift] : [])];
  const backend = commonBackend('channelAffine', inputs);
  check(x, scale, plus, shift);
  const fused = backend.kernels.channelAffine;
  const recording = gradientEngine()?.isRecording() === true && inputs.some((t) => t.requiresGrad);
  if (fused !== undefined && !recording && inputs.every((t) => coversBuffer(t.layout()))) {
    const out = x.newZeros(x.shape);
    const [outer, channels] = x.shape;
    const inner = x.numel / Math.max(outer * channels, 1);
    const bufferOf = (t: Tensor | null | undefined): BackendBuffer | null => (t ? t.storage.buffer : null);
    fused.call(backend.kernels, x.storage.buffer, bufferOf(scale), bufferOf(plus?.y), bufferOf(plus?.yScale), bufferOf(shift), out.storage.buffer, { outer, channels, inner });
    out.attributeTo('channelAffine');
    return out;
  }
  const perChannel = (t: Tensor): Tensor => reshape(t, x.shape.map((size, d) => (d === 1 ? size : 1)));
  if (!scale && !plus && !shift) return x.clone();
  let out = scale ? x.mul(perChannel(scale)) : x;
  if (plus) out = out.add(plus.y.mul(perChannel(plus.yScale)));
  return shift ? out.add(perChannel(shift)) : out;
}

function check(x: Tensor, scale: Tensor | null, plus: ChannelAffineOptions['plus'], shift: Tensor | null): void {
  if (x.ndim < 2) throw new ShapeError(`channelAffine: x must have a channel dim (N, C, …), got ${formatShape(x.shape)}`);
  if (!isFloating(x.dtype)) throw new DTypeError(`channelAffine: x must be a float tensor, got ${x.dtype}`);
  if (plus && plus.y.dtype !== x.dtype) throw new DTypeError(`channelAffine: y must be x's dtype (${x.dtype}), got ${plus.y.dtype}`);
  checkPerChannel('channelAffine', x, { scale, yScale: plus?.yScale, shift });
  if (plus && !sameShape(plus.y.shape, x.shape)) {
    throw new ShapeError(`channelAffine: y ${formatShape(plus.y.shape)} must have x's shape ${formatShape(x.shape)}`);
  }
}
