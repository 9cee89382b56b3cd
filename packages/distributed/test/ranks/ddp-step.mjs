// One rank of test/distributed-data-parallel.test.ts. Each rank builds the
// model from its own seed (so the start-up broadcast has work to do), wraps it
// in DistributedDataParallel and takes:
//   1. one SGD step on its half of a batch of B rows (rank r: rows r·B/2 …);
//   2. the same gradient again with accumulation: its half as two
//      micro-batches, the first inside noSync; then again with every bucket
//      read and sent after backward (webgpu's path);
//   3. 50 steps of SGD with momentum on other data, with a BatchNorm1d.
// It writes what it saw to <out>/rank-<rank>.json; the test recomputes the
// full-batch step itself and compares.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, tensor } from '@fathom/core';
import { BatchNorm1d, Linear, ReLU, Sequential, crossEntropy } from '@fathom/layers';
import { SGD } from '@fathom/optim';
import { DistributedDataParallel, init } from '@fathom/distributed';

const [out, bucketCapText] = process.argv.slice(2);
const bucketCapMB = Number(bucketCapText);
const group = await init();
const { rank, worldSize } = group;

// The batch the test also builds: B rows of F features, labels in 0 … C−1.
const B = 8, F = 6, C = 3;
const feature = (i, j) => Math.sin(1.3 * i + 0.7 * j + 0.1);
const label = (i) => (i * 5) % C;
const rows = (from, count) => ({
  x: tensor(Float32Array.from({ length: count * F }, (_, k) => feature(from + Math.floor(k / F), k % F)), { shape: [count, F] }),
  y: tensor(Int32Array.from({ length: count }, (_, k) => label(from + k))),
});
const values = async (tensors) => Promise.all(tensors.map(async (t) => Array.from(await t.data())));

manualSeed(100 + rank);
const model = new Sequential(new Linear(F, 10), new ReLU(), new Linear(10, C));
const ownInitial = await values(model.parameters());
const ddp = await DistributedDataParallel.create(model, group, { bucketCapMB });
const initial = await values(model.parameters());
const share = B / worldSize;
const mine = rows(rank * share, share);

// 1. One step on this rank's share.
const optimizer = new SGD(ddp.parameters(), { lr: 0.5 });
optimizer.zeroGrad();
await ddp.backward(crossEntropy(ddp.forward(mine.x), mine.y));
const gradients = await values(model.parameters().map((p) => p.grad));
optimizer.step();
const updated = await values(model.parameters());

// 2. The same gradients by accumulation over two micro-batches (each loss halved, as a mean over the share).
optimizer.zeroGrad();
const half = share / 2;
const first = rows(rank * share, half);
const second = rows(rank * share + half, half);
// Gradients at the updated weights: the test recomputes them there.
ddp.noSync(() => crossEntropy(ddp.forward(first.x), first.y).mul(0.5).backward());
const localAfterNoSync = await values(model.parameters().map((p) => p.grad));
await ddp.backward(crossEntropy(ddp.forward(second.x), second.y).mul(0.5));
const accumulated = await values(model.parameters().map((p) => p.grad));

// 2b. The path of devices that cannot read inside backward (webgpu): no bucket is filled by a hook,
// synchronizeGradients reads every gradient after backward and sends every bucket.
optimizer.zeroGrad();
ddp.noSync(() => crossEntropy(ddp.forward(mine.x), mine.y).backward());
await ddp.synchronizeGradients();
const readAfterBackward = await values(model.parameters().map((p) => p.grad));

// 3. 50 steps with momentum and a BatchNorm, each rank on its own data.
manualSeed(200 + rank);
const net = new Sequential(new Linear(F, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, C));
const wrapped = await DistributedDataParallel.create(net, group, { bucketCapMB });
const momentum = new SGD(wrapped.parameters(), { lr: 0.1, momentum: 0.9 });
for (let step = 0; step < 50; step++) {
  const batch = rows(1000 + (step * worldSize + rank) * 4, 4);
  momentum.zeroGrad();
  await wrapped.backward(crossEntropy(wrapped.forward(batch.x), batch.y));
  momentum.step();
}
const after50 = await values(net.parameters());
const runningMeanLocal = Array.from(await net.buffers()[0].data());
await wrapped.broadcastBuffers();
const runningMeanShared = Array.from(await net.buffers()[0].data());

writeFileSync(join(out, `rank-${rank}.json`), JSON.stringify({
  rank, worldSize, buckets: ddp.buckets.length,
  shapes: model.parameters().map((p) => p.shape),
  ownInitial, initial, gradients, updated, localAfterNoSync, accumulated, readAfterBackward, after50, runningMeanLocal, runningMeanShared,
}));
await group.destroy();
