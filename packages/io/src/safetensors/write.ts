import { ValueError, type Tensor } from '@fathom/core';
import { bytesFromValues, defaultStoredDType, STORED_DTYPE_BYTES, type StoredDType } from '../stored-dtype.js';

/** How {@link encodeSafetensors} stores tensors. */
export interface WriteSafetensorsOptions {
  /** Free-form strings saved as `__metadata__` (safetensors allows only strings: JSON-encode anything else). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** How float tensors are stored: `'F32'`/`'F64'` keep their own precision by default; `'F16'` or `'BF16'` halve the file. */
  readonly float?: 'F16' | 'BF16' | 'F32';
  /** How int32 tensors are stored (default `'I32'`; `'I64'` as PyTorch's default integer type). */
  readonly int?: 'I32' | 'I64';
}

/** A tensor's place in a file about to be written. */
export interface PlannedTensor {
  /** Its name. */
  readonly name: string;
  /** The tensor. */
  readonly tensor: Tensor;
  /** How it is stored. */
  readonly dtype: StoredDType;
}

/** The header bytes and the tensors in the order their bytes follow it. */
export interface SafetensorsPlan {
  /** The 8-byte length and the JSON header, padded with spaces to a multiple of 8. */
  readonly header: Uint8Array;
  /** The tensors, in file order. */
  readonly tensors: readonly PlannedTensor[];
}

function storedDTypeOf(tensor: Tensor, options: WriteSafetensorsOptions): StoredDType {
  if (tensor.dtype === 'float32' && options.float) return options.float;
  if (tensor.dtype === 'float64' && options.float && options.float !== 'F32') return options.float;
  if (tensor.dtype === 'int32' && options.int) return options.int;
  return defaultStoredDType(tensor.dtype);
}

/**
 * Lays out a safetensors file as the reference implementation does: tensors
 * ordered by element size (largest first) then name, the header padded with
 * spaces to 8 bytes so every tensor starts aligned.
 */
export function planSafetensors(tensors: Readonly<Record<string, Tensor>>, options: WriteSafetensorsOptions = {}): SafetensorsPlan {
  const planned = Object.entries(tensors).map(([name, tensor]) => ({ name, tensor, dtype: storedDTypeOf(tensor, options) }));
  planned.sort((a, b) => STORED_DTYPE_BYTES[b.dtype] - STORED_DTYPE_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const json: Record<string, unknown> = {};
  if (options.metadata) {
    for (const [key, value] of Object.entries(options.metadata)) {
      if (typeof value !== 'string') throw new ValueError(`safetensors: metadata '${key}' must be a string, got ${typeof value}`);
    }
    json.__metadata__ = options.metadata;
  }
  let offset = 0;
  for (const { name, tensor, dtype } of planned) {
    if (name === '__metadata__') throw new ValueError(`safetensors: '__metadata__' is reserved and cannot name a tensor`);
    const bytes = tensor.numel * STORED_DTYPE_BYTES[dtype];
    Object.defineProperty(json, name, { value: { dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes] }, enumerable: true });
    offset += bytes;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.byteLength / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20, 8 + text.byteLength);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(text, 8);
  return { header, tensors: planned };
}

/** The bytes of one planned tensor, read from its device. */
export async function plannedTensorBytes(planned: PlannedTensor): Promise<Uint8Array> {
  return bytesFromValues(await planned.tensor.data(), planned.dtype, planned.tensor.dtype, `safetensors: tensor '${planned.name}'`);
}

/**
 * Encodes tensors as a safetensors file that PyTorch's
 * `safetensors.torch.load_file` reads. Tensors are read from their devices
 * (hence async); bool, int32, float32 and float64 are exact.
 *
 * ```ts
 * const bytes = await encodeSafetensors(model.stateDict(), { metadata: { arch: 'lenet5' } });
 * ```
 */
export async function encodeSafetensors(tensors: Readonly<Record<string, Tensor>>, options: WriteSafetensorsOptions = {}): Promise<Uint8Array> {
  const plan = planSafetensors(tensors, options);
  const parts = [plan.header];
  for (const planned of plan.tensors) parts.push(await plannedTensorBytes(planned));
  const out = new Uint8Array(parts.reduce((n, part) => n + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
