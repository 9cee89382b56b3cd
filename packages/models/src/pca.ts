import { ShapeError, ValueError, eigh, formatShape, isFloating, keep, scope, type Tensor } from '@fathom/core';

/** Options of {@link PCA}. */
export interface PCAOptions {
  /** How many principal components to keep: an integer from 1 to min(samples, features) of the data given to `fit`. */
  readonly nComponents: number;
}

/** What `fit` learns; every tensor is owned by the PCA (kept out of scopes, released by `dispose`). */
interface Fitted {
  readonly mean: Tensor; // (D)
  readonly components: Tensor; // (k, D)
  readonly explainedVariance: Tensor; // (k)
  readonly explainedVarianceRatio: Tensor; // (k)
  readonly samples: number;
}

/**
 * Principal component analysis, as scikit-learn's `PCA` with its default
 * (non-whitened) behaviour: the data are centred by their mean and projected
 * on the top eigenvectors of their covariance `XcᵀXc / (N − 1)`, found with
 * core's `eigh`. Names follow scikit-learn in camelCase (`components_` is
 * {@link components}, `explained_variance_ratio_` is
 * {@link explainedVarianceRatio}).
 *
 * Each component is oriented so that its largest-magnitude entry is positive
 * (scikit-learn ≥ 1.5 does the same), so results are reproducible. The
 * covariance is formed as a (D, D) matrix, so this suits up to a few thousand
 * features; the eigendecomposition runs in float64 on the host.
 *
 * ```ts
 * const pca = await new PCA({ nComponents: 2 }).fit(x); // x: (N, D)
 * const z = pca.transform(x);                            // (N, 2)
 * ```
 */
export class PCA {
  /** The number of components kept. */
  readonly nComponents: number;
  private fitted: Fitted | null = null;

