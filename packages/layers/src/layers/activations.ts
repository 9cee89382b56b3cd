import type { Tensor } from '@fathom/core';
import { Module } from '../module.js';

/** `max(x, 0)`. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return x.relu(); }
}

/** `x` if positive else `negativeSlope·x` (default 0.01). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return x.leakyRelu(this.negativeSlope); }
}

/** Exact (erf) GELU. */
export class GELU extends Module {
  forward(x: Tensor): Tensor { return x.gelu(); }
}

/** Logistic sigmoid. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return x.sigmoid(); }
}

/** Hyperbolic tangent. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor { return x.tanh(); }
}

/** Softmax along `dim`. */
export class Softmax extends Module {
  constructor(readonly dim: number) { super(); }
  forward(x: Tensor): Tensor { return x.softmax(this.dim); }
}

/** Log-softmax along `dim`. */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) { super(); }
  forward(x: Tensor): Tensor { return x.logSoftmax(this.dim); }
}

/** Merges dims `startDim..endDim` (default 1..−1, keeping the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  forward(x: Tensor): Tensor { return x.flatten(this.startDim, this.endDim); }
}

/** Returns its input. */
export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}
