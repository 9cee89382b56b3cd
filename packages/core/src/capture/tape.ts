import { coversBuffer, type Backend, type BackendBuffer, type Kernels, type View } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { valueCheckHook, type ValueCheck } from './value-check.js';

// What one recorded step did on one backend, in order: every kernel call
// with its arguments, and the allocations and uploads between them.
type Entry =
  | { readonly kind: 'kernel'; readonly kernel: keyof Kernels; readonly args: readonly unknown[] }
  | { readonly kind: 'allocate'; readonly buffer: BackendBuffer }
  | { readonly kind: 'upload'; readonly buffer: BackendBuffer; readonly data: TypedArray }
  | { readonly kind: 'check'; readonly view: View; readonly check: ValueCheck };

// Kernel arguments a kernel writes whole (a copy only where its view covers
// the buffer; scatterAdd and sgdStep read their outputs first, so they are not here).
const WHOLE_OUTPUTS: Readonly<Record<keyof Kernels, readonly number[]>> = {
  fill: [0], copy: [1], unary: [2], binary: [3], where: [3], reduce: [3], argReduce: [3], matmul: [2],
  conv2d: [2], conv2dWithBias: [3], conv2dInputGrad: [2], conv2dWeightGrad: [2],
  maxPool2d: [1, 2], maxPool2dGrad: [2], avgPool2d: [1], avgPool2dGrad: [1], adaptiveAvgPool2d: [1], adaptiveAvgPool2dGrad: [1],
  gather: [3], scatterAdd: [], randomFill: [0], sgdStep: [], channelAffine: [5], batchNorm: [3, 4, 5], batchNormBackward: [5, 6, 7], logSoftmax: [1],
};

const isView = (value: unknown): value is View =>
  typeof value === 'object' && value !== null && 'buffer' in value && 'shape' in value && 'strides' in value;
const isBuffer = (value: unknown): value is BackendBuffer =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !isView(value) &&
  typeof (value as BackendBuffer).length === 'number' && typeof (value as BackendBuffer).dtype === 'string';

// Stable names for buffers that exist before a step (parameters, inputs): the same object in every step.
let nextExternalId = 0;
const externalIds = new WeakMap<BackendBuffer, number>();
function externalId(buffer: BackendBuffer): number {
  let id = externalIds.get(buffer);
  if (id === undefined) externalIds.set(buffer, (id = nextExternalId++));
  return id;
}

/**
 * The buffers a captured step owns: every buffer allocated while a step was
 * recorded. A release while recording puts it back here instead of on the
 * backend, and later allocations of the same dtype and length take it again
 * (as the backend's own pool would), so a replay can write them without
 * anything else holding them.
 */
export class Arena {
  private readonly free = new Map<string, BackendBuffer[]>();
  private readonly released = new Set<BackendBuffer>();
  readonly owned = new Set<BackendBuffer>();

  // The kernels that clear a reused buffer (allocate() promises zeros): the
  // table in place when recording starts, which a profile may have wrapped.
  private kernels: Kernels;

  constructor(readonly backend: Backend, private readonly allocateOnBackend: Backend['allocate']) {
    this.kernels = backend.kernels;
  }

  /** Clears reused buffers with `kernels` from now on (not recorded: a replay zeroes what it must itself). */
  zeroWith(kernels: Kernels): void {
    this.kernels = kernels;
  }

  allocate(dtype: BackendBuffer['dtype'], length: number): BackendBuffer {
    const reused = this.free.get(`${dtype}:${length}`)?.pop();
    if (reused !== undefined) {
      this.released.delete(reused);
      this.kernels.fill(reused, 0);
      return reused;
    }
    const buffer = this.allocateOnBackend.call(this.backend, dtype, length);
    this.owned.add(buffer);
    return buffer;
  }

  /** A fresh buffer no step uses, owned until disposal (a replay's scratch). */
  spare(dtype: BackendBuffer['dtype'], length: number): BackendBuffer {
    const buffer = this.allocateOnBackend.call(this.backend, dtype, length);
    this.owned.add(buffer);
    this.released.add(buffer);
    return buffer;
  }

