import { ValueError, type Tensor } from '@fathom/core';
import type { CommunicationBuffer, Communicator, ReduceOp } from './communicator.js';
import { DistributedError } from './distributed-error.js';
import { checkCommunicableDType, readToHost, writeFromHost } from './host-copy.js';

/** Options of {@link ProcessGroup.allReduce}. */
export interface AllReduceOptions {
  /** How the ranks' values combine (default `'sum'`). `'mean'` divides the sum by the world size (float dtypes only). */
  readonly op?: ReduceOp;
}

/** Options of {@link ProcessGroup.broadcast}. */
export interface BroadcastOptions {
  /** The rank whose values every rank receives (default 0). */
  readonly root?: number;
}

/**
 * The processes of one data-parallel job, as `torch.distributed`'s default
 * group: made by {@link init}, it knows this process's `rank` and the
 * `worldSize`, and runs collectives on tensors. Every rank must make the same
 * collective calls in the same order.
 *
 * Collectives on tensors work on the tensor's host bytes: a cpu tensor is
 * copied, a wasm or webgpu tensor read back to the host, reduced there by MPI,
 * and written back into the same tensor (same storage, same device). Each
 * returns a promise and never blocks the event loop.
 *
 * ```ts
 * const group = await init();                    // mpirun -np 2 node train.js
 * const t = tensor([group.rank + 1, 10]);
 * await group.allReduce(t, { op: 'sum' });       // [3, 20] on both ranks
 * await group.destroy();
 * ```
 */
export class ProcessGroup {
  private destroyed = false;

  /** @internal Made by {@link init}. */
  constructor(private readonly communicator: Communicator) {}

  /** This process's rank, `0 … worldSize − 1`; rank 0 is the one that writes files and logs by convention. */
  get rank(): number {
    return this.communicator.rank;
  }

  /** How many processes take part. */
  get worldSize(): number {
    return this.communicator.size;
  }

  /** What carries the messages: `'mpi (libmpi.so.40)'` or `'single process (no MPI)'`. */
  get transport(): string {
    return this.communicator.description;
  }

  /** Reduces `t` over all ranks in place (every rank ends with the result) and returns `t`. float32, float64 or int32. */
  async allReduce(t: Tensor, options: AllReduceOptions = {}): Promise<Tensor> {
    const op = this.checkOp('allReduce', options.op ?? 'sum', t.dtype === 'int32');
    const values = await readToHost('allReduce', t);
    await this.allReduceArray(values, { op });
    writeFromHost(t, values);
    return t;
  }

  /** Reduces a host array over all ranks in place and returns it (what {@link allReduce} does after reading a tensor). */
  async allReduceArray<B extends CommunicationBuffer>(buffer: B, options: AllReduceOptions = {}): Promise<B> {
    const op = this.checkOp('allReduceArray', options.op ?? 'sum', buffer instanceof Int32Array);
    this.checkOpen('allReduce');
    await this.communicator.allReduce(buffer, op === 'mean' ? 'sum' : op);
    if (op === 'mean') for (let i = 0; i < buffer.length; i++) buffer[i] /= this.worldSize;
    return buffer;
  }

  /**
   * {@link allReduceArray} that blocks this thread until every rank has
   * joined, for code that cannot await: SyncBatchNorm exchanges statistics
   * inside forward and backward this way. The main thread waits on the MPI
   * thread with `Atomics.wait`, behind the collectives already started (DDP's
   * buckets), in call order. A rank that dies meanwhile still ends the job
   * (mpirun stops this process). Avoid it elsewhere: nothing else runs on
   * this thread while it waits.
   *
   * ```ts
   * const sums = group.allReduceArraySync(Float64Array.from([count, total]));
   * ```
   */
  allReduceArraySync<B extends CommunicationBuffer>(buffer: B, options: AllReduceOptions = {}): B {
    const op = this.checkOp('allReduceArraySync', options.op ?? 'sum', buffer instanceof Int32Array);
    this.checkOpen('allReduce');
    this.communicator.allReduceSync(buffer, op === 'mean' ? 'sum' : op);
    if (op === 'mean') for (let i = 0; i < buffer.length; i++) buffer[i] /= this.worldSize;
    return buffer;
  }

