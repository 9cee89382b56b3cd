// Time of one training step of an MLP (784 → 512 → 512 → 10, 669,706 float32
// parameters: 2.7 MB of gradients) on the cpu device, with the same batch per
// rank in both modes:
//
//   mpirun --oversubscribe -np 2 node scripts/bench-ddp-step.mjs plain   # each rank trains alone
//   mpirun --oversubscribe -np 2 node scripts/bench-ddp-step.mjs ddp     # DistributedDataParallel
//
// Running `plain` under mpirun too puts the same number of processes on the
// same cores, so the difference between the two is what DDP adds (broadcast
// excluded: it happens once, before the timed steps). BUCKET_MB sets bucketCapMB.
import { manualSeed, randint, randn } from '@fathom/core';
import { Linear, ReLU, Sequential, crossEntropy } from '@fathom/layers';
import { SGD } from '@fathom/optim';
import { DistributedDataParallel, init } from '@fathom/distributed';

const mode = process.argv[2] ?? 'ddp';
const BATCH = Number(process.env.BATCH ?? 64);
const STEPS = Number(process.env.STEPS ?? 30);
const WARMUP = 5;
const group = await init();
manualSeed(group.rank);
const model = new Sequential(new Linear(784, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));
const net = mode === 'ddp' ? await DistributedDataParallel.create(model, group, { bucketCapMB: Number(process.env.BUCKET_MB ?? 25) }) : model;
const optimizer = new SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
const x = randn([BATCH, 784]);
const y = randint(0, 10, [BATCH]);
const times = [];
const waits = [];
for (let step = 0; step < WARMUP + STEPS; step++) {
  await group.barrier(); // both modes: steps start together, so the ranks compete for the cores alike
  const started = performance.now();
  optimizer.zeroGrad();
  const loss = crossEntropy(net.forward(x), y);
  loss.backward();
  // What DDP adds after backward returns: the all-reduces not yet done, and writing the averages back.
  const synchronizing = performance.now();
  if (mode === 'ddp') await net.synchronizeGradients();
  if (step >= WARMUP) waits.push(performance.now() - synchronizing);
  optimizer.step();
  if (step >= WARMUP) times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
if (group.rank === 0) {
  waits.sort((a, b) => a - b);
  const buckets = mode === 'ddp' ? `, ${net.buckets.length} bucket(s), synchronizeGradients median ${waits[waits.length >> 1].toFixed(1)} ms` : '';
  console.log(`${mode} on ${group.worldSize} rank(s), batch ${BATCH} per rank${buckets}: median step ${times[times.length >> 1].toFixed(1)} ms (min ${times[0].toFixed(1)}, max ${times[times.length - 1].toFixed(1)})`);
}
await group.destroy();
