import type { DType, GradHook, GradNode, Shape, Tensor } from '@fathom/core';
import type { RecordedFormula } from './formula.js';

/** One recorded op in the graph: what backward needs to send gradients to its inputs. */
export class GraphNode implements GradNode {
  /** Hooks registered on the tensor this node made. */
  readonly hooks: GradHook[] = [];
  /** The tensor this node made, once it asked to keep its gradient (`retainGrad`). */
  retainedOn: Tensor | null = null;
  /** Set when backward has freed the saved tensors. */
  freed = false;

  constructor(
    readonly op: string,
    readonly formula: RecordedFormula | undefined,
    /** The op's inputs (their storage may be released; only their graph links and grads are used). */
    readonly inputs: readonly Tensor[],
    /** Each input's own node, null for leaves and for inputs that need no grad. */
    readonly inputNodes: readonly (GraphNode | null)[],
    readonly needsGrad: readonly boolean[],
    readonly saved: readonly Tensor[],
    /** What the op recorded, of the type `formula` reads (core's `RecordedOps[op]`; `{}` for a custom function). */
    readonly attrs: unknown,
    readonly outputShape: Shape,
    readonly outputDType: DType,
  ) {}

  /** Shapes of the inputs at record time. */
  get inputShapes(): Shape[] {
    return this.inputs.map((t) => t.shape);
  }

  /** Releases the saved tensors; a second backward through this node then fails with a clear error. */
  free(): void {
    for (const t of this.saved) t.dispose();
    this.freed = true;
  }
}
