import { add, keep, zeros, type DType, type Shape, type Tensor } from '@fathom/core';
import type { GraphNode } from './graph-node.js';

/**
 * The gradients on their way to graph nodes during one backward pass
 * (PyTorch's `InputBuffer`): one tensor per node that has received a
 * gradient and not yet run.
 *
 * Each entry is a handle the pass owns (its own reference on the storage,
 * exempt from every `scope()`), so the formula that made a gradient can have
 * its temporaries released as soon as it returns, and each entry is released
 * the moment its node has consumed it. Without this, every intermediate
 * gradient of the pass lived until backward ended: for a recurrent network
 * that is every time step's gradients at once.
 */
export class PendingGradients {
  private readonly gradients = new Map<GraphNode, Tensor>();
  // Entries whose storage the pass allocated and nothing else views: a view's gradient may be added into them in place.
  private readonly exclusive = new Set<Tensor>();

  /**
   * Adds `grad` to the gradient pending for `node`. The first gradient is
   * kept as a handle on its storage (no copy); a second is summed with it
   * into a fresh tensor and both are let go of at once.
   */
  add(node: GraphNode, grad: Tensor): void {
    const existing = this.gradients.get(node);
    this.set(node, existing ? add(existing, grad) : grad.detach(), existing !== undefined);
    if (existing) this.release(existing);
  }

  /**
   * Adds the gradient of a view op (select, slice) into the gradient pending
   * for the view's input `node`, inside the window `window(buffer)` of a
   * buffer shaped like that input. The buffer is the pending gradient itself
   * when the pass owns it alone, else a copy of it, else zeros, so T views
   * of one tensor cost one buffer, not T full-size gradients.
   */
  addIntoWindow(node: GraphNode, grad: Tensor, inputShape: Shape, inputDType: DType, window: (buffer: Tensor) => Tensor): void {
    let buffer = this.gradients.get(node);
    if (!buffer || !this.exclusive.has(buffer)) {
      const previous = buffer;
      buffer = previous ? previous.clone() : zeros(inputShape, { dtype: inputDType, device: grad.device });
      this.set(node, buffer, true);
      if (previous) this.release(previous);
    }
    const view = window(buffer);
    // copy_ rather than an in-place add: a kernel may not read and write one buffer (WebGPU forbids the aliasing).
    view.copy_(view.add(grad.cast(view.dtype)));
  }

  /** Removes and returns the gradient pending for `node`; the caller now owns it and must dispose it. */
  take(node: GraphNode): Tensor | undefined {
    const grad = this.gradients.get(node);
    if (!grad) return undefined;
    this.gradients.delete(node);
    this.exclusive.delete(grad);
    return grad;
  }

  /** Releases every gradient still pending (a pass that ended early, by an error). */
  dispose(): void {
    for (const grad of this.gradients.values()) grad.dispose();
    this.gradients.clear();
    this.exclusive.clear();
  }

  private set(node: GraphNode, grad: Tensor, exclusive: boolean): void {
    this.gradients.set(node, keep(grad));
    if (exclusive) this.exclusive.add(grad);
  }

  private release(grad: Tensor): void {
    this.exclusive.delete(grad);
    grad.dispose();
  }
}
