// Peak memory and time of loading torchvision-layout VGG-16 weights (528 MB) into @fathom/models' vgg16,
// and its logits beside PyTorch's. Make the files with /usr/bin/python3 (see the note in packages/io/README.md), then:
//   node packages/models/scripts/measure-load-memory.mjs /tmp/vgg/vgg16.safetensors
import { readFileSync } from 'node:fs';
import { tensor } from '@fathom/core';
import { noGrad, useAutograd } from '@fathom/autograd';
import { loadWeights } from '@fathom/io/node';
import { vgg16 } from '@fathom/models';
useAutograd();
const file = process.argv[2];
const rss = () => (process.memoryUsage().rss / 2 ** 20).toFixed(0);
const model = vgg16({ initWeights: false });
model.eval();
const afterBuild = rss();
const t0 = performance.now();
await loadWeights(model, file);
const seconds = ((performance.now() - t0) / 1000).toFixed(2);
const peakLoad = (process.resourceUsage().maxRSS / 1024).toFixed(0);
const { x, y } = JSON.parse(readFileSync('/tmp/vgg/io.json', 'utf8'));
const logits = await noGrad(() => model.forward(tensor(new Float32Array(x), { shape: [1, 3, 64, 64] }))).data();
const diff = Math.max(...y.map((v, i) => Math.abs(v - logits[i])));
console.log(`${file}: load ${seconds} s; RSS after build ${afterBuild} MiB, peak during load ${peakLoad} MiB; max |logit diff| ${diff.toExponential(2)}`);
