import { coversBuffer } from './backend.js';
import { heldByInnermostScope } from './scope.js';
import type { Tensor } from './tensor.js';

/**
 * Whether `tensor` may be handed on as it is rather than copied: made inside
 * the innermost open scope (so nothing older holds it), the only live tensor
 * viewing its storage, and a view of that whole buffer in order. A gradient
 * engine takes such a gradient as a leaf's first `.grad` without a copy, as
 * PyTorch steals a gradient whose use count is 1.
 */
export function isSoleFreshHandle(tensor: Tensor): boolean {
  return !tensor.isReleased && heldByInnermostScope(tensor) && tensor.storage.handles === 1 && coversBuffer(tensor.layout());
}
