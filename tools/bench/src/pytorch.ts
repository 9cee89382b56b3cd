import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { summarize, type Measurement, type Warmup } from './measure.js';
import type { StepMemory } from './step-memory.js';

/** The parameters of one case as python/torch_workloads.py reads them (its `workload` picks the function). */
export type PyTorchCase = { readonly workload: string } & Readonly<Record<string, number | boolean | string>>;

/**
 * Variables some machines set to steer OpenBLAS past bugs of older releases
 * (here: the Haswell kernels and a 512 KiB L2). A user's machine does not
 * set them, so PyTorch runs without them, once its SGEMM is checked.
 */
export const OPENBLAS_VARIABLES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

/** The OpenBLAS a PyTorch process loaded. */
export interface OpenBlas {
  /** The kernel set it picked (or was told to use), e.g. `Cooperlake`, `Haswell`. */
  readonly corename: string;
  /** Its build: version and options. */
  readonly config: string;
  readonly library: string;
}

/** What the run found of PyTorch, for the report. */
export interface PyTorchInfo {
  /** The interpreter that has torch (and torchvision), or null. */
  readonly python: string | null;
  /** Its torch version, or why there is none. */
  readonly description: string;
  /** The environment its processes run with: this process's, less {@link OPENBLAS_VARIABLES} unless they had to stay. */
  readonly environment: NodeJS.ProcessEnv;
  /** Which BLAS kernels ran, and why those, for the report's header. */
  readonly blas: string;
  /** The SGEMM checks, as python/torch_workloads.py --check-sgemm printed them: without the variables, then (if needed) with them. */
  readonly checks: readonly SgemmCheck[];
}

/** One float32 SGEMM check against float64 (see python/torch_workloads.py). */
export interface SgemmCheck {
  /** The variables unset for it, or none. */
  readonly unset: readonly string[];
  readonly ok: boolean;
  /** The largest |C − C₆₄| / (|A|·|B|) over the products, and its bound k·2⁻²⁴. */
  readonly maxError: number;
  readonly tolerance: number;
  readonly openblas: OpenBlas | null;
  /** Why the check could not run, if it could not. */
  readonly failure?: string;
}

const SCRIPT = fileURLToPath(new URL('../python/torch_workloads.py', import.meta.url));

const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0];

function environmentWithout(names: readonly string[]): NodeJS.ProcessEnv {
  const environment = { ...process.env };
  for (const name of names) delete environment[name];
  return environment;
}

function checkSgemm(python: string, unset: readonly string[], threads: number): SgemmCheck {
  try {
    const output = execFileSync(python, [SCRIPT, '--check-sgemm', JSON.stringify({ threads })], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: environmentWithout(unset),
    });
    const { ok, maxError, tolerance, openblas } = JSON.parse(output) as Omit<SgemmCheck, 'unset'>;
    return { unset, ok, maxError, tolerance, openblas };
  } catch (error) {
    return { unset, ok: false, maxError: Number.NaN, tolerance: Number.NaN, openblas: null, failure: firstLine(error) };
  }
}

const kernelOf = (check: SgemmCheck): string => (check.openblas
  ? `OpenBLAS core ${check.openblas.corename} (${check.openblas.config})`
  : 'a BLAS other than OpenBLAS (no openblas_get_corename in the process)');

const verdictOf = (check: SgemmCheck): string => (check.failure
  ? `the check failed: ${check.failure}`
  : `max error ${check.maxError.toExponential(1)} of |A|·|B| against float64 (bound k·2⁻²⁴ = ${check.tolerance.toExponential(1)})`);

/**
 * Decides how PyTorch runs: as on a user's machine (the OpenBLAS variables
 * unset) when float32 SGEMM is right that way, else with the machine's
 * settings, saying so.
 */
