import { plannedTensorBytes, planSafetensors, type WriteSafetensorsOptions } from '../safetensors/write.js';
import { readSafetensors, type ReadSafetensorsOptions, type SafetensorsContents } from '../safetensors/read.js';
import type { Tensor } from '@fathom/core';
import { writeFileAtomic } from './atomic-write.js';
import { withFileSource } from './file-source.js';

/**
 * Reads a safetensors file tensor by tensor from disk (peak memory near the
 * tensors' own size), checking it as untrusted input.
 *
 * ```ts
 * const { tensors, metadata } = await loadSafetensors('model.safetensors');
 * ```
 */
export function loadSafetensors(path: string, options: ReadSafetensorsOptions = {}): Promise<SafetensorsContents> {
  return withFileSource(path, (source) => readSafetensors(source, options));
}

/**
 * Writes tensors to a safetensors file atomically, one tensor's bytes in
 * memory at a time; PyTorch's `safetensors.torch.load_file` reads it.
 *
 * ```ts
 * await saveSafetensors('model.safetensors', model.stateDict(), { metadata: { arch: 'lenet5' } });
 * ```
 */
export async function saveSafetensors(path: string, tensors: Readonly<Record<string, Tensor>>, options: WriteSafetensorsOptions = {}): Promise<void> {
  const plan = planSafetensors(tensors, options);
  async function* pieces(): AsyncGenerator<Uint8Array> {
    yield plan.header;
    for (const planned of plan.tensors) yield await plannedTensorBytes(planned);
  }
  await writeFileAtomic(path, pieces());
}
