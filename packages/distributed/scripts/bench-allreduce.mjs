// All-reduce (sum, float32) time and bandwidth by message size, on however
// many ranks mpirun starts:
//
//   mpirun --oversubscribe -np 2 node scripts/bench-allreduce.mjs [worker|blocking|polling]
//
// worker   : what @fathom/distributed does — the blocking MPI_Allreduce on the MPI worker thread
//            (a SharedArrayBuffer, so no copies), awaited from the main thread.
// blocking : MPI_Allreduce called directly on the main thread (blocks the event loop): the
//            transport's own cost, the floor for the other two.
// polling  : MPI_Iallreduce started on the main thread, MPI_Test polled from setImmediate.
// Prints a Markdown table from rank 0: median of the repeats, and bus bandwidth
// (bytes × 2(n−1)/n per second, what each rank sends and receives in a ring).
import koffi from 'koffi';
import { init } from '@fathom/distributed';

const mode = process.argv[2] ?? 'worker';
const SIZES = (process.env.SIZES_MIB ?? "0.00390625,0.0625,1,4,25,100").split(",").map((m) => Math.round(Number(m) * (1 << 20)));
const repeats = (bytes) => (bytes >= 25 << 20 ? 7 : 21);

let allReduce, barrier, finish, rank, size;
if (mode === 'worker') {
  const group = await init();
  ({ rank, worldSize: size } = group);
  allReduce = (buffer) => group.allReduceArray(buffer);
  barrier = () => group.barrier();
  finish = () => group.destroy();
} else {
  const lib = koffi.load('libmpi.so.40');
  const world = lib.symbol('ompi_mpi_comm_world'), float = lib.symbol('ompi_mpi_float'), sum = lib.symbol('ompi_mpi_op_sum');
  lib.func('int MPI_Init_thread(void *argc, void *argv, int required, _Out_ int *provided)')(null, null, 0, [0]);
  const out = [0];
  lib.func('int MPI_Comm_rank(void *comm, _Out_ int *rank)')(world, out); rank = out[0];
  lib.func('int MPI_Comm_size(void *comm, _Out_ int *size)')(world, out); size = out[0];
  const mpiAllreduce = lib.func('int MPI_Allreduce(void *send, void *receive, int count, void *datatype, void *op, void *comm)');
  const mpiIallreduce = lib.func('int MPI_Iallreduce(void *send, void *receive, int count, void *datatype, void *op, void *comm, _Out_ void **request)');
  const mpiTest = lib.func('int MPI_Test(_Inout_ void **request, _Out_ int *flag, void *status)');
  const mpiBarrier = lib.func('int MPI_Barrier(void *comm)');
  allReduce = mode === 'blocking'
    ? async (buffer) => { mpiAllreduce(1n, buffer, buffer.length, float, sum, world); }
    : (buffer) => new Promise((resolve) => {
      const request = [null];
      const flag = [0];
      mpiIallreduce(1n, buffer, buffer.length, float, sum, world, request);
      const poll = () => { mpiTest(request, flag, null); if (flag[0]) resolve(); else setImmediate(poll); };
      poll();
    });
  barrier = async () => { mpiBarrier(world); };
  finish = async () => { lib.func('int MPI_Finalize()')(); };
}

const rows = [];
for (const bytes of SIZES) {
  const buffer = new Float32Array(new SharedArrayBuffer(bytes)).fill(1);
  await allReduce(buffer); // first touch of the pages and of MPI's shared-memory segments
  const times = [];
  for (let i = 0; i < repeats(bytes); i++) {
    await barrier();
    const started = performance.now();
    await allReduce(buffer);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  const busBytes = (bytes * 2 * (size - 1)) / size;
  rows.push(`| ${bytes >= 1 << 20 ? `${bytes >> 20} MiB` : `${bytes >> 10} KiB`} | ${median.toFixed(3)} | ${(busBytes / (median / 1000) / 1e9).toFixed(2)} |`);
}
if (rank === 0) {
  console.log(`all-reduce on ${size} ranks, mode ${mode} (median of repeats)\n`);
  console.log('| message | time (ms) | bus bandwidth (GB/s) |\n|---|---|---|');
  console.log(rows.join('\n'));
}
await finish();
