import {
  add, formatShape, isFloating, keep, onesLike, scope, ShapeError, ValueError, type BackwardOptions, type GradHook, type Tensor,
} from '@fathom/core';
import { isSoleFreshHandle, type GradientEngine, type RecordedOp, type RecordedOps } from '@fathom/core/backend';
import type { BackwardContext, FormulaTable, RecordedFormula } from './formula.js';
import { reportAnomaly } from './anomaly.js';
import { formulaTable } from './gradients/index.js';
import { isGradEnabled, noGrad } from './grad-mode.js';
import { GraphNode } from './graph-node.js';
import { PendingGradients } from './pending-gradients.js';
import { runPostAccumulateGradHooks } from './post-accumulate-grad-hook.js';

const leafHooks = new WeakMap<Tensor, GradHook[]>();

function nodeOf(tensor: Tensor): GraphNode | null {
  return tensor.gradFn instanceof GraphNode ? tensor.gradFn : null;
}

// Adds `grad` into a tensor's `.grad`, which outlives every scope. A first gradient that the
// node's formula just made, alone on its whole buffer, becomes `.grad` as it is; any other (the
// pass's incoming gradient, a view, one shared with another input) is copied.
function accumulateInto(tensor: Tensor, grad: Tensor): void {
  const previous = tensor.grad;
  const next = previous ? add(previous, grad) : isSoleFreshHandle(grad) ? grad : grad.clone();
  tensor.grad = keep(next);
  previous?.dispose();
  if (tensor.isLeaf) runPostAccumulateGradHooks(tensor);
}

function runHooks(hooks: readonly GradHook[] | undefined, grad: Tensor): Tensor {
  let current = grad;
  for (const hook of hooks ?? []) current = hook(current) ?? current;
  return current;
}

