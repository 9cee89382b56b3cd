// A brand rather than `instanceof` alone: with two copies of @fathom/core in one
// install, errors thrown by one copy must still be recognised by the other.
const BRAND = Symbol.for('@fathom/core/error');

/** The kinds of error Fathom throws; each has its own class below. */
export type FathomErrorKind =
  | 'ShapeError'
  | 'DTypeError'
  | 'DeviceError'
  | 'DataError'
  | 'ValueError'
  | 'IndexError'
  | 'ReleasedTensorError';

/** Base class of every error Fathom throws. Test with {@link isFathomError}, which works across copies of the package. */
export class FathomError extends Error {
  /** Which kind of error this is, also set as `name`. */
  readonly kind: FathomErrorKind;
  constructor(kind: FathomErrorKind, message: string) {
    super(message);
    this.kind = kind;
    this.name = kind;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** Whether `error` was thrown by any copy of @fathom/core, optionally of one kind. */
export function isFathomError(error: unknown, kind?: FathomErrorKind): error is FathomError {
  if (typeof error !== 'object' || error === null || (error as Record<symbol, unknown>)[BRAND] !== true) return false;
  return kind === undefined || (error as FathomError).kind === kind;
}

/** Shapes that do not fit together: `matmul: cannot multiply [2,3] by [4,5] (inner dimensions 3 and 4 differ)`. */
export class ShapeError extends FathomError {
  constructor(message: string) { super('ShapeError', message); }
}

/** A dtype an op does not accept, or two that cannot be combined. */
export class DTypeError extends FathomError {
  constructor(message: string) { super('DTypeError', message); }
}

/** A device that is missing, not registered, has no adapter, or was lost; tensors on two different devices. */
export class DeviceError extends FathomError {
  constructor(message: string) { super('DeviceError', message); }
}

/** A corrupt, truncated or inconsistent file or data record. */
export class DataError extends FathomError {
  constructor(message: string) { super('DataError', message); }
}

/** An argument with a value outside what the op accepts (a negative size, a learning rate below zero). */
export class ValueError extends FathomError {
  constructor(message: string) { super('ValueError', message); }
}

/** An index or dimension out of range. */
export class IndexError extends FathomError {
  constructor(message: string) { super('IndexError', message); }
}

/** A tensor used after its memory was released; the message says when and why it was released. */
export class ReleasedTensorError extends FathomError {
  constructor(message: string) { super('ReleasedTensorError', message); }
}
