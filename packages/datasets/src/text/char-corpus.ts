import { ValueError } from '@fathom/core';
import { CharVocabulary } from './char-vocabulary.js';

/** A text encoded for a char-level model, split in two. */
export interface CharCorpus {
  readonly vocabulary: CharVocabulary;
  /** The character indices of the first part of the text. */
  readonly train: Int32Array;
  /** The character indices of the rest. */
  readonly validation: Int32Array;
}

/** Options of {@link charCorpus}. */
export interface CharCorpusOptions {
  /** The fraction of the text, at its end, kept for validation (default 0.1). */
  readonly validationFraction?: number;
  /** Encode with this vocabulary (one saved with a model) instead of the text's own. */
  readonly vocabulary?: CharVocabulary;
}

/**
 * Encodes a text for a char-level language model and splits it: the first
 * `1 − validationFraction` of the characters for training, the rest for
 * validation. The split is contiguous, not shuffled — neighbouring windows of
 * a text overlap, so a random split would leak training text into validation.
 *
 * ```ts
 * const { vocabulary, train, validation } = charCorpus(text, { validationFraction: 0.1 });
 * ```
 */
export function charCorpus(text: string, options: CharCorpusOptions = {}): CharCorpus {
  const fraction = options.validationFraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) throw new ValueError(`charCorpus: validationFraction must be in [0, 1), got ${fraction}`);
  const vocabulary = options.vocabulary ?? CharVocabulary.fromText(text);
  const ids = vocabulary.encode(text);
  const trainLength = ids.length - Math.floor(ids.length * fraction);
  return { vocabulary, train: ids.subarray(0, trainLength), validation: ids.subarray(trainLength) };
}
