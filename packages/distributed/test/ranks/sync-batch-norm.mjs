// One rank of test/sync-batch-norm.test.ts. Every rank also runs the
// single-process reference (BatchNorm2d on all B rows, in this process), so
// the test compares each rank's SyncBatchNorm on its B/2 rows with it:
//   1. a SyncBatchNorm alone: two training steps (outputs, input/weight/bias
//      gradients of Σ out·r, running statistics), then evaluation;
//   2. a small conv net converted by convertSyncBatchnorm inside
//      DistributedDataParallel (tiny buckets, so bucket all-reduces started
//      from gradient hooks and SyncBatchNorm's all-reduce share backward);
//   3. a blocking all-reduce and all-gather on host arrays.
// It writes what it saw to <out>/rank-<rank>.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, tensor } from '@fathom/core';
import { noGrad } from '@fathom/autograd';
import { BatchNorm2d, Conv2d, ReLU, Sequential } from '@fathom/layers';
import { DistributedDataParallel, SyncBatchNorm, init } from '@fathom/distributed';

const out = process.argv[2];
const group = await init();
const { rank, worldSize } = group;

// The batch: B rows of (C, H, W), channels with different means and spreads.
const B = 8, C = 3, H = 3, W = 2;
const element = (step, i, c, h, w) => (c + 1) * Math.sin(1.7 * i + 0.9 * c + 0.4 * h + 0.3 * w + step) + 2 * c - 1 + 0.5 * step;
const projection = (step, i, c, h, w) => Math.cos(0.8 * i - 0.5 * c + 1.1 * h + 0.6 * w + 2 * step);
const rows = (fill, step, from, count, channels = C) => tensor(
  Float32Array.from({ length: count * channels * H * W }, (_, k) => {
    const w = k % W, h = Math.floor(k / W) % H, c = Math.floor(k / (W * H)) % channels, i = from + Math.floor(k / (W * H * channels));
    return fill(step, i, c, h, w);
  }),
  { shape: [count, channels, H, W] },
);
const share = B / worldSize;
const values = (t) => (t ? Array.from(t.dataSync()) : null);

// 1. SyncBatchNorm alone against BatchNorm2d on all rows.
const weight = [0.5, 1.5, -1], bias = [0.1, -0.2, 0.3];
const reference = new BatchNorm2d(C, { momentum: 0.3 });
const synced = new SyncBatchNorm(C, { group, momentum: 0.3 });
for (const module of [reference, synced]) {
  noGrad(() => {
    module.weight.copy_(tensor(weight));
    module.bias.copy_(tensor(bias));
  });
}
const steps = [];
for (let step = 0; step < 2; step++) {
  const whole = rows(element, step, 0, B).setRequiresGrad();
  const expected = reference.forward(whole);
  expected.mul(rows(projection, step, 0, B)).sum().backward();
  const mine = rows(element, step, rank * share, share).setRequiresGrad();
  const got = synced.forward(mine);
  got.mul(rows(projection, step, rank * share, share)).sum().backward();
  const weightGradient = Float32Array.from(synced.weight.grad.dataSync());
  const biasGradient = Float32Array.from(synced.bias.grad.dataSync());
  steps.push({
    output: values(got), expectedOutput: values(expected),
    inputGradient: values(mine.grad), expectedInputGradient: values(whole.grad),
    weightGradient: Array.from(weightGradient), biasGradient: Array.from(biasGradient),
    weightGradientSum: Array.from(await group.allReduceArray(weightGradient, { op: 'sum' })),
    biasGradientSum: Array.from(await group.allReduceArray(biasGradient, { op: 'sum' })),
    expectedWeightGradient: values(reference.weight.grad), expectedBiasGradient: values(reference.bias.grad),
    runningMean: values(synced.stateDict().running_mean), expectedRunningMean: values(reference.stateDict().running_mean),
    runningVar: values(synced.stateDict().running_var), expectedRunningVar: values(reference.stateDict().running_var),
    batches: values(synced.stateDict().num_batches_tracked)[0],
  });
  for (const module of [reference, synced]) module.zeroGrad();
}
synced.eval();
reference.eval();
const evaluation = { output: values(synced.forward(rows(element, 5, rank * share, share))), expected: values(reference.forward(rows(element, 5, 0, B))) };

// 2. A conv net converted, in DDP: its averaged gradients are the single-process ones / worldSize
// (each rank's loss is its rows' share of the single-process sum).
const build = () => new Sequential(new Conv2d(C, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new Conv2d(4, 2, 1), new BatchNorm2d(2));
manualSeed(11);
const single = build();
const net = build();
net.loadStateDict(single.stateDict());
const keysBefore = Object.keys(net.stateDict());
SyncBatchNorm.convertSyncBatchnorm(net, group);
const keysAfter = Object.keys(net.stateDict());
const converted = net.modules().filter((m) => m instanceof SyncBatchNorm).length;
const ddp = await DistributedDataParallel.create(net, group, { bucketCapMB: 0.0002 });
const netProjection = (step, i, c, h, w) => Math.sin(0.3 * i + 1.9 * c - 0.7 * h + 0.2 * w);
const wholeOutput = single.forward(rows(element, 3, 0, B));
wholeOutput.mul(rows(netProjection, 0, 0, B, 2)).sum().backward();
const myOutput = ddp.forward(rows(element, 3, rank * share, share));
await ddp.backward(myOutput.mul(rows(netProjection, 0, rank * share, share, 2)).sum());
const ddpStep = {
  buckets: ddp.buckets.length,
  keysBefore, keysAfter, converted,
  output: values(myOutput), expectedOutput: values(wholeOutput),
  gradients: net.parameters().map((p) => values(p.grad)), expectedGradients: single.parameters().map((p) => values(p.grad)),
  buffers: net.buffers().map(values), expectedBuffers: single.buffers().map(values),
};

// 3. The blocking collectives on host arrays.
const sum = Array.from(group.allReduceArraySync(Float64Array.from([rank + 1, 10 * rank]), { op: 'sum' }));
const mean = Array.from(group.allReduceArraySync(Float32Array.from([rank + 1, 0.5]), { op: 'mean' }));
const gathered = Array.from(group.allGatherArraySync(Float32Array.from([rank, rank + 0.5])));

writeFileSync(join(out, `rank-${rank}.json`), JSON.stringify({ rank, worldSize, steps, evaluation, ddpStep, sum, mean, gathered }));
await group.destroy();
