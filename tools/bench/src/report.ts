import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { FRAMEWORKS, type FrameworkName } from './case.js';
import type { Measurement } from './measure.js';
import type { TfjsInfo } from './tfjs.js';

/** How one framework fared on one case. */
export type Outcome =
  | { readonly status: 'ok'; readonly measurement: Measurement; readonly gflops: number; readonly leakedTensors: number }
  | { readonly status: 'n/a'; readonly reason: string; readonly error: string };

/** One row of the table with the figures behind it. */
export interface CaseResult {
  readonly workload: string;
  readonly size: string;
  readonly flops: number;
  readonly iterations: number;
  readonly warmupIterations: number;
  readonly outcomes: Readonly<Record<FrameworkName, Outcome>>;
}

/** The machine and runtime a run was measured on. */
export interface Machine {
  readonly cpu: string;
  readonly logicalCores: number;
  readonly availableParallelism: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly v8: string;
  /** 1, 5 and 15-minute load averages when the run started: other work on the machine skews every column. */
  readonly loadAverage: readonly number[];
  /** The same when the run ended (set by {@link finishMachine}). */
  readonly loadAverageAtEnd: readonly number[] | null;
  readonly tfjs: TfjsInfo;
  /** Threads @fathom/wasm ran its kernels on. */
  readonly fathomWasmThreads: number;
}

/** The speed-up target the issue sets against tfjs-cpu, on W1 and W2. */
export const TARGET_VS_TFJS_CPU = 2;

export function describeMachine(tfjs: TfjsInfo, fathomWasmThreads: number): Machine {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown',
    logicalCores: cores.length,
    availableParallelism: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    v8: process.versions.v8,
    loadAverage: roundedLoadAverage(),
    loadAverageAtEnd: null,
    tfjs,
    fathomWasmThreads,
  };
}

/** The machine as described at the start, with the load average at the end added. */
export function finishMachine(machine: Machine): Machine {
  return { ...machine, loadAverageAtEnd: roundedLoadAverage() };
}

function roundedLoadAverage(): number[] {
  return loadavg().map((load) => Math.round(load * 100) / 100);
}

function formatMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

function formatGflops(gflops: number): string {
  return gflops >= 10 ? gflops.toFixed(1) : gflops.toFixed(2);
}

function timeCell(outcome: Outcome): string {
  if (outcome.status !== 'ok') return outcome.reason;
  const { medianMs, p25Ms, p75Ms } = outcome.measurement;
  return `${formatMs(medianMs)} (${formatMs(p25Ms)}–${formatMs(p75Ms)})`;
}

function gflopsCell(outcome: Outcome): string {
  return outcome.status === 'ok' ? formatGflops(outcome.gflops) : 'n/a';
}

/** Peer median ÷ our median: above 1, Fathom (`ours`, default its CPU backend) is faster. */
export function speedup(result: CaseResult, peer: FrameworkName, oursName: FrameworkName = 'fathom'): number | null {
  const ours = result.outcomes[oursName];
  const theirs = result.outcomes[peer];
  if (ours.status !== 'ok' || theirs.status !== 'ok') return null;
  return theirs.measurement.medianMs / ours.measurement.medianMs;
}

function speedupCell(result: CaseResult, peer: FrameworkName, ours: FrameworkName = 'fathom'): string {
  const ratio = speedup(result, peer, ours);
  return ratio === null ? 'n/a' : `${ratio.toFixed(2)}×`;
}

export function machineText(machine: Machine): string {
  const { tfjs } = machine;
  return [
    `- CPU: ${machine.cpu}, ${machine.logicalCores} logical cores (available parallelism ${machine.availableParallelism}), ${machine.memoryGiB} GiB RAM`,
    `- OS: ${machine.os}; Node ${machine.node} (V8 ${machine.v8})`,
    `- Load average (1, 5, 15 min) at start ${machine.loadAverage.join(', ')}${machine.loadAverageAtEnd ? `, at end ${machine.loadAverageAtEnd.join(', ')}` : ''}: above 0 means other work shared the cores`,
    `- Fathom: 'fathom' is @fathom/core's CPU backend (TypeScript, one thread); 'fathom-wasm' is @fathom/wasm (C compiled to WebAssembly SIMD) on ${machine.fathomWasmThreads} thread${machine.fathomWasmThreads === 1 ? '' : 's'}`,
    `- TensorFlow.js ${tfjs.version}: tfjs-backend-cpu (plain JS) and tfjs-backend-wasm (XNNPACK, SIMD ${tfjs.wasmSimd ? 'on' : 'off'}, ${tfjs.wasmThreads} thread${tfjs.wasmThreads === 1 ? '' : 's'}: Node gets the single-threaded binary)`,
  ].join('\n');
}

