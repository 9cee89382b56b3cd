import { oneHot, scopeAsync, type Tensor } from '@fathom/core';
import { PCA } from '@fathom/models';

/** What the app reports about a PCA of the digits; plain numbers, no tensors. */
export interface DigitsAnalysis {
  /** Number of images analysed. */
  readonly samples: number;
  /** Pixels per image (784). */
  readonly features: number;
  /** Components kept. */
  readonly components: number;
  /** Explained variance ratio of each kept component, largest first. */
  readonly ratios: readonly number[];
  /** `cumulative[i]`: the ratio explained by the first i + 1 components together. */
  readonly cumulative: readonly number[];
  /** Mean squared error per pixel of the reconstruction from the kept components. */
  readonly reconstructionMse: number;
  /** The same for the mean image alone (no components): the scale the MSE above improves on. */
  readonly meanImageMse: number;
  /** For each digit 0 … 9: how many images, and their mean position on PC1 and PC2 (NaN when there are none). */
  readonly classMeans: readonly { readonly digit: number; readonly count: number; readonly pc1: number; readonly pc2: number }[];
  /** Explained variance ratios of PC1 and PC2 (known even when only one component is kept). */
  readonly planeRatios: readonly [number, number];
  /** Every image's position on PC1/PC2, interleaved: `[pc1₀, pc2₀, pc1₁, pc2₁, …]`. */
  readonly positions: Float32Array | Float64Array;
  /** Every image's digit. */
  readonly labels: Int32Array;
}

/**
 * Fits a PCA with `components` components to the digits and measures it.
 * `images` is `(N, 1, 28, 28)` (or any `(N, …)`), `labels` `(N)` int32 in 0 … 9.
 */
export async function analyzeDigits(images: Tensor, labels: Tensor, components: number): Promise<DigitsAnalysis> {
  return scopeAsync(async () => {
    const x = images.flatten(1); // (N, D)
    const [samples, features] = x.shape;
    // Two components are always computed for the scatter plot, even when fewer are asked for.
    const pca = await new PCA({ nComponents: Math.max(components, 2) }).fit(x);
    const fittedRatios = Array.from(await pca.explainedVarianceRatio.data());
    const ratios = fittedRatios.slice(0, components);
    const cumulative: number[] = [];
    let total = 0;
    for (const ratio of ratios) cumulative.push((total += ratio));

    const z = pca.transform(x); // (N, k)
    const kept = z.slice(1, 0, components); // (N, components)
    const reconstruction = kept.matmul(pca.components.slice(0, 0, components)).add(pca.mean); // (N, D)
    const reconstructionMse = await reconstruction.sub(x).square().mean().item();
    const meanImageMse = await x.var(0, { correction: 0 }).mean().item();

    const plane = z.slice(1, 0, 2).contiguous(); // (N, 2)
    const membership = oneHot(labels, 10).float(); // (N, 10)
    const counts = Array.from(await membership.sum(0).data()); // (10)
    const sums = Array.from(await membership.t().matmul(plane).data()); // (10, 2)
    const classMeans = counts.map((count, digit) => ({ digit, count, pc1: sums[2 * digit] / count, pc2: sums[2 * digit + 1] / count }));

    const result: DigitsAnalysis = {
      samples,
      features,
      components,
      ratios,
      cumulative,
      reconstructionMse,
      meanImageMse,
      classMeans,
      planeRatios: [fittedRatios[0], fittedRatios[1]],
      positions: (await plane.data()) as Float32Array,
      labels: (await labels.data()) as Int32Array,
    };
    pca.dispose();
    return result;
  });
}