// Reverse post-order of the nodes reachable from `root`: each node comes before its inputs.
function topologicalOrder(root: GraphNode): GraphNode[] {
  const visited = new Set<GraphNode>();
  const order: GraphNode[] = [];
  const stack: [GraphNode, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    if (next < node.inputNodes.length) {
      top[1]++;
      const input = node.inputNodes[next];
      if (input && !visited.has(input)) {
        visited.add(input);
        stack.push([input, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

function checkGradient(node: GraphNode, index: number, grad: Tensor): Tensor {
  const expected = node.inputShapes[index];
  if (grad.ndim !== expected.length || grad.shape.some((size, i) => size !== expected[i])) {
    throw new ShapeError(`backward of '${node.op}': gradient for input ${index} has shape ${formatShape(grad.shape)}, expected ${formatShape(expected)}`);
  }
  const dtype = node.inputs[index].dtype;
  return grad.dtype === dtype ? grad : grad.cast(dtype);
}

// Sends `incoming`, the whole gradient of `node`'s output, on to its inputs: into a leaf's `.grad`,
// or into the gradient pending for the input's node. Runs inside a scope that ends with the node.
function runNode(node: GraphNode, incoming: Tensor, pending: PendingGradients): void {
  if (node.freed) {
    throw new ValueError(`backward: trying to go through the graph of '${node.op}' a second time, after its saved tensors were freed; pass { retainGraph: true } to the first backward()`);
  }
  if (!node.formula) throw new ValueError(`backward: no gradient formula for op '${node.op}'`);
  // A hook gets a handle of its own: one that it keep()s outlives the pass's, which is released after the node.
  const grad = node.hooks.length > 0 ? runHooks(node.hooks, incoming.detach()) : incoming;
  if (node.retainedOn) accumulateInto(node.retainedOn, grad);
  const context: BackwardContext<never> = {
    inputShapes: node.inputShapes,
    inputDTypes: node.inputs.map((t) => t.dtype),
    outputShape: node.outputShape,
    // The attributes recorded beside this node's formula, of the type it reads (see recordNode).
    attrs: node.attrs as never,
    saved: node.saved,
    needsGrad: node.needsGrad,
  };
  const { viewOf } = node.formula;
  const viewInput = node.inputNodes[0];
  if (viewOf && viewInput) {
    // A view's gradient is `grad` in the view's window and zero elsewhere: written into one buffer in place.
    reportAnomaly('backward', node.op, [grad], [grad]);
    pending.addIntoWindow(viewInput, grad, node.inputShapes[0], node.inputs[0].dtype, (buffer) => viewOf(buffer, context));
    return;
  }
  const inputGrads = node.formula.backward(grad, context);
  reportAnomaly('backward', node.op, [grad], inputGrads.filter((g): g is Tensor => g !== null));
  inputGrads.forEach((raw, i) => {
    if (!node.needsGrad[i] || raw === null) return;
    const g = checkGradient(node, i, raw);
    const inputNode = node.inputNodes[i];
    if (inputNode === null) accumulateInto(node.inputs[i], runHooks(leafHooks.get(node.inputs[i]), g));
    else pending.add(inputNode, g);
  });
}

/**
 * @internal Makes `output` the result of a graph node running `formula`
 * backward: what `record` does for core's ops, and what `customFunction`
 * does for a function that brings its own backward. `save` are the tensors
 * the backward needs; they are kept (exempt from `scope()`) as detached views
 * until backward has passed the node.
 */
export function recordNode(
  op: string, formula: RecordedFormula | undefined, inputs: readonly Tensor[], output: Tensor, attrs: unknown, save: readonly Tensor[],
): void {
  const saved = noGrad(() => save.map((t) => keep(t.detach())));
  const node = new GraphNode(
    op,
    formula,
    inputs,
    inputs.map((t) => (t.requiresGrad ? nodeOf(t) : null)),
    inputs.map((t) => t.requiresGrad),
    saved,
    attrs,
    output.shape,
    output.dtype,
  );
  output.attachGradNode(node);
  reportAnomaly('forward', op, inputs, [output]);
}

/** The engine `useAutograd()` installs into core: records a node per op and runs reverse mode. */
export const engine: GradientEngine = {
  isRecording: isGradEnabled,

  record<K extends RecordedOp>(op: K, inputs: readonly Tensor[], output: Tensor, attrs: RecordedOps[K]) {
    if (!isFloating(output.dtype)) return;
    // null for the ops that write bool (let go above); undefined for an op that a newer copy of core
    // records and this table predates: backward() then names it.
    const formula: FormulaTable[K] | undefined = formulaTable[op];
    recordNode(op, formula ?? undefined, inputs, output, attrs, noGrad(() => formula?.save?.({ inputs, output, attrs }) ?? []));
  },

  backward(root: Tensor, gradient: Tensor | undefined, options: BackwardOptions) {
    if (!root.requiresGrad) {
      throw new ValueError(`backward: the tensor (made by '${root.madeBy}') does not require grad and has no grad node`);
    }
    if (!gradient && root.numel !== 1) {
      throw new ShapeError(`backward: a gradient can be created implicitly only for one-element outputs, this one is ${formatShape(root.shape)}; pass backward(gradient)`);
    }
    if (gradient && (gradient.ndim !== root.ndim || gradient.shape.some((s, i) => s !== root.shape[i]))) {
      throw new ShapeError(`backward: gradient ${formatShape(gradient.shape)} does not match the output ${formatShape(root.shape)}`);
    }
    // The pass owns every gradient in flight (see PendingGradients) and runs each node's formula in
    // a scope of its own: a gradient and the formula's temporaries are released as soon as the node
    // has run, so the pass holds the gradients at its frontier rather than all it has made.
    noGrad(() => scope(() => {
      const seed = gradient ?? onesLike(root);
      const rootNode = nodeOf(root);
      if (rootNode === null) {
        accumulateInto(root, runHooks(leafHooks.get(root), seed));
        return;
      }
      const pending = new PendingGradients();
      try {
        pending.add(rootNode, seed);
        for (const node of topologicalOrder(rootNode)) {
          const incoming = pending.take(node);
          if (!incoming) continue;
          try {
            scope(() => runNode(node, incoming, pending));
          } finally {
            incoming.dispose();
          }
          if (!options.retainGraph) node.free();
        }
      } finally {
        pending.dispose();
      }
    }));
  },

  retainGrad(tensor: Tensor) {
    const node = nodeOf(tensor);
    if (node) node.retainedOn = tensor;
    else if (!tensor.requiresGrad) throw new ValueError('retainGrad: the tensor does not require grad');
  },

  registerHook(tensor: Tensor, hook: GradHook) {
    if (!tensor.requiresGrad) throw new ValueError('registerHook: the tensor does not require grad');
    const node = nodeOf(tensor);
    const hooks = node ? node.hooks : leafHooks.get(tensor) ?? [];
    if (!node) leafHooks.set(tensor, hooks);
    hooks.push(hook);
    return () => {
      const at = hooks.indexOf(hook);
      if (at >= 0) hooks.splice(at, 1);
    };
  },
};

