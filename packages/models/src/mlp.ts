import { ValueError, type Tensor } from '@fathom/core';
import { Dropout, LayerNorm, Linear, Module, ModuleList } from '@fathom/layers';
import { checkPositiveInteger, flattenSamples } from './flat-features.js';

/** The nonlinearity after each hidden layer of an {@link MLP}. */
export type MLPActivation = 'relu' | 'sigmoid' | 'tanh';

const activations: Readonly<Record<MLPActivation, (x: Tensor) => Tensor>> = {
  relu: (x) => x.relu(),
  sigmoid: (x) => x.sigmoid(),
  tanh: (x) => x.tanh(),
};

/** Options of {@link MLP}. */
export interface MLPOptions {
  /** Features per sample: the flattened size of one input (784 for a 1×28×28 image). */
  readonly inFeatures: number;
  /** Width of each hidden layer, first to last; `[]` leaves one Linear layer (softmax regression). */
  readonly hiddenSizes: readonly number[];
  /** Outputs of the last layer (class scores). */
  readonly numClasses: number;
  /** Nonlinearity after each hidden layer (default 'relu'). */
  readonly activation?: MLPActivation;
  /** A LayerNorm over each hidden layer's output, before the activation (default false). */
  readonly layerNorm?: boolean;
  /**
   * Adds each hidden layer's input to its output where the two widths are
   * equal (default false); needs at least one such layer.
   */
  readonly residual?: boolean;
  /** Dropout probability after each hidden activation, in [0, 1) (default 0: none). */
  readonly dropout?: number;
}

/**
 * A multilayer perceptron for classification: flatten, then hidden layers of
 * Linear → [LayerNorm] → activation → [Dropout] (→ [+ input]), then a Linear
 * layer to `numClasses` logits. Built for the vanishing-gradient lesson: a deep
 * sigmoid MLP, the same with ReLU, with LayerNorm and with residual
 * connections train very differently, and {@link MLP.hiddenLayers} (with
 * `gradientNorms` or `GradientNormRecorder` from `@fathom/layers`) shows why.
 *
 * Hidden layer i computes, for its input h (N, inᵢ):
 *
 *     a = dropout(activation(norm(h Wᵢᵀ + bᵢ)))    (N, hiddenSizes[i])
 *     out = residual and inᵢ = hiddenSizes[i] ? h + a : a
 *
 * State-dict keys, as a PyTorch module holding `self.layers =
 * nn.ModuleList(nn.Linear(a, b) for …)` and `self.norms =
 * nn.ModuleList(nn.LayerNorm(h) for h in hidden_sizes)`:
 * - `layers.i.weight` (out, in), `layers.i.bias` (out) for i = 0 … L, where
 *   L = hiddenSizes.length: `layers.0` … `layers.{L−1}` are the hidden layers
 *   and `layers.L` is the output layer (hiddenSizes.at(−1) or inFeatures →
 *   numClasses). The indices do not move with the options.
 * - with `layerNorm`: `norms.i.weight` and `norms.i.bias` (hiddenSizes[i]) for
 *   each hidden layer.
 * Activations, dropout and the residual additions have no parameters. Every
 * layer keeps PyTorch's default initialization (Linear: U(±1/√in); LayerNorm:
 * weight 1, bias 0), which is what makes a deep sigmoid MLP's early gradients
 * vanish.
 *
 * Input: (N, inFeatures) or any (N, ...) whose samples hold inFeatures values
 * (images (N, C, H, W)). Output: logits (N, numClasses) for `crossEntropy`.
 *
 * ```ts
 * const deep = new MLP({ inFeatures: 784, hiddenSizes: Array(8).fill(128), numClasses: 10, activation: 'sigmoid' });
 * const loss = crossEntropy(deep.forward(images), labels); // images (N, 1, 28, 28) → logits (N, 10)
 * ```
 */
