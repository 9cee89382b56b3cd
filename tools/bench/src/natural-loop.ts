// The cost of memory without ceremony: the W3 step (LeNet-5, batch 64, SGD
// momentum) as a PyTorch user writes the loop — no scope(), no dispose(), the
// loss read every 50 steps — beside the same loop with one scope() per step.
// Core collects garbage itself when device memory churns; what that costs
// shows in the mean step time over many steps (a median would hide the
// collections), so blocks of steps of each loop alternate and every step is
// counted.
//
//   pnpm --filter @fathom/bench bench:natural-loop [--device wasm|cpu] [--steps N] [--blocks N]
//
// Progress goes to stderr, the markdown table to stdout. Run without
// --expose-gc: core reaches the collector the way it does for users.
import { parseArgs } from 'node:util';
import { manualSeed, memoryStats, randint, randn, registerBackend, scope, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { crossEntropy } from '@fathom/layers';
import { LeNet5 } from '@fathom/models';
import { SGD } from '@fathom/optim';
import { wasm } from '@fathom/wasm';

const { values } = parseArgs({ options: { device: { type: 'string', default: 'wasm' }, steps: { type: 'string', default: '300' }, blocks: { type: 'string', default: '4' } } });
const device = values.device === 'cpu' ? 'cpu' : 'wasm';
const steps = Number(values.steps);
const blocks = Number(values.blocks);
const READ_EVERY = 50;
const BATCH = 64;

useAutograd();
if (device === 'wasm') registerBackend(await wasm());
manualSeed(1);
const model = new LeNet5({ numClasses: 10 }).to(device);
const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const x = randn([BATCH, 1, 28, 28], { device });
const y = randint(0, 10, [BATCH], { device });

function step(): Tensor {
  const loss = crossEntropy(model.forward(x), y);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  return loss;
}

/** `steps` steps of one loop; resolves to the mean milliseconds per step, reads included. */
async function block(natural: boolean): Promise<number> {
  const started = performance.now();
  for (let i = 1; i <= steps; i++) {
    if (natural) {
      const loss = step();
      if (i % READ_EVERY === 0) await loss.item();
    } else {
      const loss = scope(() => {
        const value = step();
        return i % READ_EVERY === 0 ? value : undefined;
      });
      if (loss) {
        await loss.item();
        loss.dispose();
      }
    }
  }
  return (performance.now() - started) / steps;
}

// Warm-up, one block of each: kernels compiled, optimizer state made, the collector's first full collection done.
await block(false);
await block(true);
const times: Record<'natural' | 'scoped', number[]> = { natural: [], scoped: [] };
for (let b = 0; b < blocks; b++) {
  // Alternating, so drift on a shared machine falls on both loops alike.
  const order: readonly ('natural' | 'scoped')[] = b % 2 === 0 ? ['natural', 'scoped'] : ['scoped', 'natural'];
  for (const mode of order) {
    const ms = await block(mode === 'natural');
    times[mode].push(ms);
    const stats = memoryStats(device);
    process.stderr.write(`block ${b + 1}/${blocks} ${mode}: ${ms.toFixed(2)} ms/step; ${stats.tensors} live tensors, ${(stats.bytes / 2 ** 20).toFixed(1)} MiB\n`);
  }
}
const mean = (list: readonly number[]): number => list.reduce((a, b) => a + b, 0) / list.length;
const natural = mean(times.natural);
const scoped = mean(times.scoped);
console.log(`| loop (W3 LeNet-5, batch ${BATCH}, ${device}, ${blocks} × ${steps} steps each) | mean ms/step | per block |`);
console.log('|---|---:|---|');
console.log(`| natural: no scope, no dispose | ${natural.toFixed(2)} | ${times.natural.map((t) => t.toFixed(2)).join(', ')} |`);
console.log(`| one scope() per step | ${scoped.toFixed(2)} | ${times.scoped.map((t) => t.toFixed(2)).join(', ')} |`);
const change = (100 * (natural - scoped)) / scoped;
console.log(`\nThe natural loop takes ${Math.abs(change).toFixed(1)} % ${change >= 0 ? 'more' : 'less'} time per step than the scoped one.`);
process.exit(0); // the wasm workers would otherwise keep the process waiting for nothing
