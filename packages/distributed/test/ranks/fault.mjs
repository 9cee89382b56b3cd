// One rank of test/faults.test.ts: every rank trains a small DDP model step
// after step, forever; rank 1 dies after a few steps in the way argv[2] says
// (an uncaught error, SIGKILL, or exit(0) without destroy()). In the
// '…-waiting' ways rank 1 first starts a collective that rank 0 never joins,
// so its MPI thread is blocked when it leaves. The test checks that mpirun
// ends the whole job, in bounded time, naming rank 1. In the '…-while-peer-syncs'
// ways rank 0 enters a SyncBatchNorm forward, its main thread blocked in
// Atomics.wait on the MPI thread, and rank 1 dies instead of joining.
import { randn, tensor } from '@fathom/core';
import { Linear, mseLoss } from '@fathom/layers';
import { DistributedDataParallel, SyncBatchNorm, init } from '@fathom/distributed';

const how = process.argv[2];
const group = await init();
const model = await DistributedDataParallel.create(new Linear(4, 2), group);
const x = tensor([[1, 2, 3, 4]]);
const y = tensor([[0, 1]]);
for (let step = 0; ; step++) {
  if (step === 5 && how.endsWith('-waiting')) {
    if (group.rank === 0) await new Promise((resolve) => setTimeout(resolve, 3_600_000)); // busy elsewhere, for an hour
    group.allReduceArray(new Float32Array(4)).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (how === 'throw-waiting') throw new Error('rank 1 fails on purpose while its MPI thread waits');
    process.exit(0);
  }
  if (step === 5 && how.endsWith('-while-peer-syncs')) {
    if (group.rank === 0) {
      new SyncBatchNorm(2, { group }).forward(randn([4, 2])); // blocks: rank 1 never joins
      console.error('rank 0: the SyncBatchNorm forward returned although rank 1 never joined');
      process.exit(3);
    }
    await new Promise((resolve) => setTimeout(resolve, 500)); // rank 0 is waiting by now
    if (how === 'throw-while-peer-syncs') throw new Error('rank 1 fails on purpose while rank 0 waits in SyncBatchNorm');
    process.kill(process.pid, 'SIGKILL');
  }
  if (group.rank === 1 && step === 5) {
    if (how === 'throw') throw new Error('rank 1 fails on purpose');
    if (how === 'kill') process.kill(process.pid, 'SIGKILL');
    if (how === 'exit') process.exit(0);
  }
  model.zeroGrad();
  await model.backward(mseLoss(model.forward(x), y));
}