  /** Throws {@link ValueError} naming `nComponents` unless it is a positive integer. */
  constructor(options: PCAOptions) {
    const k = options?.nComponents;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
      throw new ValueError(`PCA: nComponents must be a positive integer, got ${String(k)}`);
    }
    this.nComponents = k;
  }

  /**
   * Learns the mean and the top {@link nComponents} principal axes of `x`,
   * `(N, D)` with samples as rows (integer data are cast to float32). Fitting
   * again replaces (and releases) what an earlier fit learnt.
   *
   * Throws {@link ShapeError} unless `x` is 2-D, and {@link ValueError} for
   * fewer than 2 samples or when `nComponents` exceeds min(N, D).
   *
   * ```ts
   * const pca = await new PCA({ nComponents: 10 }).fit(images.flatten(1));
   * console.log(await pca.explainedVarianceRatio.sum().item());
   * ```
   */
  async fit(x: Tensor): Promise<this> {
    if (x.ndim !== 2) throw new ShapeError(`PCA.fit: expects a 2-D (samples, features) tensor, got ${formatShape(x.shape)}`);
    const [samples, features] = x.shape;
    if (samples < 2) throw new ValueError(`PCA.fit: needs at least 2 samples to estimate a covariance, got ${formatShape(x.shape)}`);
    const k = this.nComponents;
    if (k > Math.min(samples, features)) {
      throw new ValueError(
        `PCA.fit: nComponents = ${k} must be at most min(samples, features) = ${Math.min(samples, features)} for input ${formatShape(x.shape)}`,
      );
    }

    const { mean, covariance } = scope(() => {
      const data = isFloating(x.dtype) ? x : x.float(); // (N, D)
      const mean = data.mean(0); // (D)
      const centered = data.sub(mean); // (N, D)
      const covariance = centered.t().matmul(centered).div(samples - 1); // (D, D)
      return { mean, covariance };
    });
    const { eigenvalues, eigenvectors } = await eigh(covariance); // (D) descending, (D, D) one eigenvector per column
    const learnt = scope(() => {
      // Rounding leaves the zero eigenvalues of a rank-deficient covariance as
      // tiny values of either sign; a variance cannot be negative (scikit-learn clips too).
      const variances = eigenvalues.clamp(0); // (D)
      const explainedVariance = variances.slice(0, 0, k).contiguous(); // (k)
      return {
        components: eigenvectors.slice(1, 0, k).t().contiguous(), // (k, D)
        explainedVariance,
        explainedVarianceRatio: explainedVariance.div(variances.sum()), // (k)
      };
    });
    for (const temporary of [covariance, eigenvalues, eigenvectors]) temporary.dispose();

    this.dispose();
    // Kept, so that a scope() around fit() does not release what the PCA owns.
    this.fitted = {
      mean: keep(mean),
      components: keep(learnt.components),
      explainedVariance: keep(learnt.explainedVariance),
      explainedVarianceRatio: keep(learnt.explainedVarianceRatio),
      samples,
    };
    return this;
  }

  /**
   * {@link fit} on `x`, then {@link transform} of `x`.
   *
   * ```ts
   * const z = await new PCA({ nComponents: 2 }).fitTransform(x); // (N, 2)
   * ```
   */
  async fitTransform(x: Tensor): Promise<Tensor> {
    await this.fit(x);
    return this.transform(x);
  }

  /**
   * Projects `x`, `(N, D)`, onto the components: `(x − mean) · componentsᵀ`, `(N, k)`.
   *
   * ```ts
   * const z = pca.transform(x); // (N, k): z[:, 0] is the coordinate on PC1
   * ```
   */
  transform(x: Tensor): Tensor {
    const { mean, components } = this.state('transform');
    this.checkInput('transform', x, mean.shape[0], 'features');
    return scope(() => x.to(mean.dtype).sub(mean).matmul(components.t()));
  }

  /**
   * Maps coordinates `z`, `(N, k)`, back to the data space: `z · components + mean`,
   * `(N, D)`. With every component kept this undoes {@link transform}.
   *
   * ```ts
   * const reconstruction = pca.inverseTransform(pca.transform(x)); // (N, D)
   * ```
   */
  inverseTransform(z: Tensor): Tensor {
    const { mean, components } = this.state('inverseTransform');
    this.checkInput('inverseTransform', z, this.nComponents, 'components');
    return scope(() => z.to(mean.dtype).matmul(components).add(mean));
  }

  /** The principal axes, `(k, D)`, one unit vector per row, by decreasing explained variance (scikit-learn's `components_`). */
  get components(): Tensor {
    return this.state('components').components;
  }

  /** The variance of the data along each component, `(k)`: the covariance's top eigenvalues (divisor N − 1). */
  get explainedVariance(): Tensor {
    return this.state('explainedVariance').explainedVariance;
  }

  /** {@link explainedVariance} as a fraction of the data's total variance, `(k)`. */
  get explainedVarianceRatio(): Tensor {
    return this.state('explainedVarianceRatio').explainedVarianceRatio;
  }

  /** The per-feature mean of the fitted data, `(D)` (scikit-learn's `mean_`). */
  get mean(): Tensor {
    return this.state('mean').mean;
  }

  /** The number of samples `fit` saw. */
  get nSamples(): number {
    return this.state('nSamples').samples;
  }

  /** The number of features `fit` saw (D). */
  get nFeatures(): number {
    return this.state('nFeatures').mean.shape[0];
  }

  /** Whether {@link fit} has run (and {@link dispose} has not since). */
  get isFitted(): boolean {
    return this.fitted !== null;
  }

  /** Releases the fitted tensors; the PCA must be fitted again before use. Safe to call twice. */
  dispose(): void {
    if (this.fitted === null) return;
    const { mean, components, explainedVariance, explainedVarianceRatio } = this.fitted;
    for (const owned of [mean, components, explainedVariance, explainedVarianceRatio]) owned.dispose();
    this.fitted = null;
  }

  private state(member: string): Fitted {
    if (this.fitted === null) throw new ValueError(`PCA.${member}: this PCA is not fitted; call await pca.fit(x) first`);
    return this.fitted;
  }

  private checkInput(method: string, x: Tensor, columns: number, what: string): void {
    if (x.ndim !== 2 || x.shape[1] !== columns) {
      throw new ShapeError(`PCA.${method}: expects a 2-D (samples, ${what}) tensor with ${columns} ${what}, got ${formatShape(x.shape)}`);
    }
  }
}
