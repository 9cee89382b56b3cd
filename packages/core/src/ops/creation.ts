import { getBackend, type Device } from '../device.js';
import { allocateArray, isFloating, type DType, type TypedArray } from '../dtype.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { defaultGenerator, type Generator } from '../random/generator.js';
import { randomAt } from '../random/philox.js';
import { checkShape, formatShape, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Where and as what a new tensor is created. */
export interface CreationOptions {
  /** Default: float32 (int32 for integer data in {@link tensor}, {@link arange} of integers, {@link randint}). */
  readonly dtype?: DType;
  /** Default: the default device (see `useDevice`). */
  readonly device?: Device;
  /** Track gradients from the start, as PyTorch's `requires_grad=True` (float dtypes; needs `useAutograd()`). */
  readonly requiresGrad?: boolean;
}

/** {@link CreationOptions} plus the generator random ops draw from (default: the one `manualSeed` seeds). */
export interface RandomOptions extends CreationOptions {
  readonly generator?: Generator;
}

/** Nested arrays of numbers or booleans, as accepted by {@link tensor}. */
export type TensorData = number | boolean | readonly TensorData[];

const CREATION_KEYS = ['dtype', 'device', 'requiresGrad'];
const RANDOM_KEYS = [...CREATION_KEYS, 'generator'];

/** Throws on an option `op` does not take: a misspelt key (`requires_grad`, `dtpye`) would otherwise be ignored. */
function checkOptions(op: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new ValueError(`${op}: unknown option '${key}' (it takes ${known.join(', ')})`);
  }
}

/** `out` with gradient tracking on where asked, once its values are in. */
function finished(out: Tensor, options: CreationOptions): Tensor {
  if (options.requiresGrad) out.requiresGrad = true;
  return out;
}

function empty(shape: Shape, dtype: DType, options: CreationOptions, op: string): Tensor {
  return Tensor.empty(getBackend(options.device), shape, dtype, op);
}

function fromValues(values: ArrayLike<number>, shape: Shape, dtype: DType, options: CreationOptions, op: string): Tensor {
  const out = empty(shape, dtype, options, op);
  // A typed array of the dtype's own kind is uploaded as it is (upload copies), sparing a
  // second full-size copy: loading a 392 MB weight then costs its bytes once, not twice.
  const array = isArrayOf(values, dtype) ? values : allocateArray(dtype, values.length);
  if (array !== values) for (let i = 0; i < values.length; i++) array[i] = values[i];
  out.backend.upload(out.storage.buffer, array);
  return out;
}

function isArrayOf(values: ArrayLike<number>, dtype: DType): values is TypedArray {
  switch (dtype) {
    case 'float32': return values instanceof Float32Array;
    case 'float64': return values instanceof Float64Array;
    case 'int32': return values instanceof Int32Array;
    case 'bool': return values instanceof Uint8Array;
  }
}

function inferData(data: TensorData, shape: number[], values: number[], depth: number, state: { sawNumber: boolean }): void {
  if (Array.isArray(data)) {
    if (shape.length === depth) shape.push(data.length);
    else if (shape[depth] !== data.length) {
      throw new ShapeError(`tensor: ragged nested array: expected ${shape[depth]} elements at depth ${depth}, got ${data.length}`);
    }
    for (const item of data) inferData(item, shape, values, depth + 1, state);
    return;
  }
  if (depth < shape.length) throw new ShapeError(`tensor: ragged nested array: found a number at depth ${depth}, expected an array`);
  if (typeof data === 'number') {
    state.sawNumber = true;
  } else if (typeof data !== 'boolean') throw new DTypeError(`tensor: expected numbers or booleans, got ${typeof data}`);
  values.push(Number(data));
}

/**
 * A tensor from nested arrays or a typed array. Numbers give float32 and
 * booleans bool unless `dtype` says otherwise; unlike PyTorch, `1` and `1.0`
 * are the same JavaScript number, so integers need `{ dtype: 'int32' }` (or an
 * Int32Array). Typed arrays keep their own dtype.
 *
 * ```ts
 * tensor([[1, 2], [3, 4]]);                       // float32 [2, 2]
 * tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] });
 * ```
 */
