// The playground page: wiring between the DOM (index.html) and Fathom.
import { manualSeed, scope, softmax, tensor } from '@fathom/core';
import { noGrad, toSvg, useAutograd } from '@fathom/autograd';
import { bytesSource, loadWeightsFrom } from '@fathom/io';
import { crossEntropy } from '@fathom/layers';
import { LeNet5 } from '@fathom/models';
import { chooseDevice, type PlaygroundDevice } from './choose-device.js';
import { fetchDigits } from './digits.js';
import { DrawPad } from './draw-pad.js';
import { LossChart } from './loss-chart.js';
import { modelInput, trainLeNet, type TrainingProgress } from './train-loop.js';

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`playground: #${id} is missing from index.html`);
  return found as T;
};

const params = new URLSearchParams(location.search);
const status = element<HTMLElement>('status');
const setStatus = (text: string): void => {
  status.textContent = text;
};
const busy = (on: boolean): void => {
  document.body.dataset.busy = String(on);
  for (const button of document.querySelectorAll('button')) button.disabled = on && button.id !== 'stop';
};

useAutograd();
const chosen = await chooseDevice((params.get('device') as PlaygroundDevice | null) ?? 'auto');
const { device } = chosen;
element('device').textContent = chosen.description;
document.body.dataset.device = device;

setStatus('fetching the digits…');
const digits = await fetchDigits(Number(params.get('digits') ?? 10_000));
manualSeed(0);
const model = new LeNet5().to(device);
const chart = new LossChart(element<HTMLCanvasElement>('chart'));
const losses: number[] = [];
let stopRequested = false;

async function train(): Promise<void> {
  busy(true);
  stopRequested = false;
  const steps = Number(element<HTMLInputElement>('steps').value);
  const stats = element('stats');
  try {
    await trainLeNet(model, digits, device, {
      steps,
      batchSize: 64,
      lr: 0.02,
      reportEvery: Number(params.get('reportEvery') ?? 5),
      stopped: () => stopRequested,
      onProgress: (progress: TrainingProgress) => {
        losses.push(progress.loss);
        chart.add({ ...progress, step: losses.length * Number(params.get('reportEvery') ?? 5) });
        element('chart').dataset.losses = JSON.stringify(losses);
        stats.textContent = `step ${progress.step}: loss ${progress.loss.toFixed(4)}, batch accuracy ${(100 * progress.accuracy).toFixed(1)} %, ${progress.imagesPerSecond.toFixed(0)} images/s`;
      },
    });
    setStatus(`trained ${steps} steps on ${device}`);
  } catch (error) {
    setStatus(`training failed: ${(error as Error).message}`);
    throw error;
  } finally {
    busy(false);
  }
}

const probabilities = element<HTMLOListElement>('probabilities');
async function predict(pixels: Float32Array): Promise<void> {
  model.eval();
  const output = noGrad(() => scope(() => softmax(model.forward(modelInput(tensor(pixels, { shape: [1, 1, 28, 28] }), device)), 1))); // (1, 10)
  const values = Array.from(await output.data());
  output.dispose();
  model.train();
  const best = values.indexOf(Math.max(...values));
  probabilities.replaceChildren(
    ...values.map((p, digit) => {
      const item = document.createElement('li');
      item.dataset.digit = String(digit);
      item.dataset.probability = String(p);
      item.innerHTML = `<span class="digit">${digit}</span><span class="bar" style="width:${(200 * p).toFixed(1)}px"></span><span class="value">${(100 * p).toFixed(1)} %</span>`;
      if (digit === best) item.className = 'best';
      return item;
    }),
  );
  element('predicted').textContent = String(best);
  element('predicted').dataset.digit = String(best);
}

const pad = new DrawPad(element<HTMLCanvasElement>('pad'), () => void predict(pad.pixels()));

async function loadWeights(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const weightsStatus = element('weights-status');
  try {
    // fathom-train's checkpoints (last/best.safetensors) hold the model under 'model.'; a saved model has bare keys.
    const prefix = await loadWeightsFrom(model, bytesSource(bytes, file.name)).then(() => '', () => loadWeightsFrom(model, bytesSource(bytes, file.name), { prefix: 'model.' }).then(() => 'model.'));
    weightsStatus.textContent = `loaded ${file.name}${prefix ? ` (keys under '${prefix}')` : ''}`;
    weightsStatus.dataset.loaded = file.name;
    await predict(pad.pixels());
  } catch (error) {
    weightsStatus.textContent = `${file.name}: ${(error as Error).message}`;
  }
}

async function showGraph(): Promise<void> {
  // The graph of one training step's loss on two digits: every op LeNet-5 records, with shapes.
  const loss = scope(() => crossEntropy(model.forward(modelInput(digits.images.slice(0, 0, 2), device)), digits.labels.slice(0, 0, 2).to(device)));
  element('graph').innerHTML = await toSvg(loss, { direction: 'LR' });
  loss.dispose();
}

element('train').addEventListener('click', () => void train());
element('stop').addEventListener('click', () => {
  stopRequested = true;
});
element('clear').addEventListener('click', () => pad.clear());
element<HTMLInputElement>('weights-file').addEventListener('change', (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) void loadWeights(file);
});
element('show-graph').addEventListener('click', () => void showGraph());
element<HTMLInputElement>('steps').value = params.get('steps') ?? '300';
setStatus(`ready: ${digits.length.toLocaleString('en-US')} digits on ${device}`);
document.body.dataset.ready = 'true';
