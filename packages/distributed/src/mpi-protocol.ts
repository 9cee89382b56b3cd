import type { CommunicationBuffer } from './communicator.js';

/** What the main thread asks the MPI worker thread to do (src/mpi-worker.ts). Buffers live in SharedArrayBuffers, so MPI works on them in place. */
export type MpiRequest =
  | { readonly id: number; readonly op: 'init' }
  | { readonly id: number; readonly op: 'allReduce'; readonly buffer: CommunicationBuffer; readonly reduce: 'sum' | 'max' | 'min' }
  | { readonly id: number; readonly op: 'broadcast'; readonly buffer: CommunicationBuffer; readonly root: number }
  | { readonly id: number; readonly op: 'allGather'; readonly send: CommunicationBuffer; readonly receive: CommunicationBuffer }
  | { readonly id: number; readonly op: 'barrier' }
  | { readonly id: number; readonly op: 'finalize' };

/** The worker's answer to the request with the same `id`. */
export type MpiReply =
  | { readonly id: number; readonly ok: true; readonly rank?: number; readonly size?: number; readonly library?: string }
  | { readonly id: number; readonly ok: false; readonly message: string };