export function tensor(data: TensorData | ArrayLike<number>, options: CreationOptions & { readonly shape?: Shape } = {}): Tensor {
  checkOptions('tensor', options, [...CREATION_KEYS, 'shape']);
  if (ArrayBuffer.isView(data)) {
    const values = data as unknown as ArrayLike<number>;
    const shape = options.shape ?? [values.length];
    if (sizeOf(shape) !== values.length) throw new ShapeError(`tensor: ${values.length} values do not fill shape ${formatShape(shape)}`);
    const dtype = options.dtype ?? (data instanceof Float64Array ? 'float64' : data instanceof Int32Array ? 'int32' : data instanceof Uint8Array ? 'bool' : 'float32');
    return finished(fromValues(values, shape, dtype, options, 'tensor'), options);
  }
  const shape: number[] = [];
  const values: number[] = [];
  const state = { sawNumber: false };
  inferData(data as TensorData, shape, values, 0, state);
  // A number met before a sibling array (tensor([1, [2, 3]])) passes the depth checks; the count does not.
  if (sizeOf(shape) !== values.length) throw new ShapeError(`tensor: ragged nested array: shape ${formatShape(shape)} does not hold ${values.length} values`);
  if (options.shape && sizeOf(options.shape) !== values.length) {
    throw new ShapeError(`tensor: ${values.length} values do not fill shape ${formatShape(options.shape)}`);
  }
  const inferred: DType = state.sawNumber || values.length === 0 ? 'float32' : 'bool';
  return finished(fromValues(values, options.shape ?? shape, options.dtype ?? inferred, options, 'tensor'), options);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, options: CreationOptions = {}): Tensor {
  checkShape('full', shape);
  checkOptions('full', options, CREATION_KEYS);
  const out = empty(shape, options.dtype ?? 'float32', options, 'full');
  if (value !== 0) out.backend.kernels.fill(out.storage.buffer, value);
  return finished(out, options);
}

/** A tensor of `shape` filled with zeros. */
export const zeros = (shape: Shape, options: CreationOptions = {}): Tensor => full(shape, 0, options);
/** A tensor of `shape` filled with ones. */
export const ones = (shape: Shape, options: CreationOptions = {}): Tensor => full(shape, 1, options);
/** Zeros shaped like `x` (same dtype and device unless given). */
export const zerosLike = (x: Tensor, options: CreationOptions = {}): Tensor => full(x.shape, 0, { dtype: x.dtype, device: x.device, ...options });
/** Ones shaped like `x` (same dtype and device unless given). */
export const onesLike = (x: Tensor, options: CreationOptions = {}): Tensor => full(x.shape, 1, { dtype: x.dtype, device: x.device, ...options });
/** `value` shaped like `x` (same dtype and device unless given). */
export const fullLike = (x: Tensor, value: number, options: CreationOptions = {}): Tensor => full(x.shape, value, { dtype: x.dtype, device: x.device, ...options });

/**
 * Values `start, start + step, …` below `end`; `arange(n)` is `0 … n−1`. Integer
 * arguments give int32, as in PyTorch.
 */
