import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { FRAMEWORKS, type FrameworkName } from './case.js';

/** The workloads: W1 square SGEMM, W2 a conv2d layer, W3–W5 training steps (LeNet-5, char-LSTM, ResNet-18). */
export const WORKLOADS = ['w1', 'w2', 'w3', 'w4', 'w5'] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

/** What the command line asked for. */
export interface BenchOptions {
  /** Small sizes and few iterations: a smoke run for CI, not figures to quote. */
  readonly quick: boolean;
  readonly workloads: readonly WorkloadId[];
  readonly frameworks: readonly FrameworkName[];
  /** Where to save the raw figures as JSON, if anywhere. */
  readonly jsonPath: string | null;
  /** Threads for @fathom/wasm (default: the number of cores). */
  readonly wasmThreads: number;
  /** Fathom's training steps (W3–W5) through `captureStep`: replayed once captured. */
  readonly capture: boolean;
  /** Times the frameworks take turns on each case; ratios are the median of the rounds' ratios. */
  readonly rounds: number;
}

export const USAGE = `Usage: node dist/main.js [--quick] [--only w1,w2,…] [--frameworks a,b,…] [--rounds N] [--json FILE]

  --quick            small sizes and few iterations everywhere (a smoke run, not figures to quote)
  --only IDS         workloads, comma-separated (default all):
                       w1  square SGEMM, n = 256 … 2048
                       w2  conv2d 16×64×32×32, 64 3×3 filters: forward, and forward + both gradients
                       w3  LeNet-5 training step, batch 64, SGD with momentum
                       w4  char-LSTM training step: 2 layers of 256, sequence 64, batch 32, Adam
                       w5  ResNet-18 training step on 3×64×64, batch 16, SGD with momentum
  --frameworks IDS   frameworks, comma-separated (default all): ${FRAMEWORKS.join(', ')}
  --json FILE        also save the raw figures (every sample, in ms) to FILE
  --wasm-threads N   threads for @fathom/wasm (default: the number of cores)
  --capture          replay the forward and backward pass of Fathom's training steps (w3–w5) through
                     captureStep once captured, as fathom-train --capture-steps (the update stays eager)
  --rounds N         the frameworks take turns on each case N times (default 1); each ratio is the
                     median of the N rounds' ratios, so a slow spell of a shared machine weighs on
                     both sides of it
  --help             print this text`;

function parseList<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T[] {
  if (value === undefined) return [...allowed];
  const items = value.split(',').map((item) => item.trim().toLowerCase()).filter(Boolean);
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (items.length === 0 || unknown.length > 0) {
    throw new Error(`${flag} expects a comma-separated list of ${allowed.join(', ')}; got '${value}'\n\n${USAGE}`);
  }
  // Keep the canonical order whatever order the flag gave.
  return allowed.filter((item) => items.includes(item));
}

/** Reads the options from `argv` (without the node and script paths); throws with the usage on a bad flag. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      frameworks: { type: 'string' },
      json: { type: 'string' },
      'wasm-threads': { type: 'string' },
      capture: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const workloads = parseList('--only', values.only, WORKLOADS);
  const frameworks = parseList('--frameworks', values.frameworks, FRAMEWORKS);
  const wasmThreads = values['wasm-threads'] === undefined ? availableParallelism() : Number(values['wasm-threads']);
  if (!Number.isInteger(wasmThreads) || wasmThreads < 1) throw new Error(`--wasm-threads expects a positive integer, got '${values['wasm-threads']}'\n\n${USAGE}`);
  const rounds = values.rounds === undefined ? 1 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds expects a positive integer, got '${values.rounds}'\n\n${USAGE}`);
  return { quick: values.quick, workloads, frameworks, jsonPath: values.json ?? null, wasmThreads, capture: values.capture, rounds };
}
