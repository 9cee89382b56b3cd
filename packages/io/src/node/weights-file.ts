import { loadWeightsFrom, type LoadWeightsOptions, type LoadWeightsResult, type StateDictModule } from '../weights.js';
import type { WriteSafetensorsOptions } from '../safetensors/write.js';
import { ValueError } from '@fathom/core';
import { withFileSource } from './file-source.js';
import { saveSafetensors } from './safetensors-file.js';

/**
 * Loads weights from a file into a module, in place: safetensors, or a
 * `torch.save` file such as torchvision's `resnet18-f37072fd.pth` (format
 * from the extension). A strict load (the default) lists every missing key,
 * unexpected key and shape mismatch at once.
 *
 * ```ts
 * const model = resnet18();
 * await loadWeights(model, 'resnet18-f37072fd.pth');
 * ```
 */
export function loadWeights(module: StateDictModule, path: string, options: LoadWeightsOptions = {}): Promise<LoadWeightsResult> {
  return withFileSource(path, (source) => loadWeightsFrom(module, source, options));
}

/**
 * Saves a module's parameters and buffers as safetensors, atomically (a
 * crash leaves the old file whole). PyTorch reads it with
 * `model.load_state_dict(safetensors.torch.load_file(path))`.
 *
 * ```ts
 * await saveWeights(model, 'lenet5.safetensors');
 * ```
 */
export function saveWeights(module: StateDictModule, path: string, options: WriteSafetensorsOptions = {}): Promise<void> {
  if (!path.toLowerCase().endsWith('.safetensors')) {
    throw new ValueError(`saveWeights: Fathom writes safetensors; name the file '*.safetensors', got '${path}'`);
  }
  return saveSafetensors(path, module.stateDict(), options);
}
