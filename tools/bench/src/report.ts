import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { FRAMEWORKS, PEERS, type FathomFramework, type FrameworkName, type Throughput } from './case.js';
import type { FathomDevicesInfo } from './fathom-devices.js';
import type { Measurement } from './measure.js';
import type { PyTorchInfo, SgemmCheck } from './pytorch.js';
import type { SimdPeak, SimdPeakFigure } from './simd-peak.js';
import type { StepMemory } from './step-memory.js';
import type { TfjsInfo } from './tfjs.js';
import { roundRatio, type RoundOutcomes } from './rounds.js';

/** How one framework fared on one case. */
export type Outcome =
  | {
    readonly status: 'ok'; readonly measurement: Measurement; readonly throughput: number; readonly leakedTensors: number;
    /** One more iteration's memory, where the framework can tell it (Fathom's backends, PyTorch on Linux). */
    readonly memory: StepMemory | null;
  }
  | { readonly status: 'n/a'; readonly reason: string; readonly error: string };

/** One case with the figures of every framework that was asked to run it. */
export interface CaseResult {
  readonly workload: string;
  readonly size: string;
  readonly throughput: Throughput;
  readonly iterations: number;
  readonly warmupIterations: number;
  /** Each framework's figures from its median round ({@link medianRound}). */
  readonly outcomes: RoundOutcomes;
  /** Every round's outcomes (`--rounds`; one by default). */
  readonly rounds: readonly RoundOutcomes[];
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
  readonly fathom: FathomDevicesInfo;
  /** The PyTorch peer (version and interpreter), or why it did not run. */
  readonly pytorch: string;
  /** The BLAS its processes ran (the OpenBLAS core) and how that was decided. */
  readonly pytorchBlas: string;
  /** The float32 SGEMM checks behind that choice, for the JSON report. */
  readonly pytorchSgemmChecks: readonly SgemmCheck[];
  /** This machine's WebAssembly SIMD ceiling, measured where W1 runs on fathom-wasm. */
  readonly simdPeak: SimdPeak | null;
}

/** The speed-up the issues set for each Fathom backend against its peer. */
export const TARGETS: Readonly<Record<FathomFramework, number>> = { fathom: 2, 'fathom-wasm': 2, 'fathom-webgpu': 2 };

/** What issue 16 asks of fathom-wasm against PyTorch on the same threads, by workload label prefix (PyTorch's median ÷ ours). */
export const PYTORCH_TARGETS: Readonly<Record<string, number>> = { W3: 1.0, W4: 1.7, W5: 0.6 };
/** …and of W1 on fathom-wasm against the measured f32x4 mul+add peak on the same threads. */
export const SIMD_PEAK_TARGET = 0.85;