/** The results as a markdown table with a legend and notes below it. */
export function markdownReport(results: readonly CaseResult[], machine: Machine): string {
  const header = [
    'workload', 'size',
    'fathom ms', 'fathom GFLOP/s',
    'fathom-wasm ms', 'fathom-wasm GFLOP/s',
    'tfjs-cpu ms', 'tfjs-cpu GFLOP/s',
    'tfjs-wasm ms', 'tfjs-wasm GFLOP/s',
    'fathom vs tfjs-cpu', 'fathom vs tfjs-wasm', 'fathom-wasm vs tfjs-wasm',
  ];
  const rows = results.map((result) => [
    result.workload, result.size,
    ...FRAMEWORKS.flatMap((framework) => [timeCell(result.outcomes[framework]), gflopsCell(result.outcomes[framework])]),
    speedupCell(result, 'tfjs-cpu'), speedupCell(result, 'tfjs-wasm'), speedupCell(result, 'tfjs-wasm', 'fathom-wasm'),
  ]);
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const lines = [
    line(header),
    line(header.map((_, i) => (i < 2 ? '---' : '---:'))),
    ...rows.map(line),
    '',
    'ms: median (p25–p75) of the timed iterations, after warm-up; each iteration reads its whole result back.',
    'GFLOP/s from the median: W1 2n³; W2 forward 2·N·OH·OW·O·C·kH·kW, forward+backward 3× that (input and weight gradients each cost one forward).',
    '"fathom vs X" is X\'s median ÷ fathom\'s median: above 1× Fathom is faster; "fathom-wasm vs tfjs-wasm" likewise for @fathom/wasm.',
    'W2 layouts are each framework\'s default: Fathom NCHW input with OIHW weights, TensorFlow.js NHWC input with HWIO filters (same sizes).',
    'fathom, tfjs-cpu and tfjs-wasm run on one thread (fathom and tfjs-cpu are plain JS; tfjs-wasm gets its single-threaded binary in Node); fathom-wasm on the threads named below.',
  ];
  const target = targetSummary(results);
  if (target) lines.push(target);
  for (const result of results) {
    for (const framework of FRAMEWORKS) {
      const outcome = result.outcomes[framework];
      if (outcome.status === 'n/a') lines.push(`${result.workload} ${result.size}, ${framework}: ${outcome.error}`);
      else if (outcome.measurement.samplesMs.length < result.iterations) {
        const count = outcome.measurement.samplesMs.length;
        lines.push(`${result.workload} ${result.size}, ${framework}: ${count} timed iteration${count === 1 ? '' : 's'} instead of ${result.iterations}, to keep within the time budget.`);
      }
      if (outcome.status === 'ok' && outcome.leakedTensors !== 0) {
        lines.push(`Warning: ${result.workload} ${result.size}, ${framework} left ${outcome.leakedTensors} tensors behind; its figures include allocation growth.`);
      }
    }
  }
  lines.push('', machineText(machine));
  return lines.join('\n');
}

function targetSummary(results: readonly CaseResult[]): string | null {
  const ratios = results.map((result) => speedup(result, 'tfjs-cpu')).filter((ratio): ratio is number => ratio !== null);
  if (ratios.length === 0) return null;
  const met = ratios.filter((ratio) => ratio >= TARGET_VS_TFJS_CPU).length;
  return `Target fathom ≥ ${TARGET_VS_TFJS_CPU}× tfjs-cpu: met on ${met} of ${ratios.length} rows (lowest ${Math.min(...ratios).toFixed(2)}×).`;
}

/** Everything measured, for `--json`. */
export function jsonReport(results: readonly CaseResult[], machine: Machine, quick: boolean): string {
  return JSON.stringify({ date: new Date().toISOString(), quick, machine, results }, null, 2) + '\n';
}
