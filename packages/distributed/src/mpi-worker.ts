// The thread that owns MPI. Every MPI call of the process is made here, one
// after the other, as blocking calls: MPI progresses a transfer inside its own
// call, at full speed, while the main thread goes on computing (the rest of
// backward, the next batch), and the main thread's event loop never waits.
// Only this thread calls MPI, so MPI_THREAD_FUNNELED is all it needs.
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { CommunicationBuffer } from './communicator.js';
import { loadMpiLibrary, MPI_IN_PLACE, MPI_MAX_ERROR_STRING, MPI_SUCCESS, type MpiLibrary } from './mpi-library.js';
import { SYNC_DONE, SYNC_THREAD_ENDED, type MpiReply, type MpiRequest } from './mpi-protocol.js';

/** `MPI_THREAD_FUNNELED` in Open MPI's mpi.h. */
const MPI_THREAD_FUNNELED = 1;

class MpiCallError extends Error {}

function errorText(mpi: MpiLibrary, code: number): string {
  const text = new Uint8Array(MPI_MAX_ERROR_STRING);
  const length = [0];
  if (mpi.errorString(code, text, length) !== MPI_SUCCESS) return `MPI error ${code}`;
  return `${new TextDecoder().decode(text.subarray(0, length[0]))} (MPI error ${code})`;
}

function check(mpi: MpiLibrary, name: string, code: number): void {
  if (code !== MPI_SUCCESS) throw new MpiCallError(`${name} failed: ${errorText(mpi, code)}`);
}

function datatype(mpi: MpiLibrary, buffer: CommunicationBuffer): bigint {
  if (buffer instanceof Float32Array) return mpi.handles.float;
  if (buffer instanceof Float64Array) return mpi.handles.double;
  return mpi.handles.int;
}

async function handle(request: MpiRequest, mpi: MpiLibrary): Promise<Omit<Extract<MpiReply, { ok: true }>, 'id'>> {
  const world = mpi.handles.commWorld;
  switch (request.op) {
    case 'init': {
      const flag = [0];
      check(mpi, 'MPI_Finalized', mpi.finalized(flag));
      if (flag[0]) throw new MpiCallError('MPI was already finalized in this process; MPI cannot be started twice');
      check(mpi, 'MPI_Initialized', mpi.initialized(flag));
      if (!flag[0]) check(mpi, 'MPI_Init_thread', mpi.initThread(null, null, MPI_THREAD_FUNNELED, [0]));
      // Errors come back as return codes (a DistributedError on the main thread) instead of aborting inside MPI.
      check(mpi, 'MPI_Comm_set_errhandler', mpi.commSetErrhandler(world, mpi.handles.errorsReturn));
      const rank = [0];
      const size = [0];
      check(mpi, 'MPI_Comm_rank', mpi.commRank(world, rank));
      check(mpi, 'MPI_Comm_size', mpi.commSize(world, size));
      return { ok: true, rank: rank[0], size: size[0], library: mpi.path };
    }
    case 'allReduce': {
      const { handles } = mpi;
      const op = request.reduce === 'sum' ? handles.sum : request.reduce === 'max' ? handles.max : handles.min;
      check(mpi, 'MPI_Allreduce', mpi.allreduce(MPI_IN_PLACE, request.buffer, request.buffer.length, datatype(mpi, request.buffer), op, world));
      return { ok: true };
    }
    case 'broadcast':
      check(mpi, 'MPI_Bcast', mpi.bcast(request.buffer, request.buffer.length, datatype(mpi, request.buffer), request.root, world));
      return { ok: true };
    case 'allGather': {
      const type = datatype(mpi, request.send);
      check(mpi, 'MPI_Allgather', mpi.allgather(request.send, request.send.length, type, request.receive, request.send.length, type, world));
      return { ok: true };
    }
    case 'barrier':
      check(mpi, 'MPI_Barrier', mpi.barrier(world));
      return { ok: true };
    case 'finalize':
      check(mpi, 'MPI_Finalize', mpi.finalize());
      return { ok: true };
  }
}

const port = parentPort;
if (port) {
  // Where synchronous requests are answered, and the flag the main thread waits on (given by init).
  let sync: { replies: MessagePort; state: Int32Array } | null = null;
  // Messages are handled strictly one after another (each handler finishes before the next starts):
  // the order of collectives is the order the main thread asked for them, sync or not.
  let previous: Promise<void> = Promise.resolve();
  port.on('message', (request: MpiRequest) => {
    if (request.op === 'init') sync = { replies: request.syncReplies, state: request.syncState };
    previous = previous.then(async () => {
      let reply: MpiReply;
      try {
        const mpi = await loadMpiLibrary();
        reply = { id: request.id, ...(await handle(request, mpi)) };
      } catch (error) {
        reply = { id: request.id, ok: false, message: (error as Error).message };
      }
      if ('sync' in request && request.sync && sync) {
        // The reply is queued on the port before the main thread is woken, so it finds it there.
        sync.replies.postMessage(reply);
        Atomics.store(sync.state, 0, SYNC_DONE);
        Atomics.notify(sync.state, 0);
      } else {
        port.postMessage(reply);
      }
    });
  });
  // A main thread blocked in Atomics.wait cannot hear this thread's 'error' or 'exit' events:
  // wake it with the news instead of leaving it waiting for a reply that will never come.
  process.on('exit', () => {
    if (!sync) return;
    Atomics.store(sync.state, 0, SYNC_THREAD_ENDED);
    Atomics.notify(sync.state, 0);
  });
}
