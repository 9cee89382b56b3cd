import type { BackendBuffer } from '../backend.js';
import type { Arena } from './tape.js';

/**
 * Orders the copies of carried state so that no buffer is overwritten before
 * it is read: state made anew each step comes from the pool, so step k's
 * buffer is often step k − 2's, and two layers' momentum buffers of one size
 * trade places every step. A cycle goes through one spare buffer.
 */
export function orderCopies(pairs: readonly (readonly [BackendBuffer, BackendBuffer])[], arena: Pick<Arena, 'spare'>): [BackendBuffer, BackendBuffer][] {
  const pending = pairs.map(([from, to]) => [from, to] as [BackendBuffer, BackendBuffer]);
  const ordered: [BackendBuffer, BackendBuffer][] = [];
  while (pending.length > 0) {
    const sources = new Set(pending.map(([from]) => from));
    const free = pending.findIndex(([, to]) => !sources.has(to));
    if (free >= 0) {
      ordered.push(pending.splice(free, 1)[0]);
      continue;
    }
    // Every target is still to be read: a cycle. Park one source in a spare buffer first.
    const [from] = pending[0];
    const spare = arena.spare(from.dtype, from.length);
    ordered.push([from, spare]);
    pending[0][0] = spare;
  }
  return ordered;
}
