import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { CommunicationBuffer, Communicator, ReduceOp } from './communicator.js';
import { DistributedError } from './distributed-error.js';
import { guardExit } from './exit-guard.js';
import { SYNC_DONE, SYNC_THREAD_ENDED, SYNC_WAITING, type MpiReply, type MpiRequest } from './mpi-protocol.js';
import { sharedArray, sharedCopy } from './shared-array.js';

// A request without its id, as callers write it (the union distributed over its members).
type RequestBody = MpiRequest extends infer R ? (R extends MpiRequest ? Omit<R, 'id'> : never) : never;

/** Where the worker answers synchronous requests, and the flag the main thread waits on for them. */
interface SyncChannel {
  readonly replies: MessagePort;
  readonly state: Int32Array;
}

/**
 * Collectives over Open MPI's `MPI_COMM_WORLD`, made by a worker thread that
 * owns MPI (src/mpi-worker.ts) and runs each collective as a blocking MPI call.
 *
 * Why a worker thread rather than non-blocking `MPI_Iallreduce` polled with
 * `MPI_Test` from the event loop: Open MPI progresses a non-blocking
 * collective only while some MPI call runs, so nothing moves during a
 * synchronous backward pass, and polling costs either a busy main thread
 * (`setImmediate`) or latency per poll (`setTimeout`). In the worker, MPI
 * moves the bytes while the main thread computes, the next queued collective
 * starts the moment the last one ends (the worker has its own event loop),
 * and the main thread never blocks — not even in `MPI_Init`. The README has
 * the measurements.
 *
 * Buffers travel as SharedArrayBuffers, so MPI reduces in place in the
 * memory the caller holds; an ordinary array is copied into one and back.
 *
 * The `…Sync` collectives (for SyncBatchNorm, whose forward and backward
 * cannot await) go through the same worker and the same queue: the main
 * thread posts the request, then blocks in `Atomics.wait` on a shared flag
 * that the worker sets once the MPI call has returned and its reply is on a
 * second message port, read with `receiveMessageOnPort`.
 */
