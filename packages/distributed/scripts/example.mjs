// The README's example: data-parallel training of a small classifier on
// synthetic data. Run it on 2 processes of this machine:
//
//   pnpm --filter @fathom/distributed build
//   mpirun --oversubscribe -np 2 node packages/distributed/scripts/example.mjs
//
// or as one process, without MPI: node packages/distributed/scripts/example.mjs
import { manualSeed, tensor } from '@fathom/core';
import { DataLoader } from '@fathom/datasets';
import { Linear, ReLU, Sequential, crossEntropy } from '@fathom/layers';
import { SGD } from '@fathom/optim';
import { DistributedDataParallel, DistributedSampler, init } from '@fathom/distributed';

const group = await init();
// 1,000 points in 2-D, labelled by the quadrant they fall in.
const points = {
  length: 1000,
  get: (i) => {
    const x = [Math.sin(i * 12.9898) * 2, Math.cos(i * 78.233) * 2];
    return { x: tensor(x), y: (x[0] > 0 ? 1 : 0) + (x[1] > 0 ? 2 : 0) };
  },
};
manualSeed(group.rank); // different on purpose: DDP starts every rank from rank 0's weights
const model = new Sequential(new Linear(2, 32), new ReLU(), new Linear(32, 4));
const ddp = await DistributedDataParallel.create(model, group);
const optimizer = new SGD(ddp.parameters(), { lr: 0.2, momentum: 0.9 });
const shard = new DistributedSampler(points, { group, seed: 0 });
const loader = new DataLoader(shard, { batchSize: 64 / group.worldSize }); // a global batch of 64

for (let epoch = 0; epoch < 5; epoch++) {
  let loss = tensor(0);
  for await (const { x, y } of loader) {
    optimizer.zeroGrad();
    loss = crossEntropy(ddp.forward(x), y);
    await ddp.backward(loss);
    optimizer.step();
  }
  // The last batch's loss averaged over the ranks; rank 0 alone prints.
  await group.allReduce(loss, { op: 'mean' });
  if (group.rank === 0) console.log(`epoch ${epoch}: loss ${(await loss.item()).toFixed(4)}`);
}
await group.destroy();