function chooseBlas(python: string, threads: number): Pick<PyTorchInfo, 'environment' | 'blas' | 'checks'> {
  const set = OPENBLAS_VARIABLES.filter((name) => process.env[name] !== undefined);
  const settings = set.map((name) => `${name}=${process.env[name]}`).join(', ');
  const asUser = checkSgemm(python, set, threads);
  const products = 'float32 SGEMM (37×29·29×53, n=1024, n=1024 with B transposed) checked';
  if (asUser.ok) {
    const how = set.length > 0 ? `with this machine's ${settings} unset, as on a user's machine` : 'no OpenBLAS variables set';
    return { environment: environmentWithout(set), blas: `${kernelOf(asUser)}, ${how}; ${products}: ${verdictOf(asUser)}`, checks: [asUser] };
  }
  if (set.length === 0) {
    return { environment: process.env, blas: `${kernelOf(asUser)}: WARNING, ${products}: ${verdictOf(asUser)}; PyTorch's figures may be wrong`, checks: [asUser] };
  }
  const withSettings = checkSgemm(python, [], threads);
  const fallback = `${kernelOf(withSettings)} with this machine's ${settings}: fell back to them because without them ${kernelOf(asUser)} failed the check (${verdictOf(asUser)})`;
  const warning = withSettings.ok ? '' : `; WARNING, with them too: ${verdictOf(withSettings)}`;
  return { environment: process.env, blas: `${fallback}${warning}`, checks: [asUser, withSettings] };
}

/**
 * Finds a python with torch and torchvision: `FATHOM_BENCH_PYTHON`, then
 * `python3` on the PATH, then Debian's `/usr/bin/python3` (where
 * `apt-get install python3-torch python3-torchvision libopenblas0-pthread`
 * puts them), and checks its SGEMM on `threads` threads (see
 * {@link OPENBLAS_VARIABLES}). PyTorch is an optional peer: without it its
 * rows say so.
 */
export function findPyTorch(threads: number): PyTorchInfo {
  const candidates = [process.env.FATHOM_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  for (const python of new Set(candidates)) {
    let version: string;
    try {
      version = execFileSync(python, ['-c', 'import torch, torchvision; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      continue; // Not this one; try the next.
    }
    return { python, description: `PyTorch ${version} (${python})`, ...chooseBlas(python, threads) };
  }
  return {
    python: null,
    description: 'not found (install python3-torch, python3-torchvision and libopenblas0-pthread, or set FATHOM_BENCH_PYTHON)',
    environment: process.env,
    blas: 'not run',
    checks: [],
  };
}

/** Resident-set figures from python/torch_workloads.py, in bytes. */
interface PyTorchMemory {
  readonly method: string;
  readonly baselineBytes: number | null;
  readonly beforeStepBytes: number | null;
  readonly peakBytes: number;
}

/** Timings of one case, and the resident memory of one more step above the process after `import torch`. */
export interface PyTorchRun {
  readonly measurement: Measurement;
  readonly memory: StepMemory | null;
  /** The OpenBLAS core the process ran, where it loaded OpenBLAS. */
  readonly corename: string | null;
}

/** Runs one case in a PyTorch process on `threads` threads, with `pytorch.environment`. */
export function runPyTorch(pytorch: PyTorchInfo, testCase: PyTorchCase, iterations: number, warmup: Warmup, threads: number): PyTorchRun {
  const argument = JSON.stringify({ ...testCase, iterations, warmup: warmup.iterations, warmupMs: warmup.ms, threads });
  const output = execFileSync(pytorch.python!, [SCRIPT, argument], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20, env: pytorch.environment });
  const { samplesMs, memory, openblas } = JSON.parse(output) as { samplesMs: number[]; memory: PyTorchMemory; openblas: OpenBlas | null };
  const { baselineBytes, beforeStepBytes, peakBytes } = memory;
  const stepMemory: StepMemory | null = baselineBytes === null || beforeStepBytes === null ? null
    : { peakBytes: peakBytes - baselineBytes, restingBytes: beforeStepBytes - baselineBytes, counts: 'resident set' };
  return { measurement: summarize(samplesMs), memory: stepMemory, corename: openblas?.corename ?? null };
}
