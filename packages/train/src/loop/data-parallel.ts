/**
 * What {@link fit} needs from a data-parallel job, written as a shape so that
 * `@fathom/train` depends on no communication library: an app builds it from
 * `@fathom/distributed`'s process group and `DistributedDataParallel`.
 *
 * With it, `fit` averages the gradients after each backward, ends a run
 * interrupted on any rank at the same step on every rank, sums the epoch's
 * training and validation counts over the ranks (each rank evaluates its own
 * shard of the validation set), and lets rank 0 alone write checkpoints.
 */
export interface DataParallel {
  /** This process's rank; rank 0 writes the checkpoints. */
  readonly rank: number;
  /** How many processes train together. */
  readonly worldSize: number;
  /** Averages the parameters' gradients over the ranks (DDP's `synchronizeGradients`). */
  synchronizeGradients(): Promise<void>;
  /** Sums `values` element-wise over the ranks, in place, and returns them. */
  sum(values: Float64Array): Promise<Float64Array>;
}
