import { writeFileSync } from 'node:fs';
import { FRAMEWORKS, type BenchCase, type FrameworkName } from './case.js';
import { conv2dCases } from './conv2d-workload.js';
import { measure } from './measure.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { closeFathomWasm, initFathomWasm } from './fathom-wasm.js';
import { describeMachine, finishMachine, jsonReport, markdownReport, type CaseResult, type Outcome } from './report.js';
import { sgemmCases } from './sgemm-workload.js';
import { initTfjs } from './tfjs.js';

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

function notAvailable(error: unknown): Outcome {
  const message = error instanceof Error ? error.message : String(error);
  // tfjs-wasm has no Conv2DBackpropFilter kernel, so its conv2d backward throws.
  const reason = /not registered/i.test(message) ? 'n/a (kernel not registered)' : 'n/a (failed)';
  return { status: 'n/a', reason, error: message.split('\n')[0] };
}

async function runOne(benchCase: BenchCase, framework: FrameworkName, warmupIterations: number, quick: boolean): Promise<Outcome> {
  const name = `${benchCase.workload} ${benchCase.size} ${framework}`;
  let prepared;
  try {
    prepared = await benchCase.prepare[framework]();
  } catch (error) {
    return notAvailable(error);
  }
  try {
    const before = prepared.liveTensors();
    // One untimed call first: it fails fast where a kernel is missing, and says how long an iteration takes.
    const probeStart = performance.now();
    prepared.iterate();
    const probeMs = performance.now() - probeStart;
    const iterations = Math.max(1, Math.min(benchCase.iterations, Math.floor(budgetMs(quick) / probeMs)));
    const warmup = probeMs > LONG_ITERATION_MS ? 0 : Math.max(0, warmupIterations - 1);
    const measurement = await measure(name, prepared.iterate, iterations, warmup);
    const leakedTensors = prepared.liveTensors() - before;
    const gflops = benchCase.flops / (measurement.medianMs * 1e6);
    log(`  ${framework.padEnd(11)} ${measurement.medianMs.toFixed(1).padStart(9)} ms  ${gflops.toFixed(2).padStart(6)} GFLOP/s  (${iterations} timed)`);
    return { status: 'ok', measurement, gflops, leakedTensors };
  } catch (error) {
    const outcome = notAvailable(error);
    if (outcome.status === 'n/a') log(`  ${framework.padEnd(11)} ${outcome.reason}`);
    return outcome;
  } finally {
    prepared.dispose();
  }
}

async function run(options: BenchOptions): Promise<void> {
  const tfjs = await initTfjs();
  const fathomWasm = await initFathomWasm(options.wasmThreads);
  const machineAtStart = describeMachine(tfjs, fathomWasm.threads);
  const cases = [
    ...(options.workloads.includes('w1') ? sgemmCases(options.quick) : []),
    ...(options.workloads.includes('w2') ? conv2dCases(options.quick) : []),
  ];
  const results: CaseResult[] = [];
  for (const benchCase of cases) {
    const warmupIterations = warmupIterationsFor(benchCase.iterations, options.quick);
    log(`${benchCase.workload} ${benchCase.size}: up to ${benchCase.iterations} iterations after ${warmupIterations} warm-up`);
    const outcomes = {} as Record<FrameworkName, Outcome>;
    // Frameworks take turns within a case so that drift (heat, other load) spreads over all of them.
    for (const framework of FRAMEWORKS) outcomes[framework] = await runOne(benchCase, framework, warmupIterations, options.quick);
    const { workload, size, flops, iterations } = benchCase;
    results.push({ workload, size, flops, iterations, warmupIterations, outcomes });
  }
  await closeFathomWasm();
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
else await run(options);
