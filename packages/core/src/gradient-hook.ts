import { shared } from './shared-state.js';
import type { Tensor } from './tensor.js';

/** What the gradient engine attaches to a tensor made by a recorded op; core only reads its name. */
export interface GradNode {
  /** The op that made the tensor, e.g. `'matmul'`. */
  readonly op: string;
}

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  /** Keep the graph (and the tensors it saved) for another backward pass. Default false. */
  readonly retainGraph?: boolean;
}

/** A function called with a tensor's gradient during backward; returning a tensor replaces the gradient. */
export type GradHook = (grad: Tensor) => Tensor | void;

/**
 * The extension point through which `@fathom/autograd` records the graph.
 * Core calls {@link recordOp} once per differentiable op it runs; it holds no
 * calculus itself. Installed by an explicit call (`useAutograd()`), never on import.
 */
export interface GradientEngine {
  /** Whether ops are being recorded now (false inside `noGrad`). */
  isRecording(): boolean;
  /** Called after an op whose inputs include a tensor that requires grad. */
  record(op: string, inputs: readonly Tensor[], output: Tensor, attrs: Readonly<Record<string, unknown>>): void;
  /** Runs reverse mode from `root`. */
  backward(root: Tensor, gradient: Tensor | undefined, options: BackwardOptions): void;
  /** Makes a non-leaf tensor keep its `.grad`. */
  retainGrad(tensor: Tensor): void;
  /** Adds a hook run with the tensor's gradient; returns a function that removes it. */
  registerHook(tensor: Tensor, hook: GradHook): () => void;
}

const hook = shared('gradientHook', () => ({ engine: null as GradientEngine | null, paused: 0 }));

/** Installs (or, with null, removes) the gradient engine; returns the previous one. */
export function installGradientEngine(next: GradientEngine | null): GradientEngine | null {
  const previous = hook.engine;
  hook.engine = next;
  return previous;
}

/** The installed gradient engine, if any. */
export function gradientEngine(): GradientEngine | null {
  return hook.engine;
}

/**
 * Runs `fn` without recording the ops it calls. A primitive op built from
 * other ops (matmul's reshapes, conv2d's contiguous copies) runs its insides
 * this way and records itself once.
 */
export function withoutRecording<T>(fn: () => T): T {
  hook.paused++;
  try {
    return fn();
  } finally {
    hook.paused--;
  }
}

/** Reports a finished op to the gradient engine when one of its inputs requires grad. */
export function recordOp(op: string, inputs: readonly Tensor[], output: Tensor, attrs: Readonly<Record<string, unknown>> = {}): Tensor {
  output.attributeTo(op);
  const engine = hook.engine;
  if (engine === null || hook.paused > 0 || !engine.isRecording()) return output;
  for (const input of inputs) {
    if (input.requiresGrad) {
      engine.record(op, inputs, output, attrs);
      break;
    }
  }
  return output;
}
