import { noGrad } from '@fathom/autograd';
import { keep, scope, type Device, type Tensor } from '@fathom/core';
import { crossEntropy } from '@fathom/layers';
import { CarriedState } from './carried-state.js';
import type { LanguageModel, SequenceBatches } from './language-model.js';

/** How well a language model predicts a text. */
export interface LanguageModelEvaluation {
  /** Mean cross-entropy per token, in nats. */
  readonly loss: number;
  /** The same in bits per token (per character for a char model): `loss / ln 2`. */
  readonly bpc: number;
  /** `exp(loss)`: the number of equally likely choices the model is as unsure as. */
  readonly perplexity: number;
  /** Tokens scored. */
  readonly tokens: number;
}

/** Loss in nats per token as {@link LanguageModelEvaluation} reports it. */
export function languageModelScores(loss: number, tokens: number): LanguageModelEvaluation {
  return { loss, bpc: loss / Math.LN2, perplexity: Math.exp(loss), tokens };
}

/** The mean cross-entropy of logits (N, T, V) against targets (N, T). */
export function sequenceLoss(logits: Tensor, target: Tensor): Tensor {
  const [n, t, v] = logits.shape;
  return crossEntropy(logits.reshape(n * t, v), target.reshape(n * t));
}

/**
 * Scores a recurrent language model on every window of `batches` in
 * evaluation mode (no dropout, no gradients), the hidden state carried from
 * window to window as in training: mean loss in nats, bits per character
 * and perplexity. Restores training mode afterwards if the model was in it.
 *
 * ```ts
 * const val = new TbpttBatcher(corpus.validation, { batchSize: 32, seqLength: 64 });
 * const { bpc, perplexity } = await evaluateLanguageModel(model, val, { device: 'wasm' });
 * ```
 */
export async function evaluateLanguageModel(model: LanguageModel, batches: SequenceBatches, options: { readonly device: Device }): Promise<LanguageModelEvaluation> {
  const wasTraining = model.training;
  model.eval();
  const state = new CarriedState(options.device);
  // The loss summed on the device and read once at the end: no transfer (or GPU stall) per window.
  let total: Tensor | undefined;
  let tokens = 0;
  try {
    for (let i = 0; i < batches.length; i++) {
      scope(() => {
        const { input, target } = batches.get(i);
        const out = noGrad(() => model.forward(input.to(options.device), state.current));
        state.carry(out);
        const windowLoss = noGrad(() => sequenceLoss(out.logits, target.to(options.device)).mul(target.numel));
        const previous = total;
        total = keep(previous ? previous.add(windowLoss) : windowLoss);
        previous?.dispose();
        tokens += target.numel;
      });
    }
    const lossSum = total ? (await total.data())[0] : NaN;
    return languageModelScores(tokens > 0 ? lossSum / tokens : NaN, tokens);
  } finally {
    total?.dispose();
    state.reset();
    model.train(wasTraining);
  }
}
