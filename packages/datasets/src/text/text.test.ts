import { isFathomError, tensor } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { charCorpus } from './char-corpus.js';
import { CharVocabulary } from './char-vocabulary.js';
import { TbpttBatcher } from './tbptt-batcher.js';
import { decodeUtf8, firstInvalidUtf8 } from './utf8.js';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('UTF-8', () => {
  const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

  it('decodes valid text and drops a byte-order mark', () => {
    expect(decodeUtf8(encode('café — 🐋'))).toBe('café — 🐋');
    expect(decodeUtf8(Uint8Array.from([0xef, 0xbb, 0xbf, 0x41]))).toBe('A');
  });

  it('names the file and the first bad byte', () => {
    const latin1 = Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x21]); // "café!" in Latin-1
    const error = thrown(() => decodeUtf8(latin1, 'notes.txt'));
    expect(isFathomError(error, 'DataError')).toBe(true);
    expect(error.message).toBe('notes.txt: is not valid UTF-8: malformed byte sequence at byte 3 (e9 21); re-save the file as UTF-8');
  });

  it('finds overlong forms, surrogates, too-large code points and cut sequences', () => {
    expect(firstInvalidUtf8(encode('aé𝄞'))).toBe(-1);
    expect(firstInvalidUtf8(Uint8Array.from([0x41, 0xc0, 0x80]))).toBe(1); // overlong NUL
    expect(firstInvalidUtf8(Uint8Array.from([0xe0, 0x80, 0x80]))).toBe(0); // overlong 3-byte
    expect(firstInvalidUtf8(Uint8Array.from([0x41, 0xed, 0xa0, 0x80]))).toBe(1); // a surrogate
    expect(firstInvalidUtf8(Uint8Array.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // above U+10FFFF
    expect(firstInvalidUtf8(Uint8Array.from([0x41, 0x42, 0xe2, 0x82]))).toBe(2); // cut short
    expect(firstInvalidUtf8(Uint8Array.from([0x80]))).toBe(0); // a lone continuation byte
  });
});

describe('CharVocabulary', () => {
  it('sorts distinct characters by code point and round-trips text', () => {
    const vocabulary = CharVocabulary.fromText('hello world');
    expect(vocabulary.chars).toEqual([' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(Array.from(vocabulary.encode('hello'))).toEqual([3, 2, 4, 4, 5]);
    expect(vocabulary.decode([3, 2, 4, 4, 5])).toBe('hello');
    expect(vocabulary.decode(tensor(Int32Array.from([7, 5])))).toBe('wo');
  });

  it('treats a character outside the BMP as one character', () => {
    const vocabulary = CharVocabulary.fromText('a🐋b🐋');
    expect(vocabulary.chars).toEqual(['a', 'b', '🐋']);
    expect(Array.from(vocabulary.encode('🐋a'))).toEqual([2, 0]);
    expect(vocabulary.decode([2, 1])).toBe('🐋b');
  });

  it('saves and restores through JSON', () => {
    const vocabulary = CharVocabulary.fromText('the whale 🐋\n');
    const restored = CharVocabulary.fromJSON(JSON.stringify(vocabulary));
    expect(restored.chars).toEqual(vocabulary.chars);
    expect(Array.from(restored.encode('whale'))).toEqual(Array.from(vocabulary.encode('whale')));
    expect(CharVocabulary.fromJSON(vocabulary.toJSON()).size).toBe(vocabulary.size);
  });

  it('names unknown characters and bad indices, and rejects a damaged saved vocabulary', () => {
    const vocabulary = CharVocabulary.fromText('abc');
    const unknown = thrown(() => vocabulary.encode('abd'));
    expect(isFathomError(unknown, 'ValueError')).toBe(true);
    expect(unknown.message).toMatch(/character 'd' \(U\+0064\) at position 2 is not in the vocabulary of 3 characters/);
    expect(isFathomError(thrown(() => vocabulary.decode([0, 3])), 'IndexError')).toBe(true);
    for (const bad of ['{', '{"kind":"CharVocabulary"}', '{"kind":"CharVocabulary","chars":"ba"}', '{"kind":"CharVocabulary","chars":"aa"}', null]) {
      expect(isFathomError(thrown(() => CharVocabulary.fromJSON(bad)), 'DataError')).toBe(true);
    }
  });
});

describe('charCorpus', () => {
  it('splits the encoded text contiguously: training first, validation last', () => {
    const corpus = charCorpus('abcdefghij', { validationFraction: 0.2 });
    expect(corpus.vocabulary.decode(corpus.train)).toBe('abcdefgh');
    expect(corpus.vocabulary.decode(corpus.validation)).toBe('ij');
    const shared = charCorpus('cab', { vocabulary: corpus.vocabulary, validationFraction: 0 });
    expect(Array.from(shared.train)).toEqual([2, 0, 1]);
    expect(() => charCorpus('abc', { validationFraction: 1 })).toThrow(/validationFraction must be in \[0, 1\)/);
  });
});

describe('TbpttBatcher', () => {
  // ids 0 … 22 in 2 streams of 11 (id 22 is dropped): stream 0 is 0 … 10, stream 1 is 11 … 21.
  const ids = Int32Array.from({ length: 23 }, (_, i) => i);

  it('cuts contiguous streams and steps through them, targets one ahead', async () => {
    const batches = new TbpttBatcher(ids, { batchSize: 2, seqLength: 4 });
    expect(batches.streamLength).toBe(11);
    expect(batches.length).toBe(3); // 10 input steps per stream: 4 + 4 + 2
    const all = [...batches];
    expect(await all[0].input.toArray()).toEqual([[0, 1, 2, 3], [11, 12, 13, 14]]);
    expect(await all[0].target.toArray()).toEqual([[1, 2, 3, 4], [12, 13, 14, 15]]);
    expect(await all[1].input.toArray()).toEqual([[4, 5, 6, 7], [15, 16, 17, 18]]);
    expect(await all[2].input.toArray()).toEqual([[8, 9], [19, 20]]);
    expect(await all[2].target.toArray()).toEqual([[9, 10], [20, 21]]);
    expect(all[0].input.dtype).toBe('int32');
  });

  it('drops a short last batch with dropLast and rejects text too short for the streams', () => {
    const batches = new TbpttBatcher(ids, { batchSize: 2, seqLength: 4, dropLast: true });
    expect(batches.length).toBe(2);
    expect(() => new TbpttBatcher(ids, { batchSize: 12, seqLength: 4 })).toThrow(/23 ids make streams of 1 for batchSize 12/);
    expect(() => new TbpttBatcher(ids, { batchSize: 2, seqLength: 11, dropLast: true })).toThrow(/too short for one batch/);
  });
});
