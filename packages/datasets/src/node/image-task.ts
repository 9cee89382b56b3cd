import { DataError, FathomError, isFathomError, isTensorLike, tensor, type DType, type FathomErrorKind } from '@fathom/core';
import { isRawImage } from '../transforms/raw-image.js';
import type { TransformSpec } from '../transforms/transform.js';
import type { ImageMode } from './decode-image.js';

/** What the main thread asks a worker to do with one image. @internal */
export interface ImageTask {
  readonly path: string;
  readonly mode: ImageMode;
  /** The sample's generator seed; the worker's draws continue from offset 0. */
  readonly seed: number;
  /** The built-in transforms to run after decoding, in order. */
  readonly specs: readonly TransformSpec[];
}

/** A value that crosses the thread boundary: tensors and images as typed arrays, anything else structured-cloned. @internal */
export type EncodedValue =
  | { readonly kind: 'tensor'; readonly data: Float32Array | Float64Array | Int32Array | Uint8Array; readonly shape: readonly number[]; readonly dtype: DType }
  | { readonly kind: 'image'; readonly data: Uint8Array; readonly width: number; readonly height: number; readonly channels: number }
  | { readonly kind: 'value'; readonly value: unknown };

/** A worker's answer. @internal */
export type ImageTaskResult =
  | { readonly id: number; readonly ok: true; readonly value: EncodedValue; readonly offset: number }
  | { readonly id: number; readonly ok: false; readonly kind: FathomErrorKind | 'Error'; readonly message: string };

/** Encodes a transform's output for postMessage, with the buffers to transfer. @internal */
export function encodeValue(value: unknown): { encoded: EncodedValue; transfer: ArrayBuffer[] } {
  if (isTensorLike(value)) {
    const data = value.dataSync();
    const encoded: EncodedValue = { kind: 'tensor', data, shape: [...value.shape], dtype: value.dtype };
    value.dispose();
    return { encoded, transfer: [data.buffer as ArrayBuffer] };
  }
  if (isRawImage(value)) {
    // A view into a larger buffer cannot be transferred whole; copy it out.
    const data = value.data.byteOffset === 0 && value.data.byteLength === value.data.buffer.byteLength ? value.data : value.data.slice();
    return { encoded: { kind: 'image', data, width: value.width, height: value.height, channels: value.channels }, transfer: [data.buffer as ArrayBuffer] };
  }
  return { encoded: { kind: 'value', value }, transfer: [] };
}

/** Rebuilds a worker's output on this thread (tensors on the default device). @internal */
export function decodeValue(encoded: EncodedValue): unknown {
  switch (encoded.kind) {
    case 'tensor':
      return tensor(encoded.data, { shape: encoded.shape, dtype: encoded.dtype });
    case 'image':
      return { data: encoded.data, width: encoded.width, height: encoded.height, channels: encoded.channels };
    default:
      return encoded.value;
  }
}

class WorkerError extends FathomError {}

/** The error a worker reported, as the same kind of Fathom error. @internal */
export function errorFromResult(result: Extract<ImageTaskResult, { ok: false }>): Error {
  if (result.kind === 'Error') return new Error(result.message);
  if (result.kind === 'DataError') return new DataError(result.message);
  return new WorkerError(result.kind, result.message);
}

/** The kind and message of an error thrown in a worker. @internal */
export function describeError(error: unknown): { kind: FathomErrorKind | 'Error'; message: string } {
  if (isFathomError(error)) return { kind: error.kind, message: error.message };
  return { kind: 'Error', message: error instanceof Error ? error.message : String(error) };
}