export function describeMachine(tfjs: TfjsInfo, fathom: FathomDevicesInfo, pytorch: PyTorchInfo, simdPeak: SimdPeak | null): Machine {
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
    fathom,
    pytorch: pytorch.description,
    pytorchBlas: pytorch.blas,
    pytorchSgemmChecks: pytorch.checks,
    simdPeak,
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

function formatThroughput(value: number): string {
  if (value >= 100) return value.toFixed(0);
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Peer median ÷ our median: above 1, Fathom's `ours` is faster than `peer` (default its TensorFlow.js peer). */
export function speedup(result: CaseResult, ours: FathomFramework, peer: FrameworkName = PEERS[ours]): number | null {
  return roundRatio(result.rounds, ours, peer)?.median ?? null;
}

/** A ratio's cell: with several rounds, their median and (range). */
function ratioText(result: CaseResult, ours: FathomFramework, peer: FrameworkName): string {
  const ratio = roundRatio(result.rounds, ours, peer);
  if (!ratio) return '';
  return ratio.rounds > 1 ? `${ratio.median.toFixed(2)}× (${ratio.low.toFixed(2)}–${ratio.high.toFixed(2)})` : `${ratio.median.toFixed(2)}×`;
}

const isFathom = (framework: FrameworkName): framework is FathomFramework => framework in PEERS;

export function machineText(machine: Machine): string {
  const { tfjs, fathom } = machine;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [
    `- CPU: ${machine.cpu}, ${machine.logicalCores} logical cores (available parallelism ${machine.availableParallelism}), ${machine.memoryGiB} GiB RAM`,
    `- OS: ${machine.os}; Node ${machine.node} (V8 ${machine.v8})`,
    `- Load average (1, 5, 15 min) at start ${machine.loadAverage.join(', ')}${machine.loadAverageAtEnd ? `, at end ${machine.loadAverageAtEnd.join(', ')}` : ''}: above 0 means other work shared the cores`,
    `- Fathom: 'fathom' is @fathom/core's CPU backend (TypeScript, one thread); 'fathom-wasm' is @fathom/wasm (C compiled to WebAssembly SIMD) on ${plural(fathom.wasmThreads, 'thread')}; 'fathom-webgpu' is @fathom/webgpu on Dawn`,
    `- WebGPU adapter (Dawn, webgpu npm package; shared by fathom-webgpu and tfjs-webgpu): ${fathom.webgpuAdapter}`,
    `- PyTorch (on as many threads as fathom-wasm): ${machine.pytorch}`,
    `- PyTorch's BLAS: ${machine.pytorchBlas}`,
    ...(machine.simdPeak ? [`- WebAssembly SIMD peak (${simdPeakText(machine.simdPeak)})`] : []),
    `- TensorFlow.js ${tfjs.version}: tfjs-backend-cpu (plain JS), tfjs-backend-wasm (XNNPACK, SIMD ${tfjs.wasmSimd ? 'on' : 'off'}, ${plural(tfjs.wasmThreads, 'thread')}: Node gets the single-threaded binary), tfjs-backend-webgpu (${tfjs.webgpu ? 'on the adapter above' : 'not run'})`,
  ].join('\n');
}

function simdPeakFigureText(figure: SimdPeakFigure): string {
  const flag = figure.engineFlag ? `, needs ${figure.engineFlag}` : '';
  return `${figure.perThreadGflops.toFixed(1)} GFLOP/s on one thread, ${figure.allThreadsGflops.toFixed(1)} on ${figure.threads} (${figure.chains} chains${flag})`;
}

function simdPeakText(peak: SimdPeak): string {
  const relaxed = typeof peak.relaxedMadd === 'string' ? peak.relaxedMadd : simdPeakFigureText(peak.relaxedMadd);
  return `independent f32x4 chains acc = acc·x + y, built in src/simd-peak.ts; a floor for the true ceiling, as the multiply sits on each chain where a GEMM\'s does not): f32x4.mul + f32x4.add, what @fathom/wasm emits, ${simdPeakFigureText(peak.mulAdd)}; f32x4.relaxed_madd ${relaxed}`;
}

const MIB = 2 ** 20;

function memoryText(memory: StepMemory | null): string {
  if (!memory) return '';
  return `${(memory.peakBytes / MIB).toFixed(1)} (${(memory.restingBytes / MIB).toFixed(1)})`;
}

/** The results as a markdown table (a row per case and framework) with notes below it. */
export function markdownReport(results: readonly CaseResult[], machine: Machine): string {
  const header = ['workload', 'size', 'framework', 'ms', 'throughput', 'vs peer', 'vs PyTorch', 'step MiB: peak (at rest)'];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const result of results) {
    for (const framework of FRAMEWORKS) {
      const outcome = result.outcomes[framework];
      if (!outcome) continue;
      if (outcome.status === 'n/a') {
        rows.push([result.workload, result.size, framework, outcome.reason, 'n/a', '', '', '']);
        if (outcome.error && outcome.error !== outcome.reason) notes.push(`${result.workload} ${result.size}, ${framework}: ${outcome.error}`);
        continue;
      }
      const { medianMs, p25Ms, p75Ms, samplesMs } = outcome.measurement;
      const versusPeer = isFathom(framework) ? ratioText(result, framework, PEERS[framework]) : '';
      rows.push([
        result.workload, result.size, framework,
        `${formatMs(medianMs)} (${formatMs(p25Ms)}–${formatMs(p75Ms)})`,
        `${formatThroughput(outcome.throughput)} ${result.throughput.unit}`,
        versusPeer === '' ? '' : `${versusPeer} ${PEERS[framework as FathomFramework]}`,
        isFathom(framework) ? ratioText(result, framework, 'pytorch') : '',
        memoryText(outcome.memory),
      ]);
      if (samplesMs.length < result.iterations) {
        notes.push(`${result.workload} ${result.size}, ${framework}: ${samplesMs.length} timed iteration${samplesMs.length === 1 ? '' : 's'} instead of ${result.iterations}, to keep within the time budget.`);
      }
      if (outcome.leakedTensors !== 0) {
        notes.push(`Warning: ${result.workload} ${result.size}, ${framework} left ${outcome.leakedTensors} tensors behind; its figures include allocation growth.`);
      }
    }
  }
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(header),
    line(['---', '---', '---', '---:', '---:', '---:', '---:', '---:']),
    ...rows.map(line),
    '',
    'ms: median (p25–p75) of the timed iterations, after warm-up; each iteration reads back the first element of each result, as PyTorch\'s side reads `[0, 0].item()` (a training step reads its loss).',
    'Throughput from the median: W1 2n³ flops; W2 forward 2·N·OH·OW·O·C·kH·kW, forward+backward 3× that; W3 and W5 images, W4 characters (batch × sequence) per step.',
    '"vs peer" is the peer\'s median ÷ Fathom\'s: above 1× Fathom is faster. Peers: fathom ↔ tfjs-cpu, fathom-wasm ↔ tfjs-wasm, fathom-webgpu ↔ tfjs-webgpu; "vs PyTorch" likewise against PyTorch on the CPU.',
    ...(results.some((result) => result.rounds.length > 1)
      ? [`--rounds ${Math.max(...results.map((result) => result.rounds.length))}: the frameworks took turns on each case that many times; ms and throughput are each framework's median round, the ratios the median (and range) of the rounds' own ratios.`]
      : []),
    'Step MiB: one more iteration after the timed ones. Fathom: the peak of the backend\'s live buffer bytes (`backend.memory().bytes` read after every allocation), and in brackets the bytes held before the step (parameters, gradients, optimizer state, inputs). PyTorch: the process\'s peak resident set during the step (Linux VmHWM, reset through /proc/self/clear_refs just before it) above its resident set right after `import torch, torchvision`, and in brackets the resident set before the step above the same; it counts what glibc keeps after frees and oneDNN\'s scratch, as PyTorch 1.13 keeps no peak counter for CPU tensors.',
    ...targetSummary(results),
    ...peakSummary(results, machine.simdPeak),
    ...notes,
    '',
    machineText(machine),
  ].join('\n');
}

