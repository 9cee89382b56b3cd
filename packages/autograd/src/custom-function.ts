import { isFloating, ValueError, type Shape, type Tensor } from '@fathom/core';
import { gradientEngine } from '@fathom/core/backend';
import { recordNode } from './engine.js';
import type { GradientFormula } from './formula.js';
import { isGradEnabled, noGrad } from './grad-mode.js';

/** What the forward of a {@link customFunction} returns. */
export interface CustomForwardResult<State> {
  /** The function's value. */
  readonly output: Tensor;
  /** Tensors the backward needs (PyTorch's `ctx.save_for_backward`): kept until backward has passed, then released. */
  readonly saved?: readonly Tensor[];
  /** Any other values the backward needs (PyTorch's `ctx.something = …`): numbers, host arrays, options. */
  readonly state?: State;
}

/** What the backward of a {@link customFunction} sees. */
export interface CustomBackwardContext<State> {
  /** The tensors forward returned in `saved`, in order (detached). */
  readonly saved: readonly Tensor[];
  /** What forward returned in `state`. */
  readonly state: State;
  /** Which inputs need a gradient (PyTorch's `ctx.needs_input_grad`); return null for the others to skip their work. */
  readonly needsInputGrad: readonly boolean[];
  /** The inputs' shapes: each returned gradient must have its input's. */
  readonly inputShapes: readonly Shape[];
}

/** The two halves of a {@link customFunction}. */
export interface CustomFunctionDefinition<State> {
  /** Computes the output from the inputs. Runs without recording: its own ops are not part of the graph. */
  forward(...inputs: Tensor[]): CustomForwardResult<State>;
  /** One gradient per input, shaped like it (null where none flows), from the gradient of the output. Runs without recording. */
  backward(grad: Tensor, context: CustomBackwardContext<State>): readonly (Tensor | null)[];
}

/**
 * A differentiable function with a hand-written backward, as PyTorch's
 * `torch.autograd.Function`: the graph holds one node for the whole function,
 * and backward calls `definition.backward` instead of differentiating the
 * ops forward ran. For a function whose gradient is cheaper or more stable in
 * closed form than through its pieces, or whose forward and backward do
 * something autograd cannot see (a collective across processes: SyncBatchNorm
 * in `@fathom/distributed`).
 *
 * Inputs are tensors; other arguments are closed over. The output is one
 * tensor. When no input requires grad (or inside `noGrad`) nothing is
 * recorded and the function is just its forward. No double backward:
 * backward's own ops are not recorded, as for every formula in this package.
 *
 * ```ts
 * const cube = customFunction('cube', {
 *   forward: (x) => ({ output: x.mul(x).mul(x), saved: [x] }),
 *   backward: (grad, { saved: [x] }) => [grad.mul(x.square()).mul(3)],
 * });
 * const x = tensor([2]).setRequiresGrad();
 * cube(x).backward(); // x.grad = [12]
 * ```
 */
export function customFunction<State = undefined>(name: string, definition: CustomFunctionDefinition<State>): (...inputs: Tensor[]) => Tensor {
  return (...inputs) => {
    const recording = gradientEngine() !== null && isGradEnabled() && inputs.some((t) => t.requiresGrad);
    const result = noGrad(() => definition.forward(...inputs));
    // The graph node is attached to the output: an input passed through unchanged must not become that node's output.
    const output = inputs.includes(result.output) ? noGrad(() => result.output.clone()) : result.output;
    if (!recording || !isFloating(output.dtype)) return output;
    const state = result.state as State;
    const formula: GradientFormula = {
      backward(grad, context) {
        const grads = definition.backward(grad, { saved: context.saved, state, needsInputGrad: context.needsGrad, inputShapes: context.inputShapes });
        if (grads.length !== inputs.length) {
          throw new ValueError(`backward of custom function '${name}': returned ${grads.length} gradients for ${inputs.length} inputs`);
        }
        return [...grads];
      },
    };
    recordNode(name, formula, inputs, output, {}, result.saved ?? []);
    return output;
  };
}
