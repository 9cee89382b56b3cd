import { formatShape, randn, ShapeError, tensor, uniform as uniformRandom, normal as normalRandom, ValueError, type Generator, type Tensor } from '@fathom/core';
import { noGrad } from '@fathom/autograd';

// Every initializer fills its tensor in place (PyTorch's `nn.init.*_`) and returns it.

/** Nonlinearities {@link calculateGain} knows, PyTorch's names in camelCase. */
export type Nonlinearity = 'linear' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

/** The recommended gain for a nonlinearity (`torch.nn.init.calculate_gain`); `param` is leakyRelu's negative slope (default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv2d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    default: return 3 / 4;
  }
}

/** `[fanIn, fanOut]` of a weight: `in·receptive field` and `out·receptive field` (dims 1 and 0). */
export function fanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new ShapeError(`init: fan in and fan out need at least 2 dims, got ${formatShape(t.shape)}`);
  const receptive = t.shape.slice(2).reduce((p, d) => p * d, 1);
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

function fill(t: Tensor, values: Tensor): Tensor {
  noGrad(() => t.copy_(values));
  values.dispose();
  return t;
}

/** Options shared by the random initializers. */
export interface InitOptions {
  readonly generator?: Generator;
}

/** Fills with U(a, b). */
export function uniform(t: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  return fill(t, uniformRandom(t.shape, a, b, { dtype: t.dtype, device: t.device, generator: options.generator }));
}

/** Fills with N(mean, std²). */
export function normal(t: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  return fill(t, normalRandom(t.shape, mean, std, { dtype: t.dtype, device: t.device, generator: options.generator }));
}

/** Fills with `value`. */
export function constant(t: Tensor, value: number): Tensor {
  return fill(t, t.newFull(t.shape, value));
}

/** Fills with zeros. */
export const zeros = (t: Tensor): Tensor => constant(t, 0);
/** Fills with ones. */
export const ones = (t: Tensor): Tensor => constant(t, 1);

/** Glorot uniform: U(−b, b) with b = gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = fanInAndFanOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -bound, bound, options);
}

/** Glorot normal: N(0, std²) with std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = fanInAndFanOut(t);
  return normal(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), options);
}

/** Options of the Kaiming (He) initializers, PyTorch's defaults. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (0 for ReLU). */
  readonly a?: number;
  readonly mode?: 'fanIn' | 'fanOut';
  readonly nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, options: KaimingOptions): number {
  const [fanIn, fanOut] = fanInAndFanOut(t);
  const fan = (options.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  if (fan === 0) throw new ValueError(`init: cannot initialize an empty tensor ${formatShape(t.shape)}`);
  return calculateGain(options.nonlinearity ?? 'leakyRelu', options.a ?? 0) / Math.sqrt(fan);
}

/** He uniform: U(−b, b) with b = gain·√(3 / fan). */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform(t, -bound, bound, options);
}

/** He normal: N(0, (gain / √fan)²). */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd(t, options), options);
}

/**
 * A (semi-)orthogonal matrix (Saxe et al. 2013), as `nn.init.orthogonal_`:
 * the Q of a QR decomposition of a standard normal matrix, with the signs
 * that make R's diagonal positive, scaled by `gain`. Computed on the host.
 */
export function orthogonal(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  if (t.ndim < 2) throw new ShapeError(`orthogonal: needs at least 2 dims, got ${formatShape(t.shape)}`);
  const rows = t.shape[0];
  const cols = t.numel / rows;
  const [m, n] = rows < cols ? [cols, rows] : [rows, cols]; // orthonormalize the n columns of an m×n matrix
  const draw = randn([m, n], { dtype: 'float64', device: 'cpu', generator: options.generator });
  const a = Float64Array.from(draw.dataSync());
  draw.dispose();
  // Modified Gram–Schmidt on columns: R's diagonal comes out positive, the sign rule PyTorch applies.
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += a[i * n + k] * a[i * n + j];
      for (let i = 0; i < m; i++) a[i * n + j] -= dot * a[i * n + k];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[i * n + j] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) a[i * n + j] /= norm;
  }
  const q = tensor(a, { shape: [m, n], dtype: 'float64', device: 'cpu' });
  const oriented = rows < cols ? q.t().contiguous() : q;
  const values = oriented.mul(gain).reshape(t.shape).cast(t.dtype).to(t.device);
  if (oriented !== q) oriented.dispose();
  q.dispose();
  return fill(t, values);
}
