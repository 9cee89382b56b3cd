// One rank of the collectives test (test/collectives.test.ts): runs each
// collective on values that depend on the rank, and writes what it got to
// <out>/rank-<rank>.json for the test to check against its own arithmetic.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensor } from '@fathom/core';
import { init } from '@fathom/distributed';

const out = process.argv[2];
const group = await init();
const { rank, worldSize } = group;

// Values the test can recompute: element i of rank r is r * 100 + i + 0.25.
const values = (n, r) => Float32Array.from({ length: n }, (_, i) => r * 100 + i + 0.25);

const sum = await group.allReduce(tensor(values(6, rank), { shape: [2, 3] }), { op: 'sum' });
const mean = await group.allReduce(tensor(values(5, rank)), { op: 'mean' });
const max = await group.allReduce(tensor(values(3, rank)), { op: 'max' });
const ints = await group.allReduce(tensor(Int32Array.from([rank, rank * 7])), { op: 'sum' });
const broadcastFrom1 = await group.broadcast(tensor(values(4, rank)), { root: worldSize - 1 });
const gathered = await group.allGather(tensor(values(3, rank)));
// A large message (25 MB) goes through the same path as a bucket does.
const big = new Float32Array(25 * 1024 * 1024 / 4).fill(rank + 1);
big[big.length - 1] = rank * 3;
await group.allReduceArray(big, { op: 'sum' });
await group.barrier();

writeFileSync(join(out, `rank-${rank}.json`), JSON.stringify({
  rank,
  worldSize,
  transport: group.transport,
  sum: { shape: sum.shape, values: Array.from(await sum.data()) },
  mean: Array.from(await mean.data()),
  max: Array.from(await max.data()),
  ints: Array.from(await ints.data()),
  broadcast: Array.from(await broadcastFrom1.data()),
  gathered: await Promise.all(gathered.map(async (t) => Array.from(await t.data()))),
  big: { first: big[0], last: big[big.length - 1], length: big.length },
}));
await group.destroy();
