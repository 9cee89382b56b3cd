import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

/** Which workloads a run covers: W1 is square SGEMM, W2 a conv2d layer. */
export type WorkloadId = 'w1' | 'w2';

/** What the command line asked for. */
export interface BenchOptions {
  /** Small sizes and few iterations: a smoke run for CI, not figures to quote. */
  readonly quick: boolean;
  readonly workloads: readonly WorkloadId[];
  /** Where to save the raw figures as JSON, if anywhere. */
  readonly jsonPath: string | null;
  /** Threads for @fathom/wasm (default: the number of cores). */
  readonly wasmThreads: number;
}

export const USAGE = `Usage: node dist/main.js [--quick] [--only w1|w2] [--json FILE]

  --quick      W1 at n=256 and 512 only, and few iterations everywhere (CI smoke run)
  --only ID    run one workload: w1 (square SGEMM) or w2 (conv2d 16x64x32x32, 64 3x3 filters)
  --json FILE  also save the raw figures (every sample, in ms) to FILE
  --wasm-threads N  threads for @fathom/wasm (default: the number of cores)
  --help       print this text`;

/** Reads the options from `argv` (without the node and script paths); throws with the usage on a bad flag. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      json: { type: 'string' },
      'wasm-threads': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  let workloads: WorkloadId[] = ['w1', 'w2'];
  if (values.only !== undefined) {
    const only = values.only.toLowerCase();
    if (only !== 'w1' && only !== 'w2') throw new Error(`--only expects w1 or w2, got '${values.only}'\n\n${USAGE}`);
    workloads = [only];
  }
  const wasmThreads = values['wasm-threads'] === undefined ? availableParallelism() : Number(values['wasm-threads']);
  if (!Number.isInteger(wasmThreads) || wasmThreads < 1) throw new Error(`--wasm-threads expects a positive integer, got '${values['wasm-threads']}'\n\n${USAGE}`);
  return { quick: values.quick, workloads, jsonPath: values.json ?? null, wasmThreads };
}
