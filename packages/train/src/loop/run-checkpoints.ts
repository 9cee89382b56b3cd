import { join } from 'node:path';
import { copyFileAtomic } from '@fathom/io/node';
import { saveCheckpoint, type CheckpointProgress, type TrainingObjects } from '../checkpoint/checkpoint.js';

/** The `last` and `best` checkpoints of a run folder, as both training loops keep them. */
export class RunCheckpoints {
  readonly last: string;
  readonly best: string;

  constructor(dir: string, private readonly objects: TrainingObjects) {
    this.last = join(dir, 'last.safetensors');
    this.best = join(dir, 'best.safetensors');
  }

  /** Saves `last` atomically and, when this is the best so far, copies the same bytes to `best` (examples/imagenet's shutil.copyfile). */
  async save(progress: CheckpointProgress, isBest = false): Promise<void> {
    await saveCheckpoint(this.last, this.objects, progress);
    if (isBest) await copyFileAtomic(this.last, this.best);
  }

  /** The paths written: `best` only once a best was saved. */
  written(hasBest: boolean): { readonly last: string; readonly best?: string } {
    return hasBest ? { last: this.last, best: this.best } : { last: this.last };
  }
}
