import { useAutograd } from '@fathom/autograd';
import { TbpttBatcher } from '@fathom/datasets';
import { loadTextFile } from '@fathom/datasets/node';
import { evaluateLanguageModel } from '@fathom/train';
import { chooseDevice, UsageError, type CliOutput, type DeviceChoice } from '@fathom/train/cli';
import { count } from './corpus-text.js';
import { loadLmCheckpoint } from './lm-checkpoint.js';
import { checkInVocabulary } from './vocabulary-check.js';

/** The flags of `fathom-lm eval`. */
export interface EvalOptions {
  readonly checkpoint: string;
  readonly text: string;
  readonly batchSize: number;
  readonly seqLen?: number;
  readonly device: DeviceChoice;
}

/**
 * `fathom-lm eval`: the bits per character (and loss, perplexity) of a
 * checkpoint on a UTF-8 text file, read as training reads validation: the
 * text cut into `--batch-size` streams, windows of `--seq-len` (default the
 * training one), the hidden state carried along each stream.
 */
export async function evaluateCommand(options: EvalOptions, output: CliOutput): Promise<void> {
  const { model, vocabulary, metadata } = await loadLmCheckpoint(options.checkpoint);
  const text = await loadTextFile(options.text);
  if (text.length === 0) throw new UsageError(`--text ${options.text}: the file is empty`);
  checkInVocabulary(text, vocabulary, `--text ${options.text}`);
  const ids = vocabulary.encode(text);
  if (ids.length < 2) throw new UsageError(`--text ${options.text}: one character is too few to score (each is scored on predicting the next)`);
  const batchSize = Math.min(options.batchSize, Math.floor(ids.length / 2)); // streams of at least 2 characters
  const batches = new TbpttBatcher(ids, { batchSize, seqLength: options.seqLen ?? metadata.seqLen });
  useAutograd();
  const chosen = await chooseDevice(options.device);
  try {
    model.to(chosen.device);
    const result = await evaluateLanguageModel(model, batches, { device: chosen.device });
    output.log(`${options.text}: ${result.bpc.toFixed(3)} bits/char, loss ${result.loss.toFixed(4)} nats, perplexity ${result.perplexity.toFixed(2)} over ${count(result.tokens)} characters (${batchSize} streams)`);
  } finally {
    await chosen.release();
  }
}
