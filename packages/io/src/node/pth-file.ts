import { readPth, type PthValue, type ReadPthOptions } from '../pth/read-pth.js';
import { withFileSource } from './file-source.js';

/**
 * Reads a `torch.save` file (`.pt`, `.pth`, `.pth.tar`) from disk through the
 * restricted unpickler: nested dicts, lists and numbers as plain values,
 * tensors as Fathom tensors; any other Python global is refused.
 *
 * ```ts
 * const checkpoint = await loadPth('checkpoint.pth.tar'); // { epoch, arch, state_dict, … }
 * ```
 */
export function loadPth(path: string, options: ReadPthOptions = {}): Promise<PthValue> {
  return withFileSource(path, (source) => readPth(source, options));
}
