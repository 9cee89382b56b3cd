import { Worker } from 'node:worker_threads';
import type { CommunicationBuffer, Communicator, ReduceOp } from './communicator.js';
import { DistributedError } from './distributed-error.js';
import { guardExit } from './exit-guard.js';
import type { MpiReply, MpiRequest } from './mpi-protocol.js';
import { sharedCopy } from './shared-array.js';

// A request without its id, as callers write it (the union distributed over its members).
type RequestBody = MpiRequest extends infer R ? (R extends MpiRequest ? Omit<R, 'id'> : never) : never;

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
 */
export class MpiCommunicator implements Communicator {
  readonly description: string;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (reply: MpiReply & { ok: true }) => void; reject: (error: Error) => void; op: string }>();
  private finalized = false;
  private removeExitGuard: () => void = () => undefined;

  private constructor(private readonly worker: Worker, readonly rank: number, readonly size: number, library: string) {
    this.description = `mpi (${library})`;
  }

  /** Starts the MPI thread, initialises MPI there and returns the world communicator. */
  static async create(): Promise<MpiCommunicator> {
    const worker = new Worker(new URL('./mpi-worker.js', import.meta.url));
    let reply: MpiReply & { ok: true };
    try {
      reply = await askInit(worker);
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    const communicator = new MpiCommunicator(worker, reply.rank!, reply.size!, reply.library!).listen();
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
    if (receive.constructor !== send.constructor || receive.length !== send.length * this.size) {
      throw new DistributedError(
        `allGather: the receive buffer must be a ${send.constructor.name} of ${send.length * this.size} elements (${this.size} × ${send.length}), got a ${receive.constructor.name} of ${receive.length}`,
        this.rank,
      );
    }
    await this.withShared([send, receive], ([sharedSend, sharedReceive]) => this.request('allGather', { op: 'allGather', send: sharedSend, receive: sharedReceive }));
  }

  async barrier(): Promise<void> {
    await this.request('barrier', { op: 'barrier' });
  }

  async finalize(): Promise<void> {
    if (this.finalized) return;
    await this.request('destroy', { op: 'finalize' });
    this.finalized = true;
    this.removeExitGuard();
    await this.worker.terminate();
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
function askInit(worker: Worker): Promise<MpiReply & { ok: true }> {
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
    worker.postMessage({ id: 0, op: 'init' } satisfies MpiRequest);
  });
}
