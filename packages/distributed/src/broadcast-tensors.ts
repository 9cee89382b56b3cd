import type { Tensor } from '@fathom/core';
import type { CommunicationBuffer } from './communicator.js';
import { DistributedError } from './distributed-error.js';
import { checkCommunicableDType, readToHost, writeFromHost } from './host-copy.js';
import type { ProcessGroup } from './process-group.js';
import { sharedArray } from './shared-array.js';

const ARRAY_OF = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;

/**
 * Makes every rank's `tensors` equal to rank `root`'s, in place: one
 * broadcast per dtype of all the tensors packed end to end, not one per
 * tensor. First checks, with one small all-gather, that every rank passes the
 * same number of tensors with the same element counts, so models that differ
 * across ranks fail with an error naming the first difference instead of a
 * hang or silently mixed weights. `what` names the tensors in messages.
 */
export async function broadcastTensors(group: ProcessGroup, tensors: readonly Tensor[], what: string, root = 0): Promise<void> {
  for (const t of tensors) checkCommunicableDType(`broadcast of ${what}`, t);
  await checkSameLayout(group, tensors, what);
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    const members = tensors.filter((t) => t.dtype === dtype);
    if (members.length === 0) continue;
    const packed = sharedArray(ARRAY_OF[dtype] as new (memory: SharedArrayBuffer) => CommunicationBuffer, members.reduce((n, t) => n + t.numel, 0));
    let offset = 0;
    for (const t of members) {
      packed.set((await readToHost(`broadcast of ${what}`, t)) as never, offset);
      offset += t.numel;
    }
    await group.broadcastArray(packed, { root });
    offset = 0;
    for (const t of members) {
      writeFromHost(t, packed.subarray(offset, offset + t.numel));
      offset += t.numel;
    }
  }
}

// Rank r's (count, numel of each tensor) must equal every other rank's.
async function checkSameLayout(group: ProcessGroup, tensors: readonly Tensor[], what: string): Promise<void> {
  if (group.worldSize === 1) return;
  const counts = await group.allGatherArray(Int32Array.from([tensors.length]));
  const differing = counts.findIndex((n) => n !== tensors.length);
  if (differing >= 0) {
    throw new DistributedError(`${what}: rank ${group.rank} has ${tensors.length} tensors, rank ${differing} has ${counts[differing]}; every rank must build the same model`, group.rank);
  }
  const sizes = await group.allGatherArray(Int32Array.from(tensors, (t) => t.numel));
  for (let r = 0; r < group.worldSize; r++) {
    for (let i = 0; i < tensors.length; i++) {
      if (sizes[r * tensors.length + i] !== tensors[i].numel) {
        throw new DistributedError(
          `${what}: tensor ${i} has ${tensors[i].numel} elements on rank ${group.rank} and ${sizes[r * tensors.length + i]} on rank ${r}; every rank must build the same model`,
          group.rank,
        );
      }
    }
  }
}
