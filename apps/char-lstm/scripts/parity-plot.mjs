#!/usr/bin/env node
// Draws the parity figure of the docs: Fathom's and PyTorch's validation loss
// (and smoothed training loss) over the same steps, in one chart.
//
//   node apps/char-lstm/scripts/parity-plot.mjs RUN_DIR/metrics.jsonl pytorch.jsonl docs/char-lstm/parity
//
// writes parity.svg and parity.png, and prints both final validation losses and their gap.
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { renderSvg, smoothExponential, writePlot } from '@fathom/train';

const [fathomFile, pytorchFile, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: parity-plot.mjs FATHOM_METRICS.jsonl PYTORCH.jsonl OUT_PREFIX');
  process.exit(2);
}

const read = (file) => readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
const rows = [];
const finals = {};
for (const [name, file] of [['Fathom (wasm)', fathomFile], ['PyTorch 1.13 (CPU)', pytorchFile]]) {
  const records = read(file);
  const train = records.filter((r) => r.split === 'train' && Number.isFinite(r.loss));
  smoothExponential(train.map((r) => r.loss), 0.9).forEach((loss, i) => rows.push({ step: train[i].step, loss, framework: name, curve: 'train' }));
  const val = records.filter((r) => r.split === 'val');
  for (const r of val) rows.push({ step: r.step, loss: r.loss, framework: name, curve: 'validation' });
  finals[name] = val.at(-1);
}

const x = { field: 'step', type: 'quantitative', title: 'step' };
const y = { field: 'loss', type: 'quantitative', title: 'loss (nats per character)', scale: { zero: false, domain: [1.4, 3.2] } };
const color = { field: 'framework', type: 'nominal', title: null, scale: { range: ['#1f77b4', '#d62728'] }, legend: { orient: 'top-right', labelLimit: 300 } };
const svg = await renderSvg({
  title: { text: 'char-LSTM on Moby Dick, Fathom beside PyTorch', subtitle: '2×256 LSTM, embedding 64, batch 32 × 64, Adam 2e-3, clip 5 · dashed: training loss (smoothed), solid: validation' },
  width: 560,
  height: 320,
  data: { values: rows },
  encoding: { x, y, color },
  layer: [
    { transform: [{ filter: "datum.curve === 'train'" }], mark: { type: 'line', strokeDash: [4, 3], strokeWidth: 1.5, opacity: 0.7 } },
    { transform: [{ filter: "datum.curve === 'validation'" }], mark: { type: 'line', strokeWidth: 2.5, point: true } },
  ],
});
await writePlot(dirname(out), basename(out), svg);
const [fathom, pytorch] = Object.values(finals);
console.log(`step ${fathom.step}: Fathom ${fathom.loss.toFixed(4)} nats (${fathom.bpc.toFixed(3)} bits/char), PyTorch ${pytorch.loss.toFixed(4)} nats (${pytorch.bpc.toFixed(3)} bits/char): Fathom is ${((100 * (fathom.loss - pytorch.loss)) / pytorch.loss).toFixed(2)}% ${fathom.loss >= pytorch.loss ? 'above' : 'below'}`);
