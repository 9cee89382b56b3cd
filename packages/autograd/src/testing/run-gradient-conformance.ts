import { isFloating, registerBackend, scope, tensor, unregisterBackend, type Backend, type Tensor } from '@fathom/core';
import type { ConformanceHarness, OpSample, SampleInput } from '@fathom/core/testing';
import { useAutograd } from '../use-autograd.js';
import { differentiableSamples } from './differentiable-samples.js';

/** Options of {@link runGradientConformance}; tolerances default to TESTING.md's (atol 1e-4, rtol 1e-3). */
export interface GradientConformanceOptions {
  /** The backend under test, or a factory for it (called once, before the cases). */
  readonly backend: Backend | (() => Backend | Promise<Backend>);
  /** The test runner's describe/it (and optionally beforeAll/afterAll). */
  readonly harness: ConformanceHarness;
  /** Absolute tolerance (default 1e-4). */
  readonly atol?: number;
  /** Relative tolerance (default 1e-3). */
  readonly rtol?: number;
}

function build(input: SampleInput, device: string, floatDType: 'float32' | 'float64'): Tensor {
  const { value } = input;
  return tensor(value.data, { shape: value.shape, dtype: isFloating(value.dtype) ? floatDType : value.dtype, device });
}

// Gradients of Σ out·r (r a fixed, uneven weighting) for each float input, read back as float64.
async function gradients(sample: OpSample, device: string, dtype: 'float32' | 'float64'): Promise<Float64Array[] | null> {
  const grads = scope(() => {
    const inputs = sample.inputs.map((input) => {
      const t = build(input, device, dtype);
      return isFloating(t.dtype) ? t.setRequiresGrad(true) : t;
    });
    const result = sample.run(inputs);
    const outputs = (Array.isArray(result) ? result : [result as Tensor]).filter((t) => isFloating(t.dtype) && t.requiresGrad);
    if (outputs.length === 0) return null;
    const total = outputs.reduce<Tensor>((sum, out) => {
      const weights = Float64Array.from({ length: out.numel }, (_, i) => Math.sin(i + 1));
      return sum.add(out.mul(tensor(weights, { shape: out.shape, dtype: out.dtype, device })).sum());
    }, tensor(0, { dtype, device }));
    total.backward();
    // Returned from the scope, so they survive it; read asynchronously (a GPU cannot read synchronously).
    return inputs.filter((t) => isFloating(t.dtype)).map((t) => t.grad ?? t.newZeros(t.shape));
  });
  if (!grads) return null;
  const arrays = await Promise.all(grads.map(async (g) => Float64Array.from(await g.data())));
  grads.forEach((g) => g.dispose());
  return arrays;
}

/**
 * Registers one test per differentiable conformance-kit sample comparing a
 * backend's float32 gradients with the CPU's float64 ones (TESTING.md: atol
 * 1e-4, rtol 1e-3). A new backend gets its gradients checked by calling this
 * beside `runConformance`.
 *
 * ```ts
 * runGradientConformance({ backend: () => createWasmBackend(), harness: { describe, it, beforeAll, afterAll } });
 * ```
 */
export function runGradientConformance(options: GradientConformanceOptions): void {
  const { harness } = options;
  const atol = options.atol ?? 1e-4;
  const rtol = options.rtol ?? 1e-3;
  let backend: Backend | null = null;
  harness.beforeAll?.(async () => {
    useAutograd();
    backend = typeof options.backend === 'function' ? await options.backend() : options.backend;
    if (backend.name !== 'cpu') registerBackend(backend);
  });
  harness.afterAll?.(() => {
    if (backend && backend.name !== 'cpu') unregisterBackend(backend.name);
  });
  for (const { spec, samples } of differentiableSamples()) {
    harness.describe(`gradients ${spec.name}`, () => {
      for (const sample of samples) {
        harness.it(sample.name, async () => {
          const device = backend!.name;
          const reference = await gradients(sample, 'cpu', 'float64');
          const actual = await gradients(sample, device, 'float32');
          if (reference === null || actual === null) {
            if ((reference === null) !== (actual === null)) throw new Error(`${spec.name} ${sample.name}: gradients exist on one device only`);
            return;
          }
          reference.forEach((expected, k) => {
            expected.forEach((e, i) => {
              const a = actual[k][i];
              // NaN and ±Inf must sit at the same positions as in the reference (TESTING.md).
              const sameNonFinite = !Number.isFinite(e) && (Number.isNaN(e) ? Number.isNaN(a) : a === e);
              if (!sameNonFinite && !(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
                throw new Error(`${spec.name} ${sample.name}: gradient of input ${k} at element ${i} is ${a} on '${device}' (float32), ${e} on cpu (float64)`);
              }
            });
          });
        });
      }
    });
  }
}