export class MLP extends Module {
  /** Features per sample the first layer expects. */
  readonly inFeatures: number;
  /** Width of each hidden layer. */
  readonly hiddenSizes: readonly number[];
  /** Outputs of the last layer. */
  readonly numClasses: number;
  /** Nonlinearity after each hidden layer. */
  readonly activation: MLPActivation;
  /** For each hidden layer, whether it adds its input to its output (widths equal and `residual` on). */
  readonly residualConnections: readonly boolean[];
  /** Every Linear layer, the hidden ones then the output layer (`layers.i.*`). */
  readonly layers: ModuleList<Linear>;
  /** A LayerNorm per hidden layer (`norms.i.*`), or null without `layerNorm`. */
  readonly norms: ModuleList<LayerNorm> | null;
  /** Dropout after each hidden activation (p = 0: none). */
  readonly dropout: Dropout;

  /**
   * Throws a ValueError naming the option for a size that is not a positive
   * integer, an unknown activation, a dropout outside [0, 1), or `residual`
   * with no hidden layer whose input and output widths are equal.
   */
  constructor(options: MLPOptions) {
    super();
    this.inFeatures = checkPositiveInteger('MLP', 'inFeatures', options?.inFeatures);
    if (!Array.isArray(options.hiddenSizes)) {
      throw new ValueError(`MLP: hiddenSizes must be an array of positive integers, got ${String(options.hiddenSizes)}`);
    }
    this.hiddenSizes = options.hiddenSizes.map((size, i) => checkPositiveInteger('MLP', `hiddenSizes[${i}]`, size));
    this.numClasses = checkPositiveInteger('MLP', 'numClasses', options.numClasses);
    const activation = options.activation ?? 'relu';
    if (!Object.hasOwn(activations, activation)) {
      throw new ValueError(`MLP: activation must be 'relu', 'sigmoid' or 'tanh', got ${JSON.stringify(activation)}`);
    }
    this.activation = activation;
    const p = options.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new ValueError(`MLP: dropout must be in [0, 1), got ${String(p)}`);

    const inputWidths = [this.inFeatures, ...this.hiddenSizes]; // input width of hidden layer i, then of the output layer
    this.residualConnections = this.hiddenSizes.map((width, i) => options.residual === true && inputWidths[i] === width);
    if (options.residual === true && !this.residualConnections.includes(true)) {
      throw new ValueError(
        `MLP: residual needs a hidden layer whose input and output widths are equal (such as hiddenSizes [128, 128]), ` +
          `got inFeatures ${this.inFeatures} and hiddenSizes [${this.hiddenSizes.join(', ')}]`,
      );
    }

    this.layers = this.registerModule('layers', new ModuleList(
      [...this.hiddenSizes, this.numClasses].map((width, i) => new Linear(inputWidths[i], width)),
    ));
    this.norms = options.layerNorm === true
      ? this.registerModule('norms', new ModuleList(this.hiddenSizes.map((width) => new LayerNorm(width))))
      : null;
    this.dropout = this.registerModule('dropout', new Dropout(p));
  }

  /** The hidden Linear layers in order (`layers.0` … `layers.{L−1}`), without the output layer: the ones whose gradient norms tell whether the gradient vanishes on its way down. */
  get hiddenLayers(): readonly Linear[] {
    return [...this.layers].slice(0, this.hiddenSizes.length);
  }

  /** The last Linear layer, (hiddenSizes.at(−1) or inFeatures) → numClasses (`layers.L`). */
  get outputLayer(): Linear {
    return this.layers.at(-1);
  }

  /**
   * Logits (N, numClasses) of a batch (N, inFeatures) or (N, ...); a sample of
   * another size throws a ShapeError naming the expected one.
   */
  forward(x: Tensor): Tensor {
    const activate = activations[this.activation];
    let h = flattenSamples('MLP', x, this.inFeatures); // (N, inFeatures)
    this.hiddenLayers.forEach((layer, i) => {
      let a = layer.forward(h); // (N, hiddenSizes[i])
      if (this.norms !== null) a = this.norms.at(i).forward(a);
      a = this.dropout.forward(activate(a));
      h = this.residualConnections[i] ? h.add(a) : a;
    });
    return this.outputLayer.forward(h); // (N, numClasses)
  }
}
