import { isFathomError } from '@fathom/core';
import { CharVocabulary, type CharVocabularyJson } from '@fathom/datasets';
import { CHAR_RNN_CELLS, CharRNN, type CharRNNCell } from '@fathom/models';
import { loadCheckpoint, readCheckpointInfo, type CheckpointInfo } from '@fathom/train';
import { UsageError } from '@fathom/train/cli';

/** The model's shape, as `fathom-lm train` builds it and its checkpoints record it. */
export interface ModelConfig {
  readonly cell: CharRNNCell;
  readonly layers: number;
  readonly hidden: number;
  readonly embedding: number;
  readonly dropout: number;
}

/** What every `fathom-lm` checkpoint holds beside its tensors. */
export interface LmMetadata {
  readonly kind: 'fathom-lm';
  readonly model: ModelConfig;
  readonly vocabulary: CharVocabularyJson;
  /** The window length it was trained with (eval's default). */
  readonly seqLen: number;
  /** Characters in the training text, to tell a resumed run's text from another. */
  readonly textLength: number;
  /** The run's flags, for the record. */
  readonly config: Readonly<Record<string, unknown>>;
}

/** A char-level model of `config` over `vocabulary`. */
export function buildModel(config: ModelConfig, vocabulary: CharVocabulary): CharRNN {
  return new CharRNN({
    vocabSize: vocabulary.size, cell: config.cell, embeddingDim: config.embedding, hiddenSize: config.hidden, numLayers: config.layers, dropout: config.dropout,
  });
}

function isLmMetadata(value: unknown): value is LmMetadata {
  const saved = value as Partial<LmMetadata> | null;
  return typeof saved === 'object' && saved !== null && saved.kind === 'fathom-lm'
    && typeof saved.model === 'object' && saved.model !== null && CHAR_RNN_CELLS.includes(saved.model.cell)
    && typeof saved.vocabulary === 'object' && saved.vocabulary !== null;
}

/** A checkpoint's progress and its `fathom-lm` metadata; anything else is a {@link UsageError} naming `flag`. */
export async function readLmCheckpointInfo(path: string, flag: string): Promise<CheckpointInfo & { readonly metadata: LmMetadata }> {
  let info: CheckpointInfo;
  try {
    info = await readCheckpointInfo(path);
  } catch (error) {
    throw new UsageError(`${flag} ${path}: ${isFathomError(error) ? error.message : (error as Error).message}`);
  }
  if (!isLmMetadata(info.metadata)) throw new UsageError(`${flag} ${path}: not a fathom-lm checkpoint (it records no model config and vocabulary)`);
  return info as CheckpointInfo & { readonly metadata: LmMetadata };
}

/** A trained model and its vocabulary, rebuilt from a `fathom-lm` checkpoint (`last` or `best`). */
export interface LoadedModel {
  readonly model: CharRNN;
  readonly vocabulary: CharVocabulary;
  readonly metadata: LmMetadata;
  readonly step: number;
}

/** Rebuilds the model a checkpoint was saved from and loads its weights. */
export async function loadLmCheckpoint(path: string, flag = '--checkpoint'): Promise<LoadedModel> {
  const { metadata, step } = await readLmCheckpointInfo(path, flag);
  let vocabulary: CharVocabulary;
  try {
    vocabulary = CharVocabulary.fromJSON(metadata.vocabulary);
  } catch (error) {
    throw new UsageError(`${flag} ${path}: ${(error as Error).message}`);
  }
  const model = buildModel(metadata.model, vocabulary);
  await loadCheckpoint(path, { model });
  return { model, vocabulary, metadata, step };
}