export class MpiCommunicator implements Communicator {
  readonly description: string;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (reply: MpiReply & { ok: true }) => void; reject: (error: Error) => void; op: string }>();
  private finalized = false;
  private removeExitGuard: () => void = () => undefined;

  private constructor(private readonly worker: Worker, private readonly sync: SyncChannel, readonly rank: number, readonly size: number, library: string) {
    this.description = `mpi (${library})`;
  }

  /** Starts the MPI thread, initialises MPI there and returns the world communicator. */
  static async create(): Promise<MpiCommunicator> {
    const worker = new Worker(new URL('./mpi-worker.js', import.meta.url));
    const channel = new MessageChannel();
    // Never listened to (read only by receiveMessageOnPort): it must not keep the process alive.
    channel.port1.unref();
    const sync: SyncChannel = { replies: channel.port1, state: sharedArray(Int32Array, 1) };
    Atomics.store(sync.state, 0, SYNC_DONE);
    let reply: MpiReply & { ok: true };
    try {
      reply = await askInit(worker, channel.port2, sync.state);
    } catch (error) {
      channel.port1.close();
      await worker.terminate();
      throw error;
    }
    const communicator = new MpiCommunicator(worker, sync, reply.rank!, reply.size!, reply.library!).listen();
    communicator.removeExitGuard = await guardExit(communicator.rank, communicator.size, () => communicator.pending.size > 0);
    return communicator;
  }

  private listen(): this {
    this.worker.unref();
    this.worker.on('message', (reply: MpiReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) waiting.resolve(reply);
      else waiting.reject(new DistributedError(`${waiting.op}: rank ${this.rank}: ${reply.message}`, this.rank));
    });
    this.worker.on('error', (error) => {
      for (const waiting of this.pending.values()) waiting.reject(new DistributedError(`${waiting.op}: rank ${this.rank}: the MPI thread failed: ${error.message}`, this.rank));
      this.pending.clear();
    });
    return this;
  }

  async allReduce(buffer: CommunicationBuffer, op: Exclude<ReduceOp, 'mean'>): Promise<void> {
    await this.withShared([buffer], ([shared]) => this.request('allReduce', { op: 'allReduce', buffer: shared, reduce: op }));
  }

  async broadcast(buffer: CommunicationBuffer, root: number): Promise<void> {
    if (!Number.isInteger(root) || root < 0 || root >= this.size) {
      throw new DistributedError(`broadcast: root ${root} is not a rank of a world of size ${this.size}`, this.rank);
    }
    await this.withShared([buffer], ([shared]) => this.request('broadcast', { op: 'broadcast', buffer: shared, root }));
  }

  async allGather(send: CommunicationBuffer, receive: CommunicationBuffer): Promise<void> {
    this.checkGather('allGather', send, receive);
    await this.withShared([send, receive], ([sharedSend, sharedReceive]) => this.request('allGather', { op: 'allGather', send: sharedSend, receive: sharedReceive }));
  }

  async barrier(): Promise<void> {
    await this.request('barrier', { op: 'barrier' });
  }

  allReduceSync(buffer: CommunicationBuffer, op: Exclude<ReduceOp, 'mean'>): void {
    const shared = buffer.buffer instanceof SharedArrayBuffer ? buffer : sharedCopy(buffer);
    this.requestSync('allReduceSync', { op: 'allReduce', buffer: shared, reduce: op, sync: true });
    if (shared !== buffer) buffer.set(shared as never);
  }

  allGatherSync(send: CommunicationBuffer, receive: CommunicationBuffer): void {
    this.checkGather('allGatherSync', send, receive);
    const sharedSend = send.buffer instanceof SharedArrayBuffer ? send : sharedCopy(send);
    const sharedReceive = receive.buffer instanceof SharedArrayBuffer ? receive : sharedCopy(receive);
    this.requestSync('allGatherSync', { op: 'allGather', send: sharedSend, receive: sharedReceive, sync: true });
    if (sharedReceive !== receive) receive.set(sharedReceive as never);
  }

  async finalize(): Promise<void> {
    if (this.finalized) return;
    await this.request('destroy', { op: 'finalize' });
    this.finalized = true;
    this.removeExitGuard();
    this.sync.replies.close();
    await this.worker.terminate();
  }

  private checkGather(op: string, send: CommunicationBuffer, receive: CommunicationBuffer): void {
    if (receive.constructor !== send.constructor || receive.length !== send.length * this.size) {
      throw new DistributedError(
        `${op}: the receive buffer must be a ${send.constructor.name} of ${send.length * this.size} elements (${this.size} × ${send.length}), got a ${receive.constructor.name} of ${receive.length}`,
        this.rank,
      );
    }
  }

  // Posts `body` behind every request already queued and blocks this thread until the worker has run it.
  // The flag goes DONE → WAITING here and WAITING → DONE in the worker; THREAD_ENDED, set by the worker as
  // it ends, is never overwritten, so a request to a thread that is gone fails instead of waiting forever.
  private requestSync(op: string, body: RequestBody): void {
    if (this.finalized) throw new DistributedError(`${op}: the process group was destroyed`, this.rank);
    const { state, replies } = this.sync;
    if (Atomics.compareExchange(state, 0, SYNC_DONE, SYNC_WAITING) !== SYNC_DONE) {
      throw new DistributedError(`${op}: rank ${this.rank}: the MPI thread has ended; no collective can run`, this.rank);
    }
    const id = ++this.nextId;
    this.worker.postMessage({ id, ...body } as MpiRequest);
    // No timeout: MPI has none either. A rank that dies ends the job (mpirun signals this process,
    // which the wait does not block); a rank that never joins hangs it, as with the async collectives.
    while (Atomics.load(state, 0) === SYNC_WAITING) Atomics.wait(state, 0, SYNC_WAITING);
    const reply = receiveMessageOnPort(replies)?.message as MpiReply | undefined;
    if (!reply) throw new DistributedError(`${op}: rank ${this.rank}: the MPI thread ended before answering`, this.rank);
    if (!reply.ok) throw new DistributedError(`${op}: rank ${this.rank}: ${reply.message}`, this.rank);
  }

  private request(op: string, body: RequestBody): Promise<MpiReply & { ok: true }> {
    if (this.finalized) return Promise.reject(new DistributedError(`${op}: the process group was destroyed`, this.rank));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, op });
      // Held open only while a collective is in flight: a program that forgets destroy() still exits.
      this.worker.ref();
      this.worker.postMessage({ id, ...body } as MpiRequest);
    });
  }

  // Runs `use` on SharedArrayBuffer-backed versions of `buffers` (the buffers themselves when they
  // already are), copying results back into the caller's arrays.
  private async withShared<T>(buffers: CommunicationBuffer[], use: (shared: CommunicationBuffer[]) => Promise<T>): Promise<T> {
    const shared = buffers.map((buffer) => (buffer.buffer instanceof SharedArrayBuffer ? buffer : sharedCopy(buffer)));
    const result = await use(shared);
    shared.forEach((copy, i) => { if (copy !== buffers[i]) buffers[i].set(copy as never); });
    return result;
  }
}

// The first request, made before the communicator exists (its rank and size come back with the answer).
function askInit(worker: Worker, syncReplies: MessagePort, syncState: Int32Array): Promise<MpiReply & { ok: true }> {
  return new Promise((resolve, reject) => {
    const stopListening = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    const onMessage = (reply: MpiReply): void => {
      stopListening();
      if (reply.ok) resolve(reply);
      else reject(new DistributedError(`init: ${reply.message}`));
    };
    const onError = (error: Error): void => {
      stopListening();
      reject(new DistributedError(`init: the MPI thread failed: ${error.message}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage({ id: 0, op: 'init', syncReplies, syncState } satisfies MpiRequest, [syncReplies]);
  });
}
