import { useAutograd } from '@fathom/autograd';
import { chooseDevice, type CliOutput, type DeviceChoice } from '@fathom/train/cli';
import { defaultPrompt, generateText } from './generate-text.js';
import { loadLmCheckpoint } from './lm-checkpoint.js';
import { checkInVocabulary } from './vocabulary-check.js';

/** The flags of `fathom-lm sample`. */
export interface SampleOptions {
  readonly checkpoint: string;
  readonly prompt?: string;
  readonly length: number;
  readonly temperature: number;
  readonly topK?: number;
  readonly topP: number;
  readonly seed: number;
  readonly device: DeviceChoice;
}

/**
 * `fathom-lm sample`: loads a checkpoint and writes `--length` characters
 * after the prompt to stdout as they are drawn. The prompt (default a
 * newline) is echoed first; the same seed gives the same text on every
 * device.
 */
export async function sample(options: SampleOptions, output: CliOutput): Promise<void> {
  const { model, vocabulary } = await loadLmCheckpoint(options.checkpoint);
  const prompt = options.prompt ?? defaultPrompt(vocabulary);
  checkInVocabulary(prompt, vocabulary, '--prompt');
  useAutograd();
  const chosen = await chooseDevice(options.device);
  try {
    model.to(chosen.device);
    if (options.prompt !== undefined) output.stream.write(prompt);
    const chars = generateText(model, vocabulary, {
      prompt, length: options.length, seed: options.seed, device: chosen.device,
      temperature: options.temperature, topK: options.topK, topP: options.topP,
    });
    for await (const char of chars) output.stream.write(char);
    output.stream.write('\n');
  } finally {
    await chosen.release();
  }
}
