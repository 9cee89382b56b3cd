import { Generator, isFloating, randn, scope, tensor, ValueError, formatShape, type Tensor } from '@fathom/core';
import { noGrad } from './grad-mode.js';
import { useAutograd } from './use-autograd.js';

/** Options of {@link gradcheck}; the defaults are TESTING.md's. */
export interface GradcheckOptions {
  /** Step of the central differences. */
  readonly eps?: number;
  readonly atol?: number;
  readonly rtol?: number;
  /** Seed of the random projection of the outputs. */
  readonly seed?: number;
}

/** Where analytic and numeric gradients disagree most. */
export interface GradcheckMismatch {
  readonly input: number;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
}

function outputsOf(result: Tensor | readonly Tensor[]): Tensor[] {
  return (Array.isArray(result) ? [...result] : [result as Tensor]).filter((t) => isFloating(t.dtype));
}

/**
 * Checks the analytic gradient of `f` against central finite differences in
 * float64 on the CPU. Float inputs are copied to float64 CPU leaves; the
 * outputs are projected on a fixed random direction `r`, so one backward pass
 * gives `Jᵀr`, compared element by element with `(s(x + ε) − s(x − ε)) / 2ε`
 * where `s = Σ out·r`. Throws a `ValueError` naming the input, the element and
 * both values on a mismatch beyond `atol + rtol·|numeric|`.
 *
 * ```ts
 * gradcheck((x) => x.tanh().sum(), [randn([3, 4], { dtype: 'float64' })]);
 * ```
 */
export function gradcheck(f: (...inputs: Tensor[]) => Tensor | readonly Tensor[], inputs: readonly Tensor[], options: GradcheckOptions = {}): void {
  useAutograd();
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  scope(() => {
    const values = inputs.map((t) => (isFloating(t.dtype) ? Float64Array.from(t.dataSync()) : null));
    const build = (i: number, data: Float64Array | null): Tensor =>
      data ? tensor(data, { shape: inputs[i].shape, dtype: 'float64', device: 'cpu' }) : inputs[i].to('cpu');
    const projections = noGrad(() =>
      outputsOf(f(...values.map((data, i) => build(i, data)))).map((out, j) => randn(out.shape, { dtype: 'float64', generator: new Generator((options.seed ?? 0) + j) })),
    );
    const projected = (outs: Tensor[]): Tensor => {
      if (outs.length !== projections.length) throw new ValueError(`gradcheck: f returned ${outs.length} float outputs, then ${projections.length}`);
      return outs.reduce<Tensor>((total, out, j) => total.add(out.cast('float64').mul(projections[j]).sum()), tensor(0, { dtype: 'float64' }));
    };
    const leaves = values.map((data, i) => {
      const leaf = build(i, data);
      return data ? leaf.setRequiresGrad(true) : leaf;
    });
    const s = projected(outputsOf(f(...leaves)));
    if (!s.requiresGrad) throw new ValueError('gradcheck: the output does not depend on any float input');
    s.backward();
    let worst: GradcheckMismatch | null = null;
    let worstExcess = 0;
    values.forEach((data, i) => {
      if (!data) return;
      const analytic = leaves[i].grad ? leaves[i].grad!.dataSync() : new Float64Array(data.length);
      for (let k = 0; k < data.length; k++) {
        const original = data[k];
        const evaluate = (value: number): number => {
          data[k] = value;
          return noGrad(() => scope(() => projected(outputsOf(f(...values.map((d, m) => build(m, d))))).dataSync()[0]));
        };
        const numeric = (evaluate(original + eps) - evaluate(original - eps)) / (2 * eps);
        data[k] = original;
        const excess = Math.abs(analytic[k] - numeric) - (atol + rtol * Math.abs(numeric));
        if (excess > worstExcess || Number.isNaN(analytic[k]) !== Number.isNaN(numeric)) {
          worstExcess = Number.isNaN(excess) ? Infinity : excess;
          worst = { input: i, index: k, analytic: analytic[k], numeric };
        }
      }
    });
    if (worst !== null) {
      const w: GradcheckMismatch = worst;
      throw new ValueError(
        `gradcheck: gradient of input ${w.input} ${formatShape(inputs[w.input].shape)} at element ${w.index}: analytic ${w.analytic}, numeric ${w.numeric} (atol ${atol}, rtol ${rtol})`,
      );
    }
    leaves.forEach((leaf) => {
      leaf.grad?.dispose();
      leaf.grad = null;
    });
  });
}
