// The page's script, bundled by esbuild from the packages' built entries
// (test/bundle-pages.ts): it exposes PageApi and runs nothing by itself.
import { randn, registerBackend, tensor, unregisterBackend, type Backend } from '@fathom/core';
import { createCpuBackend } from '@fathom/core/backend';
import { runConformance } from '@fathom/core/testing';
import { runGradientConformance } from '@fathom/autograd/testing';
import { toSvg, useAutograd } from '@fathom/autograd';
import { DataLoader, LabeledTensorDataset } from '@fathom/datasets';
import { createWasmBackend } from '@fathom/wasm';
import { webgpu } from '@fathom/webgpu';
import { CaseCollector } from '../case-collector.js';
import { PAGE_API, type DeviceFacts, type PageApi, type PageDevice, type PageJob, type PageResult } from '../jobs.js';
import { lenetLosses } from '../lenet-steps.js';
import { memoryLoop } from '../memory-loop.js';

const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;

async function createBackend(device: PageDevice, threads: number | undefined): Promise<Backend> {
  switch (device) {
    case 'cpu':
      return createCpuBackend();
    case 'wasm':
      return createWasmBackend(threads === undefined ? {} : { threads });
    case 'webgpu':
      return webgpu();
  }
}

function factsOf(device: PageDevice, backend: Backend): DeviceFacts {
  const facts: DeviceFacts = { device, crossOriginIsolated: isolated };
  if ('threads' in backend) return { ...facts, threads: (backend as { threads: number }).threads };
  if ('adapterName' in backend) return { ...facts, adapter: (backend as { adapterName: string }).adapterName };
  return facts;
}

async function destroy(backend: Backend): Promise<void> {
  await (backend as { destroy?: () => Promise<void> | void }).destroy?.();
}

async function run(job: PageJob): Promise<PageResult> {
  const started = performance.now();
  useAutograd();
  if (job.suite === 'gradients') {
    const collector = new CaseCollector();
    // As autograd's own cpu-float32 test: the CPU's float32 gradients against its float64 ones.
    runGradientConformance({ backend: () => ({ ...createCpuBackend(), name: 'cpu-float32' }), harness: collector });
    const cases = await collector.run();
    return { facts: { device: 'cpu', crossOriginIsolated: isolated }, cases, milliseconds: performance.now() - started };
  }
  if (job.suite === 'graph') {
    // toSvg loads Graphviz (@viz-js/viz) on first use: a chunk of its own that only this job fetches.
    const weight = randn([3, 2]).setRequiresGrad(true);
    const svg = await toSvg(randn([4, 3]).matmul(weight).relu().sum());
    return { facts: { device: 'cpu', crossOriginIsolated: isolated }, svg, milliseconds: performance.now() - started };
  }
  if (job.suite === 'kit') {
    const collector = new CaseCollector();
    let facts: DeviceFacts | undefined;
    runConformance({
      backend: async () => {
        const backend = await createBackend(job.device, job.threads);
        facts = factsOf(job.device, backend);
        return backend;
      },
      harness: collector,
    });
    const cases = await collector.run();
    return { facts: facts ?? { device: job.device, crossOriginIsolated: isolated }, cases, milliseconds: performance.now() - started };
  }
  const backend = await createBackend(job.device, job.threads);
  if (job.device !== 'cpu') registerBackend(backend);
  try {
    if (job.suite === 'dataset') return { facts: factsOf(job.device, backend), batches: await labelBatches(job), milliseconds: performance.now() - started };
    if (job.suite === 'memory') return { facts: factsOf(job.device, backend), memory: await memoryLoop(job.device, job.steps, job.scoped), milliseconds: performance.now() - started };
    const losses = await lenetLosses(job.device);
    return { facts: factsOf(job.device, backend), losses, milliseconds: performance.now() - started };
  } finally {
    if (job.device !== 'cpu') unregisterBackend(job.device);
    await destroy(backend);
  }
}

// A LabeledTensorDataset whose labels live on the device (on webgpu they cannot be read synchronously).
async function labelBatches(job: Extract<PageJob, { suite: 'dataset' }>): Promise<number[][]> {
  const images = randn([job.labels.length, 1, 4, 4], { device: job.device }); // (N, 1, 4, 4)
  const labels = tensor([...job.labels], { dtype: 'int32', device: job.device }); // (N)
  const data = await LabeledTensorDataset.fromTensors(images, labels);
  const batches: number[][] = [];
  for await (const { x, y } of new DataLoader(data, { batchSize: job.batchSize })) {
    if (x.device !== job.device) throw new Error(`the loader moved the batch to ${x.device}`);
    batches.push(Array.from(await y.data()));
  }
  return batches;
}

async function webgpuMissing(): Promise<string | null> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  if (!gpu) return 'navigator.gpu is absent (WebGPU off: start Chromium with --enable-unsafe-webgpu, on a secure origin)';
  return (await gpu.requestAdapter()) === null ? 'navigator.gpu.requestAdapter() returned null' : null;
}

const api: PageApi = { run, webgpuMissing };
(globalThis as Record<string, unknown>)[PAGE_API] = api;