  /** Core released `buffer` (no tensor views it); it stays here for the next recorded step and for replays. */
  release(buffer: BackendBuffer): void {
    if (this.released.has(buffer)) return;
    this.released.add(buffer);
    const key = `${buffer.dtype}:${buffer.length}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
  }

  /** A replay handed `buffer` to a new tensor: it is not free any more. */
  revive(buffer: BackendBuffer): void {
    if (!this.released.delete(buffer)) return;
    const list = this.free.get(`${buffer.dtype}:${buffer.length}`) ?? [];
    const at = list.indexOf(buffer);
    if (at >= 0) list.splice(at, 1);
  }

  /** Returns the released buffers to the backend and lets go of the rest (tensors still view them; core releases them later). */
  dispose(release: (buffer: BackendBuffer) => void): void {
    for (const buffer of this.released) release(buffer);
    this.released.clear();
    this.owned.clear();
    this.free.clear();
  }
}

/** A step's work with its buffers named (see {@link Tape.signature}). */
export interface StepSignature {
  readonly text: string;
  /** Allocation n of the step before → the buffer this step read it as. */
  readonly carried: ReadonlyMap<number, BackendBuffer>;
}

/**
 * One step's work on one backend. Buffers are named for comparison with
 * another step's tape: `i<n>` the n-th allocation of this step, `p<n>` the
 * n-th allocation of the step before (state carried from step to step, such
 * as a momentum buffer made anew each step), `e<id>` any other buffer.
 */
export class Tape {
  readonly entries: Entry[] = [];
  // Allocation index of each buffer allocated in this step (the latest, where one is reused).
  private readonly indices = new Map<BackendBuffer, number>();
  private allocations = 0;
  /** Why this step cannot be replayed (it read a value it computed), or null. */
  dataDependence: string | null = null;

  private signed: StepSignature | null = null;

  /** `previous`: the step before, whose allocations this one may read as carried state (let go of once signed). */
  constructor(private previous: Tape | null) {}

  allocated(buffer: BackendBuffer): void {
    this.indices.set(buffer, this.allocations++);
    this.entries.push({ kind: 'allocate', buffer });
  }

  uploaded(buffer: BackendBuffer, data: TypedArray): void {
    this.entries.push({ kind: 'upload', buffer, data: data.slice() });
  }

  called(kernel: keyof Kernels, args: readonly unknown[]): void {
    this.entries.push({ kind: 'kernel', kernel, args: [...args] });
  }

  checked(view: View, check: ValueCheck): void {
    this.entries.push({ kind: 'check', view, check });
  }

  /** A host read while recording: the step may read what it did not compute, and anything for a value check (replays run those). */
  read(buffer: BackendBuffer, arena: Arena): void {
    if (valueCheckHook.reading) return;
    if (this.dataDependence === null && (this.indices.has(buffer) || arena.owned.has(buffer))) {
      this.dataDependence = 'the step reads back a value it computed (e.g. `.item()` or a data-dependent branch)';
    }
  }

  /** The index of `buffer`'s latest allocation in this step, if it was allocated in it. */
  indexOf(buffer: BackendBuffer): number | undefined {
    return this.indices.get(buffer);
  }

  /** The buffer of allocation `index` at the end of this step. */
  bufferAt(index: number): BackendBuffer | undefined {
    for (const [buffer, at] of this.indices) if (at === index) return buffer;
    return undefined;
  }

  /**
   * The step in a form equal for two steps that do the same work: entries
   * with their buffers named, and the carried state as (this step's buffer,
   * what the step reads it as) pairs.
   */
  signature(): StepSignature {
    this.signed ??= this.sign();
    this.previous = null; // named now: the step before need not stay alive with this one
    return this.signed;
  }

  private sign(): StepSignature {
    const current = new Map<BackendBuffer, number>();
    const carried = new Map<number, BackendBuffer>();
    let allocations = 0;
    const name = (buffer: BackendBuffer): string => {
      const index = current.get(buffer);
      if (index !== undefined) return `i${index}`;
      const before = this.previous?.indexOf(buffer);
      if (before !== undefined) {
        carried.set(before, buffer);
        return `p${before}`;
      }
      return `e${externalId(buffer)}`;
    };
    const lines: string[] = [];
    for (const entry of this.entries) {
      if (entry.kind === 'allocate') {
        current.set(entry.buffer, allocations++);
        lines.push(`alloc ${entry.buffer.dtype} ${entry.buffer.length}`);
      } else if (entry.kind === 'upload') {
        lines.push(`upload ${name(entry.buffer)} ${Array.from(entry.data as ArrayLike<number>).join(',')}`);
      } else if (entry.kind === 'check') {
        lines.push(`check ${name(entry.view.buffer)} ${JSON.stringify([entry.view.shape, entry.view.strides, entry.view.offset])}`);
      } else {
        lines.push(`${entry.kernel} ${JSON.stringify(entry.args, (_key, value: unknown) => {
          if (isView(value)) return { view: name(value.buffer), shape: value.shape, strides: value.strides, offset: value.offset };
          if (isBuffer(value)) return name(value);
          return value;
        })}`);
      }
    }
    return { text: lines.join('\n'), carried };
  }

  /**
   * Allocations whose first use is not a kernel writing them whole: a replay
   * must zero them, as allocation did (a scatterAdd's base, an accumulator).
   */
  needsZeros(): Set<BackendBuffer> {
    const pending = new Set<BackendBuffer>();
    const zero = new Set<BackendBuffer>();
    for (const entry of this.entries) {
      if (entry.kind === 'allocate') {
        pending.add(entry.buffer);
        continue;
      }
      if (entry.kind === 'upload') {
        pending.delete(entry.buffer);
        continue;
      }
      if (entry.kind === 'check') {
        if (pending.delete(entry.view.buffer)) zero.add(entry.view.buffer);
        continue;
      }
      const outputs = WHOLE_OUTPUTS[entry.kernel];
      entry.args.forEach((arg, position) => {
        const buffer = isView(arg) ? arg.buffer : isBuffer(arg) ? arg : null;
        if (buffer === null || !pending.has(buffer)) return;
        pending.delete(buffer);
        const whole = outputs.includes(position) && (!isView(arg) || coversBuffer(arg));
        if (!whole) zero.add(buffer);
      });
    }
    return zero;
  }
}
