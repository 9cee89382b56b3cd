import { noGrad } from '@fathom/autograd';
import { Generator, rand, scopeAsync, tensor, type Device } from '@fathom/core';
import type { CharVocabulary } from '@fathom/datasets';
import { CarriedState, type LanguageModel } from '@fathom/train';
import { drawIndex, nextTokenDistribution, type SamplingOptions } from './next-token.js';

/** What {@link generateText} writes. */
export interface GenerateOptions extends SamplingOptions {
  /** The text to continue; run through the model once (at least one character). */
  readonly prompt: string;
  /** Characters to write after the prompt. */
  readonly length: number;
  /** Seeds the draws: the same seed writes the same text, on every backend. */
  readonly seed: number;
  /** Where the model runs. */
  readonly device: Device;
}

/**
 * Continues `prompt` one character at a time, yielding each as it is drawn:
 * the prompt runs through the model once, then every step feeds the last
 * character with the hidden state carried. The draws come from a generator
 * of its own (seeded by `seed`, on the CPU) and the distribution is
 * computed in float64 on the host, so a seed writes the same text on every
 * backend and sampling in the middle of training leaves its random stream
 * alone. The model is put in evaluation mode and restored.
 *
 * ```ts
 * for await (const char of generateText(model, vocabulary, { prompt: 'The whale', length: 200, seed: 1, device: 'cpu', temperature: 0.8 })) process.stdout.write(char);
 * ```
 */
export async function* generateText(model: LanguageModel, vocabulary: CharVocabulary, options: GenerateOptions): AsyncGenerator<string> {
  const prompt = vocabulary.encode(options.prompt);
  const uniforms = options.length > 0 ? rand([options.length], { generator: new Generator(options.seed), device: 'cpu' }).dataSync() : new Float32Array(0);
  const wasTraining = model.training;
  model.eval();
  const state = new CarriedState(options.device);
  try {
    let input = prompt;
    for (let i = 0; i < options.length; i++) {
      const logits = await scopeAsync(async () => {
        const tokens = tensor(input, { shape: [1, input.length], device: options.device });
        const out = noGrad(() => model.forward(tokens, state.current));
        state.carry(out);
        return out.logits.select(1, input.length - 1).data(); // the scores after the last character: (1, V)
      });
      const next = drawIndex(nextTokenDistribution(logits, options), uniforms[i]);
      input = Int32Array.of(next);
      yield vocabulary.chars[next];
    }
  } finally {
    state.reset();
    model.train(wasTraining);
  }
}

/** What a sample starts from when no prompt is given: a new line, as at the start of a paragraph, or the vocabulary's first character. */
export function defaultPrompt(vocabulary: CharVocabulary): string {
  return vocabulary.indexOf('\n') >= 0 ? '\n' : vocabulary.chars[0];
}

/** All of {@link generateText}'s characters as one string. */
export async function sampleText(model: LanguageModel, vocabulary: CharVocabulary, options: GenerateOptions): Promise<string> {
  let text = '';
  for await (const char of generateText(model, vocabulary, options)) text += char;
  return text;
}
