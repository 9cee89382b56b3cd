// The loop of the memory issue as a PyTorch user writes it: LeNet-5 on wasm, no scope() or dispose(),
// the loss read every 50 steps; prints live tensors, bytes and ms a step every 500 steps.
//   node packages/models/scripts/canonical-loop-memory.mjs [STEPS]      (NO_GC=1: with core's collection off)
import { memoryStats, useDevice, registerBackend, randn, randint, manualSeed } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { wasm } from '@fathom/wasm';
import { crossEntropy } from '@fathom/layers';
import { LeNet5 } from '@fathom/models';
import { SGD } from '@fathom/optim';
useAutograd();
if (process.env.NO_GC) (await import('@fathom/core')).configureGarbageCollection({ collector: null });
const backend = await wasm(); registerBackend(backend); await useDevice(backend);
manualSeed(0);
const model = new LeNet5({ numClasses: 10 });
const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const x = randn([64, 1, 28, 28]); const y = randint(0, 10, [64], { dtype: 'int32' });
const t0 = performance.now(); let last = t0;
for (let step = 1; step <= Number(process.argv[2] ?? 3000); step++) {
  const loss = crossEntropy(model.forward(x), y);
  opt.zeroGrad(); loss.backward(); opt.step();
  if (step % 50 === 0) await loss.item();
  if (step % 500 === 0) { const m = memoryStats(); const now = performance.now(); console.log(step, m.tensors, (m.bytes / 2 ** 20).toFixed(1) + ' MiB', (m.backendBytes/2**20).toFixed(0)+' MiB backend', ((now - last) / 500).toFixed(1) + ' ms/step'); last = now; }
}
await backend.destroy();
