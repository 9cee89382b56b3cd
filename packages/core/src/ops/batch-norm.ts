import { coversBuffer, type BackendBuffer, type BatchNormParams } from '../backend.js';
import { isFloating } from '../dtype.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { gradientEngine, withoutRecording } from '../gradient-hook.js';
import { formatShape, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { channelAffine } from './channel-affine.js';
import { checkPerChannel, commonBackend } from './operand.js';
import { reshape } from './view.js';

/** What {@link batchNormTrain} returns: the normalized output and the statistics it used. */
export interface BatchNormTrainResult {
  /** `(x − mean)·weight/√(variance + eps) + bias`, `x`'s shape. */
  readonly output: Tensor;
  /** Each channel's mean (C). */
  readonly mean: Tensor;
  /** Each channel's biased variance (C). */
  readonly variance: Tensor;
}

/** Running statistics {@link batchNormTrain} moves towards this batch's, in place (a BatchNorm layer's buffers). */
export interface BatchNormRunningStatistics {
  /** Running mean (C). */
  readonly mean: Tensor;
  /** Running variance (C), moved towards the unbiased batch variance. */
  readonly variance: Tensor;
  /** Weight of this batch's statistics, in [0, 1]: `running·(1 − momentum) + momentum·statistic`. */
  readonly momentum: number;
}

/** What {@link batchNormTrainBackward} returns. */
export interface BatchNormTrainGradients {
  /** The input's gradient, or null where it was not asked for. */
  readonly gradInput: Tensor | null;
  /** Σ grad·x̂ per channel (C): the weight's gradient. */
  readonly gradWeight: Tensor;
  /** Σ grad per channel (C): the bias's gradient. */
  readonly gradBias: Tensor;
}

/**
 * Training-mode batch normalization over dim 1 of an (N, C, …) tensor, with
 * this batch's statistics (PyTorch's `native_batch_norm`): each channel's
 * mean and biased variance over its N·… elements, and
 * `(x − mean)·weight/√(variance + eps) + bias` (`weight`, `bias` of shape
 * [C] or null). A device with the fused kernel (`Kernels.batchNorm`: cpu and
 * wasm) makes it in one call; elsewhere it runs as separate ops, which are
 * recorded, so gradients flow through them while gradients are recorded for
 * an input. With `running`, its statistics move towards this batch's in
 * place, as PyTorch's `native_batch_norm` moves a layer's buffers (in the
 * same call where the device fuses it). The BatchNorm layers call it inside
 * their own graph node, with {@link batchNormTrainBackward} as its gradient.
 *
 * ```ts
 * const { output, mean, variance } = batchNormTrain(x, gamma, beta, 1e-5);
 * ```
 */
export function batchNormTrain(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number, running: BatchNormRunningStatistics | null = null): BatchNormTrainResult {
  const affine = [weight, bias].filter((t): t is Tensor => t !== null);
  const buffers = running ? [running.mean, running.variance] : [];
  const backend = commonBackend('batchNormTrain', [x, ...affine, ...buffers]);
  const params = check('batchNormTrain', x, { weight, bias, 'running mean': running?.mean ?? null, 'running variance': running?.variance ?? null }, eps);
  if (running && !(running.momentum >= 0 && running.momentum <= 1)) throw new ValueError(`batchNormTrain: momentum must be in [0, 1], got ${running.momentum}`);
  const fused = backend.kernels.batchNorm;
  const recording = gradientEngine()?.isRecording() === true && [x, ...affine].some((t) => t.requiresGrad);
  if (fused !== undefined && !recording && [x, ...affine, ...buffers].every((t) => coversBuffer(t.layout()))) {
    const output = x.newZeros(x.shape);
    const mean = x.newZeros([params.channels]);
    const variance = x.newZeros([params.channels]);
    fused.call(
      backend.kernels, x.storage.buffer, bufferOf(weight), bufferOf(bias), output.storage.buffer, mean.storage.buffer, variance.storage.buffer,
      bufferOf(running?.mean ?? null), bufferOf(running?.variance ?? null), { ...params, momentum: running?.momentum ?? 0 },
    );
    output.attributeTo('batchNorm');
    return { output, mean, variance };
  }
  const dims = reducedDims(x);
  const mean = x.mean(dims, true).reshape([params.channels]);
  const deviation = x.sub(reshape(mean, broadcastShape(x)));
  const variance = deviation.square().mean(dims);
  const invstd = variance.add(eps).rsqrt();
  const scale = weight ? invstd.mul(weight) : invstd;
  const output = channelAffine(deviation, scale, { shift: bias });
  if (running) updateRunningStatistics(running, mean, variance, params.outer * params.inner);
  return { output, mean, variance };
}

/**
 * Moves `running` towards a batch's `mean` and biased `variance` over
 * `count` elements a channel, in place: `running·(1 − momentum) +
 * momentum·statistic`, the variance unbiased by `count/(count − 1)` as
 * PyTorch's BatchNorm does. Never recorded for gradients.
 */
export function updateRunningStatistics(running: BatchNormRunningStatistics, mean: Tensor, variance: Tensor, count: number): void {
  const { momentum } = running;
  const unbiasing = count / Math.max(count - 1, 1);
  withoutRecording(() => {
    running.mean.copy_(running.mean.mul(1 - momentum).add(mean.detach(), { alpha: momentum }));
    running.variance.copy_(running.variance.mul(1 - momentum).add(variance.detach(), { alpha: momentum * unbiasing }));
  });
}

/**
 * The gradients of {@link batchNormTrain} from the output's gradient `grad`,
 * its input `x` and the `mean` and `variance` it returned (PyTorch's
 * `native_batch_norm_backward`), in closed form:
 *
 *   dx = scale·(grad − mean(grad) − x̂·mean(grad·x̂)),  dweight = Σ grad·x̂,  dbias = Σ grad,
 *
 * with x̂ = (x − mean)·invstd, invstd = 1/√(variance + eps) and scale =
 * invstd·weight. The input gradient only where `inputGrad` (default true).
 * One call on a device with the fused kernel (`Kernels.batchNormBackward`:
 * cpu and wasm), separate ops elsewhere. Not itself differentiable.
 */
export function batchNormTrainBackward(
  grad: Tensor, x: Tensor, mean: Tensor, variance: Tensor, weight: Tensor | null, eps: number, inputGrad = true,
): BatchNormTrainGradients {
  const tensors = [grad, x, mean, variance, ...(weight ? [weight] : [])];
  const backend = commonBackend('batchNormTrainBackward', tensors);
  const params = check('batchNormTrainBackward', x, { weight, mean, variance }, eps);
  if (!sameShape(grad.shape, x.shape)) {
    throw new ShapeError(`batchNormTrainBackward: grad ${formatShape(grad.shape)} must have x's shape ${formatShape(x.shape)}`);
  }
  if (grad.dtype !== x.dtype) throw new DTypeError(`batchNormTrainBackward: grad must be x's dtype (${x.dtype}), got ${grad.dtype}`);
  const fused = backend.kernels.batchNormBackward;
  if (fused !== undefined && tensors.every((t) => coversBuffer(t.layout()))) {
    const gradInput = inputGrad ? x.newZeros(x.shape) : null;
    const gradWeight = x.newZeros([params.channels]);
    const gradBias = x.newZeros([params.channels]);
    fused.call(
      backend.kernels, grad.storage.buffer, x.storage.buffer, mean.storage.buffer, variance.storage.buffer, bufferOf(weight),
      bufferOf(gradInput), gradWeight.storage.buffer, gradBias.storage.buffer, params,
    );
    gradInput?.attributeTo('batchNormBackward');
    return { gradInput, gradWeight, gradBias };
  }
  const dims = reducedDims(x);
  const count = x.numel / params.channels;
  const deviation = x.sub(reshape(mean, broadcastShape(x)));
  const invstd = variance.add(eps).rsqrt();
  const gradBias = grad.sum(dims); // Σ dy
  const gradWeight = grad.mul(deviation).sum(dims).mul(invstd); // Σ dy·x̂ = invstd·Σ dy·(x − mean)
  if (!inputGrad) return { gradInput: null, gradWeight, gradBias };
  const scale = weight ? invstd.mul(weight) : invstd;
  const normalizedWeight = invstd.mul(gradWeight.div(count)); // x̂·mean(dy·x̂) = (x − mean)·invstd·mean(dy·x̂)
  // (dy − (x − mean)·normalizedWeight − mean(dy))·scale, as one channelAffine.
  const gradInput = channelAffine(grad, scale, {
    plus: { y: deviation, yScale: normalizedWeight.mul(scale).neg() },
    shift: gradBias.div(count).mul(scale).neg(),
  });
  return { gradInput, gradWeight, gradBias };
}

const bufferOf = (t: Tensor | null): BackendBuffer | null => (t ? t.storage.buffer : null);

/** Every dim but the channels'. */
const reducedDims = (x: Tensor): number[] => x.shape.map((_, d) => d).filter((d) => d !== 1);

/** (1, C, 1, …): a channel's values against x. */
const broadcastShape = (x: Tensor): number[] => x.shape.map((size, d) => (d === 1 ? size : 1));

function check(op: string, x: Tensor, perChannel: Readonly<Record<string, Tensor | null>>, eps: number): BatchNormParams {
  if (x.ndim < 2) throw new ShapeError(`${op}: x must have a channel dim (N, C, …), got ${formatShape(x.shape)}`);
  if (!isFloating(x.dtype)) throw new DTypeError(`${op}: x must be a float tensor, got ${x.dtype}`);
  if (!Number.isFinite(eps) || eps < 0) throw new ValueError(`${op}: eps must be a finite number ≥ 0, got ${eps}`);
  const [outer, channels] = x.shape;
  const inner = x.numel / Math.max(outer * channels, 1);
  if (outer * inner === 0 && channels > 0) throw new ValueError(`${op}: x ${formatShape(x.shape)} has no elements per channel to take statistics over`);
  checkPerChannel(op, x, perChannel);
  return { outer, channels, inner, eps };
}
