import { scope, stack, tensor, type Tensor } from '@fathom/core';
import { LabeledTensorDataset, type Dataset } from '@fathom/datasets';
import { PCA } from '@fathom/models';
import type { RunData, Sample } from './data.js';

async function allOf(dataset: Dataset<Sample>): Promise<{ x: Tensor; y: Tensor }> {
  const rows: Tensor[] = [];
  const labels = new Int32Array(dataset.length);
  for (let i = 0; i < dataset.length; i++) {
    const { x, y } = await dataset.get(i);
    rows.push(x);
    labels[i] = y;
  }
  const x = scope(() => stack(rows).flatten(1)); // (N, C·H·W)
  for (const row of rows) row.dispose();
  return { x, y: tensor(labels) };
}

/**
 * The lecture's PCA-then-classify exercise: fits PCA with `k` components on
 * the training images (flattened, normalized) and replaces both datasets by
 * their projections (N, k), so a softmax classifier learns from k numbers
 * per image instead of 784. Returns the variance the components keep.
 */
export async function projectOnPrincipalComponents(data: RunData, k: number): Promise<{ data: RunData; explained: number }> {
  const train = await allOf(data.train);
  const val = await allOf(data.val);
  const pca = await new PCA({ nComponents: k }).fit(train.x);
  const explained = await pca.explainedVarianceRatio.sum().item();
  const projected: RunData = {
    ...data,
    train: await LabeledTensorDataset.fromTensors(pca.transform(train.x), train.y, { classes: data.classes }),
    val: await LabeledTensorDataset.fromTensors(pca.transform(val.x), val.y, { classes: data.classes }),
    channels: 1,
    size: k,
    description: `${data.description}, projected on ${k} principal components (${(100 * explained).toFixed(1)}% of the variance)`,
  };
  return { data: projected, explained };
}
