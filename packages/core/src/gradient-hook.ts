import type { NoAttrs, RecordedOp, RecordedOps } from './recorded-ops.js';
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
  /** Called after an op whose inputs include a tensor that requires grad, with the attributes {@link RecordedOps} declares for it. */
  record<K extends RecordedOp>(op: K, inputs: readonly Tensor[], output: Tensor, attrs: RecordedOps[K]): void;
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

/**
 * The attributes argument of {@link recordOp}: required, except for the ops
 * that record none ({@link NoAttrs}), which may leave it out.
 */
export type RecordedAttrsArgument<K extends RecordedOp> = RecordedOps[K] extends NoAttrs ? [attrs?: RecordedOps[K]] : [attrs: RecordedOps[K]];

/**
 * Reports a finished op to the gradient engine when one of its inputs
 * requires grad. `op` must be declared in {@link RecordedOps} and `attrs`
 * must have the type it declares, so every recorded op has a known set of
 * attributes for its gradient formula.
 */
export function recordOp<K extends RecordedOp>(op: K, inputs: readonly Tensor[], output: Tensor, ...[attrs]: RecordedAttrsArgument<K>): Tensor {
  output.attributeTo(op);
  const engine = hook.engine;
  if (engine === null || hook.paused > 0 || !engine.isRecording()) return output;
  for (const input of inputs) {
    if (input.requiresGrad) {
      // Left out only where RecordedOps declares NoAttrs, for which {} is the value.
      engine.record(op, inputs, output, attrs ?? ({} as RecordedOps[K]));
      break;
    }
  }
  return output;
}
