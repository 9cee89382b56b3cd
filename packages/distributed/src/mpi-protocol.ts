import type { MessagePort } from 'node:worker_threads';
import type { CommunicationBuffer } from './communicator.js';

/**
 * What the main thread asks the MPI worker thread to do (src/mpi-worker.ts). Buffers live in SharedArrayBuffers, so MPI works on them in place.
 *
 * A request with `sync` is one the main thread waits for with `Atomics.wait` (it cannot receive
 * messages meanwhile): the worker answers on `syncReplies` and then sets `syncState[0]` to
 * {@link SYNC_DONE} and wakes it; `init` hands both over.
 */
export type MpiRequest =
  | { readonly id: number; readonly op: 'init'; readonly syncReplies: MessagePort; readonly syncState: Int32Array }
  | { readonly id: number; readonly op: 'allReduce'; readonly buffer: CommunicationBuffer; readonly reduce: 'sum' | 'max' | 'min'; readonly sync?: boolean }
  | { readonly id: number; readonly op: 'broadcast'; readonly buffer: CommunicationBuffer; readonly root: number }
  | { readonly id: number; readonly op: 'allGather'; readonly send: CommunicationBuffer; readonly receive: CommunicationBuffer; readonly sync?: boolean }
  | { readonly id: number; readonly op: 'barrier' }
  | { readonly id: number; readonly op: 'finalize' };

/** The worker's answer to the request with the same `id`. */
export type MpiReply =
  | { readonly id: number; readonly ok: true; readonly rank?: number; readonly size?: number; readonly library?: string }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** `syncState[0]` while a synchronous request is in flight. */
export const SYNC_WAITING = 0;
/** `syncState[0]` once its reply is on the sync port. */
export const SYNC_DONE = 1;
/** `syncState[0]` when the MPI thread is ending and no reply will come. */
export const SYNC_THREAD_ENDED = 2;
