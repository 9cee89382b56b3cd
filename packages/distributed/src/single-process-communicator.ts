import type { CommunicationBuffer, Communicator, ReduceOp } from './communicator.js';
import { DistributedError } from './distributed-error.js';

/**
 * The communicator of a world of one process: every collective is the
 * identity (a copy for allGather). It needs no MPI library, so a script
 * written for `mpirun` also runs as a plain `node script.js`.
 */
export class SingleProcessCommunicator implements Communicator {
  readonly rank = 0;
  readonly size = 1;
  readonly description = 'single process (no MPI)';
  private finalized = false;

  async allReduce(_buffer: CommunicationBuffer, _op: Exclude<ReduceOp, 'mean'>): Promise<void> {
    this.checkOpen('allReduce');
  }

  async broadcast(_buffer: CommunicationBuffer, root: number): Promise<void> {
    this.checkOpen('broadcast');
    if (root !== 0) throw new DistributedError(`broadcast: root ${root} is not a rank of a world of size 1`, 0);
  }

  async allGather(send: CommunicationBuffer, receive: CommunicationBuffer): Promise<void> {
    this.checkOpen('allGather');
    receive.set(send);
  }

  allReduceSync(_buffer: CommunicationBuffer, _op: Exclude<ReduceOp, 'mean'>): void {
    this.checkOpen('allReduce');
  }

  allGatherSync(send: CommunicationBuffer, receive: CommunicationBuffer): void {
    this.checkOpen('allGather');
    receive.set(send);
  }

  async barrier(): Promise<void> {
    this.checkOpen('barrier');
  }

  async finalize(): Promise<void> {
    this.finalized = true;
  }

  private checkOpen(op: string): void {
    if (this.finalized) throw new DistributedError(`${op}: the process group was destroyed`, 0);
  }
}