  /** {@link allGatherArray} that blocks this thread until every rank has joined (see {@link allReduceArraySync}). */
  allGatherArraySync<B extends CommunicationBuffer>(buffer: B): B {
    this.checkOpen('allGather');
    const receive = new (buffer.constructor as new (length: number) => B)(buffer.length * this.worldSize);
    this.communicator.allGatherSync(buffer, receive);
    return receive;
  }

  /** Overwrites `t` on every rank with its values on `root` (default 0), in place, and returns `t`. Shapes must agree across ranks. */
  async broadcast(t: Tensor, options: BroadcastOptions = {}): Promise<Tensor> {
    const values = await readToHost('broadcast', t);
    await this.broadcastArray(values, options);
    writeFromHost(t, values);
    return t;
  }

  /** Overwrites a host array with its contents on `root` (default 0) and returns it. */
  async broadcastArray<B extends CommunicationBuffer>(buffer: B, options: BroadcastOptions = {}): Promise<B> {
    this.checkOpen('broadcast');
    await this.communicator.broadcast(buffer, this.checkRank('broadcast', 'root', options.root ?? 0));
    return buffer;
  }

  /**
   * Every rank's `t`, in rank order, as new tensors on t's device
   * (`torch.distributed.all_gather`). Shapes must agree across ranks.
   */
  async allGather(t: Tensor): Promise<Tensor[]> {
    checkCommunicableDType('allGather', t);
    const values = await readToHost('allGather', t);
    const gathered = await this.allGatherArray(values);
    return Array.from({ length: this.worldSize }, (_, r) => {
      const part = t.newZeros(t.shape);
      writeFromHost(part, gathered.subarray(r * values.length, (r + 1) * values.length));
      return part;
    });
  }

  /** Every rank's `buffer`, concatenated in rank order, in a new array of the same type. */
  async allGatherArray<B extends CommunicationBuffer>(buffer: B): Promise<B> {
    this.checkOpen('allGather');
    const receive = new (buffer.constructor as new (length: number) => B)(buffer.length * this.worldSize);
    await this.communicator.allGather(buffer, receive);
    return receive;
  }

  /** Settles once every rank has reached its barrier. */
  async barrier(): Promise<void> {
    this.checkOpen('barrier');
    await this.communicator.barrier();
  }

  /**
   * Waits for the collectives in flight and shuts MPI down (`MPI_Finalize`).
   * Every rank must call it before exiting: Open MPI's mpirun treats a rank
   * that exits without it as a failure and stops the whole job. MPI cannot be
   * started again in the same process. Calling it twice is harmless.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.communicator.finalize();
  }

  /** Whether {@link destroy} was called. */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  private checkOpen(op: string): void {
    if (this.destroyed) throw new DistributedError(`${op}: the process group was destroyed`, this.rank);
  }

  private checkRank(op: string, name: string, value: number): number {
    if (!Number.isInteger(value) || value < 0 || value >= this.worldSize) {
      throw new ValueError(`${op}: ${name} ${value} is not a rank of a world of size ${this.worldSize}`);
    }
    return value;
  }

  private checkOp(op: string, reduce: ReduceOp, integer: boolean): ReduceOp {
    if (!['sum', 'mean', 'max', 'min'].includes(reduce)) throw new ValueError(`${op}: unknown op '${reduce}' (expected sum, mean, max or min)`);
    if (reduce === 'mean' && integer) throw new ValueError(`${op}: 'mean' needs a float dtype; reduce int32 with 'sum' and divide yourself`);
    return reduce;
  }
}
