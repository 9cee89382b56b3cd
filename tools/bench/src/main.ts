import { writeFileSync } from 'node:fs';
import { FRAMEWORKS, PEERS, type BenchCase, type FathomFramework, type FrameworkName } from './case.js';
import { charLstmCases } from './char-lstm-workload.js';
import { conv2dCases } from './conv2d-workload.js';
import { closeFathomDevices, fathomUnavailable, initFathomDevices } from './fathom-devices.js';
import { leNetCases } from './lenet-workload.js';
import { measure } from './measure.js';
import { parseOptions, USAGE, type BenchOptions, type WorkloadId } from './options.js';
import { useCapturedSteps } from './training.js';
import { describeMachine, finishMachine, jsonReport, markdownReport, type CaseResult, type Outcome } from './report.js';
import { findPyTorch, runPyTorch, type PyTorchInfo } from './pytorch.js';
import { resNetCases } from './resnet-workload.js';
import { medianRound, type RoundOutcomes } from './rounds.js';
import { sgemmCases } from './sgemm-workload.js';
import { simdPeak } from './simd-peak.js';
import { initTfjs, type TfjsInfo } from './tfjs.js';

const CASES: Readonly<Record<WorkloadId, (quick: boolean) => BenchCase[]>> = {
  w1: sgemmCases,
  w2: conv2dCases,
  w3: leNetCases,
  w4: charLstmCases,
  w5: resNetCases,
};

const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

function warmupIterationsFor(iterations: number, quick: boolean): number {
  return quick ? 1 : Math.min(3, Math.max(1, Math.floor(iterations / 5)));
}

// Timed seconds one framework may spend on one case: where an iteration is
// slow (tfjs-cpu's conv2d weight gradient takes minutes), fewer are timed.
const budgetMs = (quick: boolean): number => (quick ? 10_000 : 60_000);
// Past this, the probe call has warmed the JIT as much as warm-up would.
const LONG_ITERATION_MS = 10_000;
// Warm-up runs this long as well as its iterations, for every framework
// (PyTorch too): a LeNet-5 step on wasm's 2 threads took 16–22 ms in its
// first 20 steps and settled at ~7 ms by step 200 (V8's optimizing compiler
// and garbage collector compete with the pool's worker for 2 cores), so 3
// iterations timed the JIT, not the training a run spends its time in.
const warmupMs = (quick: boolean): number => (quick ? 0 : 3_000);

function notAvailable(error: unknown): Outcome {
  const message = error instanceof Error ? error.message : String(error);
  // tfjs-wasm has no Conv2DBackpropFilter kernel, so its conv2d backward throws.
  const reason = /not registered/i.test(message) ? 'n/a (kernel not registered)' : 'n/a (failed)';
  return { status: 'n/a', reason, error: message.split('\n')[0] };
}

/** The peers as this run found them. */
interface Peers {
  readonly tfjs: TfjsInfo;
  readonly pytorch: PyTorchInfo;
  /** PyTorch runs on as many threads as fathom-wasm. */
  readonly threads: number;
}

/** Why `framework` cannot run `benchCase` on this machine, before trying. */
function unavailable(benchCase: BenchCase, framework: FrameworkName, peers: Peers): string | null {
  const stated = benchCase.unavailable?.[framework];
  if (stated) return stated;
  if (framework === 'pytorch') {
    if (!benchCase.pytorch) return 'n/a (not implemented)';
    return peers.pytorch.python ? null : 'n/a (no python with torch)';
  }
  if (!benchCase.prepare[framework]) return 'n/a (not implemented)';
  if (framework in PEERS) return fathomUnavailable(framework as FathomFramework);
  if (framework === 'tfjs-webgpu' && !peers.tfjs.webgpu) return 'n/a (no WebGPU adapter)';
  return null;
}

function logOutcome(benchCase: BenchCase, framework: FrameworkName, outcome: Outcome): void {
  if (outcome.status === 'n/a') {
    log(`  ${framework.padEnd(13)} ${outcome.reason}${outcome.error ? `: ${outcome.error}` : ''}`);
    return;
  }
  const { medianMs, samplesMs } = outcome.measurement;
  log(`  ${framework.padEnd(13)} ${medianMs.toFixed(1).padStart(9)} ms  ${outcome.throughput.toFixed(2).padStart(8)} ${benchCase.throughput.unit}  (${samplesMs.length} timed)`);
}

const throughputOf = (benchCase: BenchCase, medianMs: number): number => benchCase.throughput.perIteration / (medianMs / 1000);

async function runOne(benchCase: BenchCase, framework: FrameworkName, warmupIterations: number, quick: boolean, peers: Peers): Promise<Outcome> {
  const missing = unavailable(benchCase, framework, peers);
  const outcome: Outcome = missing ? { status: 'n/a', reason: missing, error: '' }
    : framework === 'pytorch' ? runPyTorchCase(benchCase, warmupIterations, warmupMs(quick), peers)
      : await runTimed(benchCase, framework, warmupIterations, quick);
  logOutcome(benchCase, framework, outcome);
  return outcome;
}

