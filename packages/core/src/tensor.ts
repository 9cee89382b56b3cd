import type { Backend, View } from './backend.js';
import { getBackend, type Device } from './device.js';
import { allocateArray, isDType, isFloating, type DType, type TypedArray } from './dtype.js';
import { DeviceError, DTypeError, ReleasedTensorError, ShapeError, ValueError } from './errors.js';
import { gradientEngine, type BackwardOptions, type GradHook, type GradientEngine, type GradNode } from './gradient-hook.js';
import { formatTensor } from './format.js';
import { adoptIntoScope, brandTensorClass, keep } from './scope.js';
import { checkShape, contiguousStrides, formatShape, isContiguous, sizeOf, type Shape } from './shape.js';
import { Storage, statsFor } from './storage.js';
import { settleCollection } from './memory-pressure.js';
import * as ops from './ops/tensor-ops.js';
import type { Scalar } from './ops/operand.js';
import type { Conv2dOptions } from './ops/conv2d.js';
import type { VarianceOptions } from './ops/reduce.js';

// What ops' outputs are called until recordOp names their op (see Tensor.attributeTo).
const NEW_ZEROS = 'newZeros';

// The garbage collector is the last line of defence, not the plan: scopes and
// dispose() release promptly; this catches tensors nobody released. A tensor
// a scope holds cannot be collected (the scope references it), so it is
// registered only once no scope holds it: registering cost ~1 µs a tensor,
// ~4 % of a LeNet-5 training step, almost all for intermediates a scope frees.
const finalizer = new FinalizationRegistry<Storage>((storage) => {
  statsFor(storage.backend.name).tensors--;
  storage.drop('when the garbage collector reclaimed the last tensor using it', true);
});

