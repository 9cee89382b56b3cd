import { scope, stack, type Tensor } from '@fathom/core';
import { noGrad } from '@fathom/autograd';
import type { Module } from './module.js';
import { formatTable } from './summary.js';

/**
 * How {@link gradientNorms} groups parameters: one norm per `'module'` (the
 * parameters a module owns directly, keyed by its dotted path, '' for the
 * model itself) or per `'parameter'` (keyed by the state-dict name).
 */
export type GradientNormGrouping = 'module' | 'parameter';

/** Options of {@link gradientNorms} and {@link GradientNormRecorder}. */
export interface GradientNormOptions {
  /** Default 'module': one norm per layer. */
  readonly by?: GradientNormGrouping;
}

/** The dotted path of the module that owns parameter `name` ('' for the root). */
function ownerPath(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(0, dot);
}

/**
 * Σ g² for each gradient, summed on its device and read back with one
 * transfer per (device, dtype) group rather than one per parameter.
 */
async function squaredNorms(grads: readonly Tensor[]): Promise<number[]> {
  const groups = new Map<string, number[]>();
  grads.forEach((g, i) => {
    const key = `${g.device}/${g.dtype}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(i);
  });
  const out = new Array<number>(grads.length).fill(0);
  for (const indices of groups.values()) {
    const packed = noGrad(() => scope(() => stack(indices.map((i) => grads[i].square().sum())))); // (group size)
    try {
      const values = await packed.data();
      indices.forEach((i, j) => { out[i] = Number(values[j]); });
    } finally {
      packed.dispose();
    }
  }
  return out;
}

/**
 * L2 norms of the parameters' `.grad` after `backward()`, per layer (module
 * path) or per parameter, in the model's parameter order: the numbers that
 * show a vanishing gradient (early layers' norms orders of magnitude below
 * the last layer's) or an exploding one. A layer's norm is √Σ‖g‖² over the
 * parameters it owns directly. Parameters without a gradient (unused in the
 * forward, or frozen) are left out. Async because it reads from the device.
 *
 * ```ts
 * loss.backward();
 * for (const [layer, norm] of await gradientNorms(model)) console.log(layer, norm);
 * ```
 */
export async function gradientNorms(model: Module, options: GradientNormOptions = {}): Promise<Map<string, number>> {
  const by = options.by ?? 'module';
  const withGrad = model.namedParameters().filter((entry): entry is [string, Tensor & { grad: Tensor }] => entry[1].grad !== null);
  const squares = await squaredNorms(withGrad.map(([, p]) => p.grad));
  const sums = new Map<string, number>();
  withGrad.forEach(([name], i) => {
    const key = by === 'parameter' ? name : ownerPath(name);
    sums.set(key, (sums.get(key) ?? 0) + squares[i]);
  });
  return new Map([...sums].map(([key, sum]) => [key, Math.sqrt(sum)]));
}

/** `1.23e-4`, or `--` where a layer had no gradient that step. */
function formatNorm(norm: number): string {
  return Number.isNaN(norm) ? '--' : norm === 0 ? '0' : norm.toExponential(2);
}

/**
 * Collects {@link gradientNorms} over training steps, so layers (or a
 * sigmoid model and a ReLU model) can be compared over time.
 *
 * ```ts
 * const recorder = new GradientNormRecorder();
 * for (let step = 0; step < 100; step++) {
 *   // … loss.backward();
 *   if (step % 10 === 0) await recorder.record(model, step);
 *   // … optimizer.step(); optimizer.zeroGrad();
 * }
 * console.log(recorder.toTable());
 * ```
 */
export class GradientNormRecorder {
  private readonly rows = new Map<string, number[]>();
  private readonly recordedSteps: number[] = [];

  constructor(readonly options: GradientNormOptions = {}) {}

  /** Records the current gradient norms as step `step` (default: the number of records so far) and returns them. */
  async record(model: Module, step = this.recordedSteps.length): Promise<Map<string, number>> {
    const norms = await gradientNorms(model, this.options);
    const column = this.recordedSteps.length;
    this.recordedSteps.push(step);
    for (const [key, norm] of norms) {
      if (!this.rows.has(key)) this.rows.set(key, new Array<number>(column).fill(NaN));
      this.rows.get(key)!.push(norm);
    }
    for (const row of this.rows.values()) if (row.length === column) row.push(NaN);
    return norms;
  }

  /** The step number of each record. */
  get steps(): readonly number[] {
    return this.recordedSteps;
  }

  /** Each layer's (or parameter's) norm at every recorded step, NaN where it had no gradient. */
  get history(): ReadonlyMap<string, readonly number[]> {
    return this.rows;
  }

  /**
   * The history as text: one row per layer, one column per recorded step
   * (at most `maxColumns`, evenly spaced and always including the first and last).
   */
  toTable(options: { readonly maxColumns?: number } = {}): string {
    const steps = this.recordedSteps.length;
    const maxColumns = Math.max(2, options.maxColumns ?? 8);
    const columns = steps <= maxColumns
      ? this.recordedSteps.map((_, i) => i)
      : [...new Set(Array.from({ length: maxColumns }, (_, j) => Math.round((j * (steps - 1)) / (maxColumns - 1))))];
    const header = [(this.options.by ?? 'module') === 'module' ? 'layer' : 'parameter', ...columns.map((i) => `step ${this.recordedSteps[i]}`)];
    const rows = [...this.rows].map(([key, norms]) => [key === '' ? '(model)' : key, ...columns.map((i) => formatNorm(norms[i]))]);
    return formatTable(header, rows, ['left', ...columns.map(() => 'right' as const)]);
  }
}
