// Writes the graph pictures shown in the docs: an MLP and a 5-step unrolled RNN cell.
// Run after `pnpm build`: node scripts/graph-pictures.mjs ../../docs/autograd
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manualSeed, matmul, randn, zeros } from '@fathom/core';
import { toSvg, useAutograd } from '../dist/index.js';

const out = process.argv[2] ?? '.';
useAutograd();
manualSeed(0);

const params = {
  'fc1.weight': randn([784, 128]).setRequiresGrad(),
  'fc1.bias': zeros([128]).setRequiresGrad(),
  'fc2.weight': randn([128, 10]).setRequiresGrad(),
  'fc2.bias': zeros([10]).setRequiresGrad(),
};
const x = randn([64, 784]);
const hidden = matmul(x, params['fc1.weight']).add(params['fc1.bias']).relu();
const loss = matmul(hidden, params['fc2.weight']).add(params['fc2.bias']).logSoftmax(1).mean().neg();
await writeFile(join(out, 'mlp.svg'), await toSvg(loss, { names: params }));

const rnn = { W_xh: randn([8, 16]).setRequiresGrad(), W_hh: randn([16, 16]).setRequiresGrad() };
let h = zeros([1, 16]);
for (let step = 0; step < 5; step++) h = matmul(randn([1, 8]), rnn.W_xh).add(matmul(h, rnn.W_hh)).tanh();
await writeFile(join(out, 'rnn-5-steps.svg'), await toSvg(h.sum(), { names: rnn, direction: 'LR' }));
console.log(`wrote mlp.svg and rnn-5-steps.svg to ${out}`);