function runPyTorchCase(benchCase: BenchCase, warmupIterations: number, warmupTime: number, peers: Peers): Outcome {
  try {
    const { measurement, memory } = runPyTorch(peers.pytorch, benchCase.pytorch!, benchCase.iterations, { iterations: warmupIterations, ms: warmupTime }, peers.threads);
    return { status: 'ok', measurement, throughput: throughputOf(benchCase, measurement.medianMs), leakedTensors: 0, memory };
  } catch (error) {
    return notAvailable(error);
  }
}

async function runTimed(benchCase: BenchCase, framework: Exclude<FrameworkName, 'pytorch'>, warmupIterations: number, quick: boolean): Promise<Outcome> {
  const name = `${benchCase.workload} ${benchCase.size} ${framework}`;
  let prepared;
  try {
    prepared = await benchCase.prepare[framework]!();
  } catch (error) {
    return notAvailable(error);
  }
  try {
    // One untimed call first: it fails fast where a kernel is missing, and says how long an iteration takes.
    const probeStart = performance.now();
    await prepared.iterate();
    const probeMs = performance.now() - probeStart;
    // Counted after the probe: a first training step creates the gradients and the optimizer's state.
    const before = prepared.liveTensors();
    const iterations = Math.max(1, Math.min(benchCase.iterations, Math.floor(budgetMs(quick) / probeMs)));
    const long = probeMs > LONG_ITERATION_MS;
    const warmup = { iterations: long ? 0 : Math.max(0, warmupIterations - 1), ms: long ? 0 : warmupMs(quick) };
    const measurement = await measure(name, prepared.iterate, iterations, warmup);
    const leakedTensors = prepared.liveTensors() - before;
    // After the timing and the leak count: the probe's reads cost time, and it runs one more step.
    const memory = prepared.stepMemory ? await prepared.stepMemory() : null;
    return { status: 'ok', measurement, throughput: throughputOf(benchCase, measurement.medianMs), leakedTensors, memory };
  } catch (error) {
    return notAvailable(error);
  } finally {
    prepared.dispose();
  }
}

async function run(options: BenchOptions): Promise<void> {
  const withWebgpu = options.frameworks.some((framework) => framework.endsWith('webgpu'));
  const tfjs = await initTfjs(withWebgpu);
  useCapturedSteps(options.capture);
  const fathomDevices = await initFathomDevices(options.wasmThreads, withWebgpu);
  const threads = fathomDevices.wasmThreads;
  const pytorch = options.frameworks.includes('pytorch') ? findPyTorch(threads) : null;
  if (pytorch) log(`PyTorch: ${pytorch.description}; BLAS: ${pytorch.blas}`);
  const peers: Peers = { tfjs, pytorch: pytorch ?? { python: null, description: 'not run', environment: process.env, blas: 'not run', checks: [] }, threads };
  // The ceiling W1 on fathom-wasm is read against (a few seconds of work, so only when W1 runs there).
  const peak = options.workloads.includes('w1') && options.frameworks.includes('fathom-wasm') ? await simdPeak(threads) : null;
  if (peak) log(`wasm SIMD peak: ${peak.mulAdd.perThreadGflops.toFixed(1)} GFLOP/s per thread, ${peak.mulAdd.allThreadsGflops.toFixed(1)} on ${threads} (f32x4 mul+add)`);
  const machineAtStart = describeMachine(tfjs, fathomDevices, peers.pytorch, peak);
  const cases = options.workloads.flatMap((workload) => CASES[workload](options.quick));
  const frameworks = FRAMEWORKS.filter((framework) => options.frameworks.includes(framework));
  const results: CaseResult[] = [];
  for (const benchCase of cases) {
    const warmupIterations = warmupIterationsFor(benchCase.iterations, options.quick);
    log(`${benchCase.workload} ${benchCase.size}: up to ${benchCase.iterations} iterations after ${warmupIterations} warm-up${warmupMs(options.quick) ? ` and at least ${warmupMs(options.quick) / 1000} s of them` : ''}`);
    const rounds: RoundOutcomes[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      if (options.rounds > 1) log(` round ${round} of ${options.rounds}`);
      const outcomes: Partial<Record<FrameworkName, Outcome>> = {};
      // Frameworks take turns within a case so that drift (heat, other load) spreads over all of them.
      for (const framework of frameworks) outcomes[framework] = await runOne(benchCase, framework, warmupIterations, options.quick, peers);
      rounds.push(outcomes);
    }
    const { workload, size, throughput, iterations } = benchCase;
    results.push({ workload, size, throughput, iterations, warmupIterations, outcomes: medianRound(rounds), rounds });
  }
  await closeFathomDevices();
  const machine = finishMachine(machineAtStart);
  if (options.quick) log('--quick: few iterations, for a smoke run; do not quote these figures.');
  process.stdout.write(`${markdownReport(results, machine)}\n`);
  if (options.jsonPath) {
    writeFileSync(options.jsonPath, jsonReport(results, machine, options.quick));
    log(`raw figures written to ${options.jsonPath}`);
  }
}

let options: BenchOptions | 'help';
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
if (options === 'help') process.stdout.write(`${USAGE}\n`);
else {
  await run(options);
  // tfjs-webgpu keeps its Dawn device (and so the process) alive; everything is reported by now.
  process.exit(0);
}
