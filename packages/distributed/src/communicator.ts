/** A reduction the collectives support, as `torch.distributed.ReduceOp` (`'mean'` is a sum divided by the world size). */
export type ReduceOp = 'sum' | 'mean' | 'max' | 'min';

/** The host arrays a {@link Communicator} moves: float32 (gradients), float64 (metrics) and int32 (counts). */
export type CommunicationBuffer = Float32Array | Float64Array | Int32Array;

/**
 * The host-memory collectives a process group is built on. One implementation
 * talks to Open MPI; another serves a single process with no MPI at all. Calls
 * are collective: every rank makes the same calls in the same order, and each
 * returns a promise that settles when this rank's part is done, without ever
 * blocking the event loop — except the `…Sync` ones, which block by design.
 */
export interface Communicator {
  /** This process's rank. */
  readonly rank: number;
  /** How many processes take part. */
  readonly size: number;
  /** What carries the messages, for messages and reports: `'mpi (libmpi.so.40)'`, `'single process'`. */
  readonly description: string;
  /** Reduces `buffer` element-wise over all ranks, in place (`'mean'` is refused here: it is the caller's sum divided by size). */
  allReduce(buffer: CommunicationBuffer, op: Exclude<ReduceOp, 'mean'>): Promise<void>;
  /** Overwrites `buffer` on every rank with its contents on `root`. */
  broadcast(buffer: CommunicationBuffer, root: number): Promise<void>;
  /** Writes rank r's `send` into `receive` at `r × send.length`, on every rank (`receive` has `size × send.length` elements of the same type). */
  allGather(send: CommunicationBuffer, receive: CommunicationBuffer): Promise<void>;
  /**
   * {@link allReduce}, blocking this thread until it is done: for code that
   * cannot await (SyncBatchNorm's forward and backward). It takes its turn
   * behind the collectives already started, like any other call.
   */
  allReduceSync(buffer: CommunicationBuffer, op: Exclude<ReduceOp, 'mean'>): void;
  /** {@link allGather}, blocking this thread until it is done. */
  allGatherSync(send: CommunicationBuffer, receive: CommunicationBuffer): void;
  /** Settles once every rank has called it. */
  barrier(): Promise<void>;
  /** Waits for calls in flight, then shuts the transport down. Later calls throw. */
  finalize(): Promise<void>;
}