export function arange(start: number, end?: number, step = 1, options: CreationOptions = {}): Tensor {
  checkOptions('arange', options, CREATION_KEYS);
  const [from, to] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be finite and nonzero, got ${step}`);
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new ValueError(`arange: bounds must be finite, got ${from} and ${to}`);
  if ((to - from) * step < 0) throw new ValueError(`arange: step ${step} moves away from end ${to} (start ${from})`);
  const count = Math.max(0, Math.ceil((to - from) / step));
  const dtype = options.dtype ?? ([from, to, step].every(Number.isInteger) ? 'int32' : 'float32');
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = from + i * step;
  return finished(fromValues(values, [count], dtype, options, 'arange'), options);
}

/** `steps` evenly spaced values from `start` to `end` inclusive. */
export function linspace(start: number, end: number, steps: number, options: CreationOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`linspace: steps must be a non-negative integer, got ${steps}`);
  checkOptions('linspace', options, CREATION_KEYS);
  const values = new Float64Array(steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill the second half from the end, as PyTorch does, so the last value is exactly `end`.
  for (let i = 0; i < steps; i++) values[i] = i < steps / 2 ? start + i * delta : end - (steps - 1 - i) * delta;
  return finished(fromValues(values, [steps], options.dtype ?? 'float32', options, 'linspace'), options);
}

/** An `n × m` matrix with ones on the diagonal (`m` defaults to `n`). */
export function eye(n: number, m = n, options: CreationOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  checkOptions('eye', options, CREATION_KEYS);
  const values = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return finished(fromValues(values, [n, m], options.dtype ?? 'float32', options, 'eye'), options);
}

function random(op: string, shape: Shape, distribution: 'uniform' | 'normal', a: number, b: number, options: RandomOptions): Tensor {
  checkShape(op, shape);
  checkOptions(op, options, RANDOM_KEYS);
  const dtype = options.dtype ?? 'float32';
  if (!isFloating(dtype)) throw new DTypeError(`${op}: dtype must be float32 or float64, got ${dtype}`);
  const generator = options.generator ?? defaultGenerator;
  const out = empty(shape, dtype, options, op);
  const offset = generator.reserve(sizeOf(shape));
  out.backend.kernels.randomFill(out.storage.buffer, { distribution, seed: generator.key, offset, a, b });
  return finished(out, options);
}

/** Uniform samples from [0, 1), reproducible from `manualSeed` on every backend. */
export const rand = (shape: Shape, options: RandomOptions = {}): Tensor => random('rand', shape, 'uniform', 0, 1, options);
/** Standard normal samples, reproducible from `manualSeed` on every backend. */
export const randn = (shape: Shape, options: RandomOptions = {}): Tensor => random('randn', shape, 'normal', 0, 1, options);
/** Uniform samples from [low, high). */
export const uniform = (shape: Shape, low: number, high: number, options: RandomOptions = {}): Tensor => random('uniform', shape, 'uniform', low, high, options);
/** Normal samples with the given mean and standard deviation. */
export const normal = (shape: Shape, mean: number, std: number, options: RandomOptions = {}): Tensor => random('normal', shape, 'normal', mean, std, options);

/** Uniform integers from [low, high) as int32. */
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ValueError(`randint: needs integers low < high, got ${low} and ${high}`);
  }
  checkOptions('randint', options, RANDOM_KEYS);
  const u = random('randint', shape, 'uniform', 0, 1, { generator: options.generator, dtype: 'float64', device: 'cpu' });
  const values = u.dataSync();
  u.dispose();
  const ints = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) ints[i] = low + Math.floor(values[i] * (high - low));
  return finished(fromValues(ints, shape, options.dtype ?? 'int32', options, 'randint'), options);
}

/** A random permutation of `0 … n−1` (int32), drawn on the host so it is the same on every device. */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  checkShape('randperm', [n]);
  checkOptions('randperm', options, RANDOM_KEYS);
  const generator = options.generator ?? defaultGenerator;
  const [k0, k1] = generator.key;
  const offset = generator.reserve(n);
  const words = new Uint32Array(4);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Fisher–Yates from the end, one Philox draw per step.
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(randomAt('uniform', k0, k1, offset + i, words) * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return finished(fromValues(order, [n], options.dtype ?? 'int32', options, 'randperm'), options);
}

/** Samples 1 with probability `p` (a tensor of probabilities, as `torch.bernoulli`), else 0, in `p`'s dtype and device. */
export function bernoulli(p: Tensor, options: { readonly generator?: Generator } = {}): Tensor {
  if (!isFloating(p.dtype)) throw new DTypeError(`bernoulli: probabilities must be float, got ${p.dtype}`);
  checkOptions('bernoulli', options, ['generator']);
  const u = random('bernoulli', p.shape, 'uniform', 0, 1, { dtype: p.dtype, device: p.device, generator: options.generator });
  const hits = u.lt(p);
  const out = hits.cast(p.dtype);
  u.dispose();
  hits.dispose();
  return out;
}