function targetSummary(results: readonly CaseResult[]): string[] {
  const lines: string[] = [];
  for (const ours of Object.keys(PEERS) as FathomFramework[]) {
    const ratios = results.map((result) => speedup(result, ours)).filter((ratio): ratio is number => ratio !== null);
    if (ratios.length === 0) continue;
    const met = ratios.filter((ratio) => ratio >= TARGETS[ours]).length;
    lines.push(`Target ${ours} ≥ ${TARGETS[ours]}× ${PEERS[ours]}: met on ${met} of ${ratios.length} rows (lowest ${Math.min(...ratios).toFixed(2)}×).`);
  }
  for (const result of results) {
    const target = PYTORCH_TARGETS[result.workload.split(' ')[0]];
    const ratio = target === undefined ? null : speedup(result, 'fathom-wasm', 'pytorch');
    if (ratio === null) continue;
    lines.push(`Target fathom-wasm ${result.workload} ≥ ${target.toFixed(1)}× PyTorch: ${ratio >= target ? 'met' : 'not met'} (${ratio.toFixed(2)}×).`);
  }
  return lines;
}

/** W1 on fathom-wasm as a fraction of the measured SIMD peaks on the same threads. */
function peakSummary(results: readonly CaseResult[], peak: SimdPeak | null): string[] {
  if (!peak) return [];
  const relaxed = typeof peak.relaxedMadd === 'string' ? null : peak.relaxedMadd;
  const rows = results.filter((result) => result.workload.startsWith('W1')).flatMap((result) => {
    const outcome = result.outcomes['fathom-wasm'];
    if (outcome?.status !== 'ok') return [];
    const ofRelaxed = relaxed ? ` (${(100 * outcome.throughput / relaxed.allThreadsGflops).toFixed(0)} % of relaxed_madd's)` : '';
    return [`${result.size} ${(100 * outcome.throughput / peak.mulAdd.allThreadsGflops).toFixed(0)} %${ofRelaxed}`];
  });
  if (rows.length === 0) return [];
  return [`W1 fathom-wasm as a fraction of the f32x4 mul+add peak on ${peak.mulAdd.threads} threads (${peak.mulAdd.allThreadsGflops.toFixed(1)} GFLOP/s; target ≥ ${SIMD_PEAK_TARGET * 100} %): ${rows.join(', ')}.`];
}

/** Everything measured, for `--json`. */
export function jsonReport(results: readonly CaseResult[], machine: Machine, quick: boolean): string {
  return JSON.stringify({ date: new Date().toISOString(), quick, machine, results }, null, 2) + '\n';
}
