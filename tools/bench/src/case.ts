import type { PyTorchCase } from './pytorch.js';
import type { StepMemory } from './step-memory.js';

/**
 * The frameworks a case may run, in the order they are timed and printed:
 * Fathom's three backends, the TensorFlow.js backend each is paired with
 * (the same kind of hardware path: plain JS, WebAssembly, WebGPU), and
 * PyTorch on the CPU where a python with torch is installed (optional).
 */
export const FRAMEWORKS = ['fathom', 'fathom-wasm', 'fathom-webgpu', 'tfjs-cpu', 'tfjs-wasm', 'tfjs-webgpu', 'pytorch'] as const;
export type FrameworkName = (typeof FRAMEWORKS)[number];

/** Fathom's entries, each with the peer its ratio is taken against. */
export const PEERS = {
  fathom: 'tfjs-cpu',
  'fathom-wasm': 'tfjs-wasm',
  'fathom-webgpu': 'tfjs-webgpu',
} as const satisfies Partial<Record<FrameworkName, FrameworkName>>;
export type FathomFramework = keyof typeof PEERS;

/** The Fathom device behind each Fathom entry. */
export const FATHOM_DEVICES = { fathom: 'cpu', 'fathom-wasm': 'wasm', 'fathom-webgpu': 'webgpu' } as const satisfies Record<FathomFramework, string>;
export type FathomDevice = (typeof FATHOM_DEVICES)[FathomFramework];

/** One framework's inputs for a case, made before timing starts. */
export interface PreparedRun {
  /** One timed iteration: computes the result and reads it back, so lazy or queued work is finished. */
  readonly iterate: () => void | Promise<void>;
  /** Frees the inputs; afterwards the framework holds as many tensors as before `prepare`. */
  readonly dispose: () => void;
  /** Tensors the framework holds right now, to check that iterations leave none behind. */
  readonly liveTensors: () => number;
  /** One more iteration, untimed, measuring the memory it needs (on Fathom's backends). */
  readonly stepMemory?: () => Promise<StepMemory>;
}

/** What one iteration does, for the throughput column: floating-point work, or items trained on. */
export interface Throughput {
  readonly unit: 'GFLOP/s' | 'images/s' | 'chars/s';
  /** GFLOP, images or characters per iteration (a multiply-add counts 2 flops). */
  readonly perIteration: number;
}

/** One workload at one size, runnable by the frameworks in `prepare`. */
export interface BenchCase {
  /** Short label, e.g. `W1 sgemm`. */
  readonly workload: string;
  /** The size in words, e.g. `n=1024`. */
  readonly size: string;
  readonly throughput: Throughput;
  /** Timed iterations (after a warm-up); the largest sizes take fewer. */
  readonly iterations: number;
  /** A framework missing here prints `n/a` with the reason in `unavailable` (or "not implemented"). */
  readonly prepare: Readonly<Partial<Record<Exclude<FrameworkName, 'pytorch'>, () => Promise<PreparedRun>>>>;
  /** The same work for python/torch_workloads.py, run in its own process. */
  readonly pytorch?: PyTorchCase;
  readonly unavailable?: Readonly<Partial<Record<FrameworkName, string>>>;
}
