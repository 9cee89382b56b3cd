export { init, type InitOptions } from './init.js';
export { ProcessGroup, type AllReduceOptions, type BroadcastOptions } from './process-group.js';
export type { Communicator, CommunicationBuffer, ReduceOp } from './communicator.js';
export { DistributedError } from './distributed-error.js';
export { readLaunchEnvironment, type LaunchEnvironment } from './launch-environment.js';
export { DistributedDataParallel, type DistributedDataParallelOptions } from './distributed-data-parallel.js';
export { GradientBucket, assignBuckets, DEFAULT_BUCKET_CAP_MB } from './gradient-bucket.js';
export { DistributedSampler, type DistributedSamplerOptions, type ShardableDataset } from './distributed-sampler.js';
export { SyncBatchNorm, syncBatchNorm, type SyncBatchNormOptions, type SyncBatchNormResult } from './sync-batch-norm.js';
