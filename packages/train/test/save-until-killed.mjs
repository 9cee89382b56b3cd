// Child process of kill.test.ts: saves checkpoints of a model whose every
// weight equals the step number, one after another, until it is killed.
// A line on stdout says a save completed.
import { full } from '@fathom/core';
import { noGrad, useAutograd } from '@fathom/autograd';
import { Linear, Sequential } from '@fathom/layers';
import { saveCheckpoint } from '../dist/index.js';

useAutograd();
const [path] = process.argv.slice(2);
// About 3 MB of float32 weights, so a save takes long enough to be cut.
const model = new Sequential(new Linear(512, 512), new Linear(512, 512), new Linear(512, 512));
for (let step = 1; ; step++) {
  noGrad(() => {
    for (const parameter of model.parameters()) parameter.copy_(full(parameter.shape, step));
  });
  await saveCheckpoint(path, { model }, { epoch: 0, step });
  process.stdout.write(`saved ${step}\n`);
}