/** Nested arrays of numbers, as `toArray()` returns them (a number for a 0-d tensor). */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional array on a device. Shape, dtype and device are runtime
 * values. Ops return new tensors at once (work may be queued on the device);
 * reading values is async: `await t.toArray()`, `await t.data()`, `await t.item()`.
 *
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * console.log(await x.matmul(x).sum().item()); // 54
 * ```
 */
export class Tensor {
  /** Sizes of the dimensions, outermost first. */
  readonly shape: Shape;
  /** Element strides of each dimension in the storage (0 for a broadcast dimension). */
  readonly strides: readonly number[];
  /** Element offset of `[0, 0, …]` in the storage. */
  readonly offset: number;
  /** The element type. */
  readonly dtype: DType;
  /** The name of the op that made this tensor (shown in errors and graphs). */
  readonly madeBy: string;
  /** The shared buffer this tensor views. */
  readonly storage: Storage;
  /** The gradient accumulated by `backward()` (leaves, and tensors that called {@link retainGrad}). */
  grad: Tensor | null = null;
  private releasedBecause: string | null = null;
  private requiresGradFlag = false;
  private node: GradNode | null = null;
  private watched = false;

  /** @internal Use the creation functions (`tensor`, `zeros`, …) or ops; this wraps an existing storage. */
  constructor(storage: Storage, shape: Shape, strides: readonly number[], offset: number, madeBy: string) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze([...strides]);
    this.offset = offset;
    this.dtype = storage.buffer.dtype;
    this.madeBy = madeBy;
    storage.retain(madeBy);
    statsFor(storage.backend.name).tensors++;
    if (!adoptIntoScope(this)) this.watchForCollection();
  }

  /**
   * @internal Hands this tensor to the garbage collector's finalizer, which
   * releases its storage if nobody does; called once no scope holds it.
   */
  watchForCollection(): void {
    if (this.watched || this.releasedBecause !== null) return;
    this.watched = true;
    finalizer.register(this, this.storage, this);
  }

  /**
   * @internal Names the op whose result this is: ops allocate their output
   * with `newZeros` before the op is known to anyone reading memory reports
   * or use-after-release errors.
   */
  attributeTo(op: string): void {
    if (this.madeBy !== NEW_ZEROS) return;
    (this as { madeBy: string }).madeBy = op;
    if (this.storage.madeBy === NEW_ZEROS) this.storage.madeBy = op;
  }

  /** A fresh contiguous tensor of `shape` on `backend`, zero-filled. */
  static empty(backend: Backend, shape: Shape, dtype: DType, madeBy: string): Tensor {
    checkShape(madeBy, shape);
    if (!backend.capabilities.dtypes.includes(dtype)) {
      throw new DeviceError(`${madeBy}: device '${backend.name}' does not support dtype ${dtype} (it supports ${backend.capabilities.dtypes.join(', ')})`);
    }
    const size = sizeOf(shape);
    if (size > backend.capabilities.maxBufferElements) {
      throw new ValueError(`${madeBy}: ${formatShape(shape)} has ${size} elements, more than device '${backend.name}' allows in one buffer (${backend.capabilities.maxBufferElements})`);
    }
    const storage = new Storage(backend, backend.allocate(dtype, size));
    return new Tensor(storage, shape, contiguousStrides(shape), 0, madeBy);
  }

  /** The backend that holds this tensor. */
  get backend(): Backend {
    return this.storage.backend;
  }

  /** The device name, e.g. `'cpu'`. */
  get device(): Device {
    return this.storage.backend.name;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get numel(): number {
    return sizeOf(this.shape);
  }

  /** The size of one dimension (negative counts from the end), or the whole shape — PyTorch's `size()`. */
  size(dim?: number): number | Shape {
    if (dim === undefined) return this.shape;
    return this.shape[ops.resolveDim('size', dim, this.ndim)];
  }

  /** Whether the elements are laid out row-major without gaps. */
  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** Whether the memory behind this tensor has been released. */
  get isReleased(): boolean {
    return this.releasedBecause !== null || this.storage.releasedBecause !== null;
  }

  /** @internal The kernel-facing geometry; throws {@link ReleasedTensorError} if released. */
  layout(): View {
    const reason = this.releasedBecause ?? this.storage.releasedBecause;
    if (reason !== null) {
      throw new ReleasedTensorError(
        `tensor ${formatShape(this.shape)} ${this.dtype} made by '${this.madeBy}' was released ${reason}; it cannot be used any more (return it from the scope or call keep() on it)`,
      );
    }
    return { buffer: this.storage.buffer, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  /** @internal Releases this tensor's hold on its storage, recording why for later errors. */
  release(reason: string): void {
    if (this.releasedBecause !== null) return;
    this.releasedBecause = reason;
    if (this.watched) finalizer.unregister(this);
    this.watched = false;
    statsFor(this.storage.backend.name).tensors--;
    this.storage.drop(reason);
  }

  /**
   * @internal Makes this tensor hold `source`'s data in place, as PyTorch's
   * `param.data = …`: `Module.to()` moves parameters this way, so an optimizer
   * built before the move still holds the live tensors. Only for leaves;
   * `source` is released.
   */
  setData(source: Tensor): void {
    this.layout();
    source.layout();
    if (this.node !== null) throw new ValueError(`setData: only a leaf tensor's data can be replaced; this one was made by '${this.madeBy}'`);
    const next = source.storage;
    next.retain(this.madeBy);
    statsFor(next.backend.name).tensors++;
    const watched = this.watched;
    if (watched) finalizer.unregister(this);
    statsFor(this.storage.backend.name).tensors--;
    this.storage.drop('when its tensor was given new data (Module.to() moved it)');
    Object.assign(this as { storage: Storage; shape: Shape; strides: readonly number[]; offset: number; dtype: DType }, {
      storage: next, shape: source.shape, strides: source.strides, offset: source.offset, dtype: source.dtype,
    });
    if (watched) finalizer.register(this, next, this);
    source.dispose();
  }

  /** Releases this tensor now (its storage goes back once no view uses it). Safe to call twice. */
  dispose(): void {
    this.release('by dispose()');
  }

  /** `using t = …` releases the tensor at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Exempts this tensor from the clean-up of enclosing scopes. */
  keep(): this {
    return keep(this);
  }

  // ── Gradients (recorded by @fathom/autograd through core's gradient hook) ──

  /** Whether gradients flow to this tensor. Setting it needs the autograd engine (`useAutograd()` from @fathom/autograd). */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  /** Turns gradient tracking on or off for a leaf (float tensors only; needs the autograd engine). */
  set requiresGrad(flag: boolean) {
    if (flag === this.requiresGradFlag) return;
    if (this.node !== null) {
      throw new ValueError(`requiresGrad: can only be changed on leaf tensors; this one was made by '${this.madeBy}' (use detach())`);
    }
    if (flag && !isFloating(this.dtype)) {
      throw new DTypeError(`requiresGrad: only float tensors can require gradients, this one is ${this.dtype}`);
    }
    if (flag && gradientEngine() === null) {
      throw new ValueError('requiresGrad: no gradient engine is installed; call useAutograd() from @fathom/autograd once at start-up');
    }
    this.requiresGradFlag = flag;
  }

  /** Sets {@link requiresGrad} and returns this tensor (PyTorch `requires_grad_`). */
  setRequiresGrad(flag = true): this {
    this.requiresGrad = flag;
    return this;
  }

  /** The graph node that made this tensor, or null for a leaf. */
  get gradFn(): GradNode | null {
    return this.node;
  }

  /** Whether this tensor was made by the user rather than by a recorded op. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** @internal Called by the gradient engine when it records the op that made this tensor. */
  attachGradNode(node: GradNode | null): void {
    this.node = node;
    this.requiresGradFlag = node !== null;
  }

  /** Computes gradients of this tensor (a scalar, or pass `gradient` of its shape) with respect to the leaves that require grad. */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    requireEngine('backward').backward(this, gradient, options);
  }

  /** Keeps this non-leaf tensor's gradient in `.grad` after backward. */
  retainGrad(): void {
    requireEngine('retainGrad').retainGrad(this);
  }

  /** Runs `hook` with this tensor's gradient during backward; a returned tensor replaces it. Returns a remover. */
  registerHook(hook: GradHook): () => void {
    return requireEngine('registerHook').registerHook(this, hook);
  }

  /**
   * Writes `src` (broadcast to this shape, converted to this dtype) into this
   * tensor's memory in place (PyTorch `copy_`): how optimizers update
   * parameters. Not recorded; refused on a tensor that requires grad while
   * gradients are being recorded (wrap the update in `noGrad`).
   */
  copy_(src: Tensor): this {
    if (this.requiresGradFlag && gradientEngine()?.isRecording()) {
      throw new ValueError('copy_: a tensor that requires grad cannot be changed in place while gradients are recorded; wrap the update in noGrad()');
    }
    ops.commonBackend('copy_', [this, src]);
    ops.broadcastShapes('copy_', src.shape, this.shape);
    if (src.ndim > this.ndim || src.shape.some((size, i) => size !== 1 && size !== this.shape[i - src.ndim + this.ndim])) {
      throw new ShapeError(`copy_: source ${formatShape(src.shape)} does not broadcast to ${formatShape(this.shape)}`);
    }
    this.backend.kernels.copy(ops.broadcastView(src, this.shape), this.layout());
    return this;
  }

  /** A tensor sharing this one's storage that is cut from the graph (no gradient flows through it). */
  detach(): Tensor {
    return this.asStrided(this.shape, this.strides, this.offset, 'detach');
  }

  // ── Reading ──────────────────────────────────────────────────────────────

  /** The elements in row-major order, as a typed array of the dtype (bool as 0/1 bytes). */
  async data(): Promise<TypedArray> {
    const compact = this.compacted();
    const values = await this.backend.read(compact.layout().buffer);
    if (compact !== this) compact.dispose();
    // A loop that reads its loss every N steps is where dead tensors get returned.
    await settleCollection();
    return values;
  }

  /** The elements as nested arrays (bools as 0/1 numbers; a number for a 0-d tensor). */
  async toArray(): Promise<NestedArray> {
    return nest(await this.data(), this.shape);
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.numel !== 1) throw new ValueError(`item: tensor ${formatShape(this.shape)} has ${this.numel} elements, item() needs exactly one`);
    return (await this.data())[0];
  }

  /** The elements synchronously, on backends that can (`capabilities.syncRead`, e.g. cpu); throws otherwise. */
  dataSync(): TypedArray {
    const read = this.backend.readSync;
    if (!read) throw new DeviceError(`dataSync: device '${this.device}' cannot read synchronously; use await t.data()`);
    const compact = this.compacted();
    const values = read.call(this.backend, compact.layout().buffer);
    if (compact !== this) compact.dispose();
    return values;
  }

  // This tensor if it covers its whole buffer in row-major order, else a compact copy.
  private compacted(): Tensor {
    const whole = this.offset === 0 && this.numel === this.storage.buffer.length && this.isContiguous();
    return whole ? this : ops.clone(this);
  }

  /** Prints like PyTorch: `tensor([[1., 2.], [3., 4.]])`. Values appear where the device reads synchronously. */
  toString(): string {
    if (this.isReleased) return `tensor(<released>, shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
    if (!this.backend.capabilities.syncRead) return `tensor(<on ${this.device}: await t.format()>, shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
    return formatTensor(this.dataSync(), this.shape, this.dtype, this.device);
  }

  /** The PyTorch-style text of {@link toString}, on any device. */
  async format(): Promise<string> {
    return formatTensor(await this.data(), this.shape, this.dtype, this.device);
  }

  // ── Construction on the same device ─────────────────────────────────────

  /** A zero-filled contiguous tensor on this tensor's device (PyTorch `new_zeros`). */
  newZeros(shape: Shape, dtype: DType = this.dtype): Tensor {
    return Tensor.empty(this.backend, shape, dtype, NEW_ZEROS);
  }

  /** A tensor filled with `value` on this tensor's device (PyTorch `new_full`). */
  newFull(shape: Shape, value: number, dtype: DType = this.dtype): Tensor {
    const out = Tensor.empty(this.backend, shape, dtype, 'newFull');
    if (value !== 0) this.backend.kernels.fill(out.storage.buffer, value);
    return out;
  }

  /** A tensor of the given values on this tensor's device (PyTorch `new_tensor`). */
  newTensor(values: ArrayLike<number>, shape: Shape, dtype: DType = this.dtype): Tensor {
    if (values.length !== sizeOf(shape)) {
      throw new ValueError(`newTensor: ${values.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`);
    }
    const out = Tensor.empty(this.backend, shape, dtype, 'newTensor');
    const array = allocateArray(dtype, values.length);
    for (let i = 0; i < values.length; i++) array[i] = values[i];
    this.backend.upload(out.storage.buffer, array);
    return out;
  }

  /** A view of the same storage with the given geometry (PyTorch `as_strided`); no bounds beyond the storage are allowed. */
  asStrided(shape: Shape, strides: readonly number[], offset = this.offset, madeBy = 'asStrided'): Tensor {
    this.layout();
    checkShape(madeBy, shape);
    if (strides.length !== shape.length) {
      throw new ValueError(`${madeBy}: ${strides.length} strides for shape ${formatShape(shape)}`);
    }
    if (sizeOf(shape) > 0) {
      let last = offset;
      for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * strides[i];
      if (offset < 0 || last >= this.storage.buffer.length || strides.some((s) => s < 0)) {
        throw new ValueError(`${madeBy}: view ${formatShape(shape)} with strides ${formatShape(strides)} at offset ${offset} reaches outside its storage of ${this.storage.buffer.length} elements`);
      }
    }
    return new Tensor(this.storage, shape, strides, offset, madeBy);
  }

  // ── Devices and dtypes ───────────────────────────────────────────────────

  /**
   * This tensor on another device or as another dtype; returns `this` when
   * nothing changes. Crossing devices synchronously needs a source that reads
   * synchronously (cpu); from a GPU use {@link toAsync}.
   */
  to(target: Device | DType): Tensor {
    if (isDType(target)) return target === this.dtype ? this : ops.cast(this, target);
    if (target === this.device) return this;
    const destination = getBackend(target);
    if (!this.backend.readSync) {
      throw new DeviceError(`to: device '${this.device}' cannot be read synchronously; use await t.toAsync('${target}')`);
    }
    const out = Tensor.empty(destination, this.shape, this.dtype, 'to');
    destination.upload(out.storage.buffer, this.dataSync());
    return out;
  }

  /** {@link to} for any pair of devices: waits for the source's data. */
  async toAsync(device: Device): Promise<Tensor> {
    if (device === this.device) return this;
    const target = getBackend(device);
    const values = await this.data();
    const out = Tensor.empty(target, this.shape, this.dtype, 'to');
    target.upload(out.storage.buffer, values);
    return out;
  }

  /** A copy with another dtype (values truncated toward zero into int32; nonzero → true into bool). */
  cast(dtype: DType): Tensor { return ops.cast(this, dtype); }
  /** `cast('float32')`. */
  float(): Tensor { return ops.cast(this, 'float32'); }
  /** `cast('float64')`. */
  double(): Tensor { return ops.cast(this, 'float64'); }
  /** `cast('int32')`. */
  int(): Tensor { return ops.cast(this, 'int32'); }
  /** `cast('bool')`. */
  bool(): Tensor { return ops.cast(this, 'bool'); }
  /** A contiguous tensor with the same values: `this` if already contiguous. */
  contiguous(): Tensor { return ops.contiguous(this); }
  /** A contiguous copy with its own storage. */
  clone(): Tensor { return ops.clone(this); }

  // ── Elementwise ──────────────────────────────────────────────────────────

  /** `this + other` with broadcasting; with `alpha`, `this + alpha·other` in one pass. */
  add(other: Tensor | Scalar, options?: ops.ScaledOptions): Tensor { return ops.add(this, other, options); }
  /** `this - other` with broadcasting; with `alpha`, `this - alpha·other` in one pass. */
  sub(other: Tensor | Scalar, options?: ops.ScaledOptions): Tensor { return ops.sub(this, other, options); }
  /** `this * other` with broadcasting. */
  mul(other: Tensor | Scalar): Tensor { return ops.mul(this, other); }
  /** `this / other` with broadcasting (true division: integers give float32). */
  div(other: Tensor | Scalar): Tensor { return ops.div(this, other); }
  /** `this ** exponent` with broadcasting. */
  pow(exponent: Tensor | Scalar): Tensor { return ops.pow(this, exponent); }
  /** Elementwise maximum (NaN propagates). */
  maximum(other: Tensor | Scalar): Tensor { return ops.maximum(this, other); }
  /** Elementwise minimum (NaN propagates). */
  minimum(other: Tensor | Scalar): Tensor { return ops.minimum(this, other); }
  /** `this == other` as bool. */
  eq(other: Tensor | Scalar): Tensor { return ops.eq(this, other); }
  /** `this != other` as bool. */
  ne(other: Tensor | Scalar): Tensor { return ops.ne(this, other); }
  /** `this < other` as bool. */
  lt(other: Tensor | Scalar): Tensor { return ops.lt(this, other); }
  /** `this <= other` as bool. */
  le(other: Tensor | Scalar): Tensor { return ops.le(this, other); }
  /** `this > other` as bool. */
  gt(other: Tensor | Scalar): Tensor { return ops.gt(this, other); }
  /** `this >= other` as bool. */
  ge(other: Tensor | Scalar): Tensor { return ops.ge(this, other); }
  /** Logical and of nonzero-ness, as bool. */
  logicalAnd(other: Tensor | Scalar): Tensor { return ops.logicalAnd(this, other); }
  /** Logical or of nonzero-ness, as bool. */
  logicalOr(other: Tensor | Scalar): Tensor { return ops.logicalOr(this, other); }
  /** Logical exclusive or of nonzero-ness, as bool. */
  logicalXor(other: Tensor | Scalar): Tensor { return ops.logicalXor(this, other); }
  /** Logical not (zero → true), as bool. */
  logicalNot(): Tensor { return ops.logicalNot(this); }
  /** `condition ? this : other` (PyTorch `Tensor.where`). */
  where(condition: Tensor, other: Tensor | Scalar): Tensor { return ops.where(condition, this, other); }
  /** `-this`. */
  neg(): Tensor { return ops.neg(this); }
  /** `|this|`. */
  abs(): Tensor { return ops.abs(this); }
  /** -1, 0 or 1 by sign. */
  sign(): Tensor { return ops.sign(this); }
  /** `e^this`. */
  exp(): Tensor { return ops.exp(this); }
  /** `e^this - 1`, accurate near 0. */
  expm1(): Tensor { return ops.expm1(this); }
  /** Natural logarithm. */
  log(): Tensor { return ops.log(this); }
  /** `log(1 + this)`, accurate near 0. */
  log1p(): Tensor { return ops.log1p(this); }
  /** Square root. */
  sqrt(): Tensor { return ops.sqrt(this); }
  /** `1 / sqrt(this)`. */
  rsqrt(): Tensor { return ops.rsqrt(this); }
  /** `1 / this`. */
  reciprocal(): Tensor { return ops.reciprocal(this); }
  /** `this * this`. */
  square(): Tensor { return ops.square(this); }
  /** Sine. */
  sin(): Tensor { return ops.sin(this); }
  /** Cosine. */
  cos(): Tensor { return ops.cos(this); }
  /** Hyperbolic tangent. */
  tanh(): Tensor { return ops.tanh(this); }
  /** Logistic sigmoid `1 / (1 + e^-x)`. */
  sigmoid(): Tensor { return ops.sigmoid(this); }
  /** `max(x, 0)`. */
  relu(): Tensor { return ops.relu(this); }
  /** `x` if positive else `negativeSlope * x`. */
  leakyRelu(negativeSlope = 0.01): Tensor { return ops.leakyRelu(this, negativeSlope); }
  /** Exact (erf) GELU, PyTorch's default. */
  gelu(): Tensor { return ops.gelu(this); }
  /** `log(1 + e^x)`, computed stably. */
  softplus(): Tensor { return ops.softplus(this); }
  /** `x` if positive else `alpha * (e^x - 1)`. */
  elu(alpha = 1): Tensor { return ops.elu(this, alpha); }
  /** `x * sigmoid(x)`. */
  silu(): Tensor { return ops.silu(this); }
  /** The error function. */
  erf(): Tensor { return ops.erf(this); }
  /** Rounds down. */
  floor(): Tensor { return ops.floor(this); }
  /** Rounds up. */
  ceil(): Tensor { return ops.ceil(this); }
  /** Rounds half to even, as PyTorch. */
  round(): Tensor { return ops.round(this); }
  /** Limits values to `[min, max]` (either may be omitted). */
  clamp(min?: number, max?: number): Tensor { return ops.clamp(this, min, max); }

  // ── Reductions ───────────────────────────────────────────────────────────

  /** Sum over `dim` (one, several, or all). */
  sum(dim?: number | readonly number[], keepdim = false): Tensor { return ops.sum(this, dim, keepdim); }
  /** Mean over `dim` (integers give float32). */
  mean(dim?: number | readonly number[], keepdim = false): Tensor { return ops.mean(this, dim, keepdim); }
  /** Product over `dim`. */
  prod(dim?: number | readonly number[], keepdim = false): Tensor { return ops.prod(this, dim, keepdim); }
  /** Largest value over `dim` (values only; indices via {@link argmax}). */
  max(dim?: number | readonly number[], keepdim = false): Tensor { return ops.max(this, dim, keepdim); }
  /** Smallest value over `dim` (values only; indices via {@link argmin}). */
  min(dim?: number | readonly number[], keepdim = false): Tensor { return ops.min(this, dim, keepdim); }
  /** Whether all elements over `dim` are nonzero. */
  all(dim?: number | readonly number[], keepdim = false): Tensor { return ops.all(this, dim, keepdim); }
  /** Whether any element over `dim` is nonzero. */
  any(dim?: number | readonly number[], keepdim = false): Tensor { return ops.any(this, dim, keepdim); }
  /** Index of the largest value along `dim` (of the flattened tensor when omitted). */
  argmax(dim?: number, keepdim = false): Tensor { return ops.argmax(this, dim, keepdim); }
  /** Index of the smallest value along `dim` (of the flattened tensor when omitted). */
  argmin(dim?: number, keepdim = false): Tensor { return ops.argmin(this, dim, keepdim); }
  /** Variance over `dim` with Bessel's correction by default (`correction: 1`). */
  var(dim?: number | readonly number[], options?: VarianceOptions): Tensor { return ops.variance(this, dim, options); }
  /** Standard deviation over `dim` (`correction: 1` by default). */
  std(dim?: number | readonly number[], options?: VarianceOptions): Tensor { return ops.std(this, dim, options); }
  /** `log(sum(exp(x)))` over `dim`, computed without overflow. */
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor { return ops.logsumexp(this, dim, keepdim); }
  /** Softmax along `dim`, computed stably. */
  softmax(dim: number): Tensor { return ops.softmax(this, dim); }
  /** Log-softmax along `dim`, computed stably. */
  logSoftmax(dim: number): Tensor { return ops.logSoftmax(this, dim); }

  // ── Linear algebra and NN ────────────────────────────────────────────────

  /** Matrix product with PyTorch's 1-D, 2-D and batched-broadcast rules. */
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  /** 2-D convolution of this NCHW input with OIHW `weight`. */
  conv2d(weight: Tensor, options?: Conv2dOptions): Tensor { return ops.conv2d(this, weight, options); }

  // ── Shape and indexing ───────────────────────────────────────────────────

  /** The same elements in a new shape (one size may be -1); a view when the strides allow, else a copy. */
  reshape(...shape: number[] | [readonly number[]]): Tensor { return ops.reshape(this, flattenArgs(shape)); }
  /** A view with a new shape; throws when the strides do not allow one (use reshape). */
  view(...shape: number[] | [readonly number[]]): Tensor { return ops.view(this, flattenArgs(shape)); }
  /** Merges dims `startDim..endDim` into one. */
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  /** Removes size-1 dims (all, or the ones named). */
  squeeze(dim?: number | readonly number[]): Tensor { return ops.squeeze(this, dim); }
  /** Inserts a size-1 dim at `dim`. */
  unsqueeze(dim: number): Tensor { return ops.unsqueeze(this, dim); }
  /** Swaps two dims (a view). */
  transpose(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  /** Transpose of a tensor with at most 2 dims. */
  t(): Tensor { return ops.t(this); }
  /** Reorders dims (a view). */
  permute(...dims: number[] | [readonly number[]]): Tensor { return ops.permute(this, flattenArgs(dims)); }
  /** Broadcasts size-1 dims to `shape` (-1 keeps a size) without copying. */
  expand(...shape: number[] | [readonly number[]]): Tensor { return ops.expand(this, flattenArgs(shape)); }
  /** {@link expand} to another tensor's shape. */
  expandAs(other: Tensor): Tensor { return ops.expand(this, other.shape); }
  /** Elements `start, start+step, … < end` along `dim` (negative indices count from the end; a view). */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor { return ops.slice(this, dim, start, end, step); }
  /** `length` elements from `start` along `dim` (a view). */
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  /** The slice at `index` of `dim`, with that dim removed (a view). */
  select(dim: number, index: number): Tensor { return ops.select(this, dim, index); }
  /** Pieces of `splitSize` (or the given sizes) along `dim` (views). */
  split(splitSize: number | readonly number[], dim = 0): Tensor[] { return ops.split(this, splitSize, dim); }
  /** `chunks` nearly equal pieces along `dim` (views). */
  chunk(chunks: number, dim = 0): Tensor[] { return ops.chunk(this, chunks, dim); }
  /** Elements at `index` (1-D int32) along `dim`. */
  indexSelect(dim: number, index: Tensor): Tensor { return ops.indexSelect(this, dim, index); }
  /** `out[i][j] = this[index[i][j]][j]` for dim 0, and so on (PyTorch `gather`). */
  gather(dim: number, index: Tensor): Tensor { return ops.gather(this, dim, index); }
  /** A copy of this with `src` added at `index` along `dim` (PyTorch `scatter_add`, out of place). */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return ops.scatterAdd(this, dim, index, src); }
  /** Upper triangle of the last two dims; the rest zeroed. */
  triu(diagonal = 0): Tensor { return ops.triu(this, diagonal); }
  /** Lower triangle of the last two dims; the rest zeroed. */
  tril(diagonal = 0): Tensor { return ops.tril(this, diagonal); }
}

brandTensorClass(Tensor);

function requireEngine(op: string): GradientEngine {
  const engine = gradientEngine();
  if (engine === null) throw new ValueError(`${op}: no gradient engine is installed; call useAutograd() from @fathom/autograd once at start-up`);
  return engine;
}

function flattenArgs(args: number[] | [readonly number[]] | readonly unknown[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as number[])] : (args as number[]);
}

function nest(values: TypedArray, shape: Shape): NestedArray {
  if (shape.length === 0) return values[0];
  let index = 0;
  const build = (dim: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[dim]; i++) out.push(dim === shape.length - 1 ? values[index++] : build(dim + 1));
    return out;
  };
  return build(0);
}
