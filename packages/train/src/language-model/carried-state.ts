import { keep, type Device, type Tensor } from '@fathom/core';
import type { TensorStateful } from '../checkpoint/checkpoint.js';
import type { RecurrentState } from './language-model.js';

/**
 * The hidden state truncated BPTT hands from one window to the next:
 * detached, so gradients stop at the window's edge, and saved with
 * checkpoints, so a resumed run picks the text up with the same state.
 */
export class CarriedState implements TensorStateful {
  #state: RecurrentState | undefined;

  constructor(private readonly device: Device) {}

  /** The state to start the next window from (undefined: zeros). */
  get current(): RecurrentState | undefined {
    return this.#state;
  }

  /** Keeps `state` detached (past the step's scope) and releases the previous one. */
  carry(state: RecurrentState): void {
    const next = { h: keep(state.h.detach()), ...(state.c ? { c: keep(state.c.detach()) } : {}) };
    this.reset();
    this.#state = next;
  }

  /** Back to zeros (a new pass over the text). */
  reset(): void {
    this.#state?.h.dispose();
    this.#state?.c?.dispose();
    this.#state = undefined;
  }

  /** {@inheritDoc TensorStateful.stateTensors} */
  stateTensors(): Readonly<Record<string, Tensor>> {
    const state = this.#state;
    return state ? { h: state.h, ...(state.c ? { c: state.c } : {}) } : {};
  }

  /** {@inheritDoc TensorStateful.loadStateTensors} */
  loadStateTensors(tensors: Readonly<Record<string, Tensor>>): void {
    this.reset();
    const copy = (tensor: Tensor): Tensor => keep(tensor.to(this.device).clone());
    if (tensors.h) this.#state = { h: copy(tensors.h), ...(tensors.c ? { c: copy(tensors.c) } : {}) };
  }
}
