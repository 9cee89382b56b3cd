import { DataError, IndexError, ValueError, isTensorLike, type Tensor } from '@fathom/core';

/** The saved form of a {@link CharVocabulary} (what `JSON.stringify` writes). */
export interface CharVocabularyJson {
  readonly kind: 'CharVocabulary';
  /** The characters in index order, joined into one string. */
  readonly chars: string;
}

function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const shown = code < 0x20 || code === 0x7f ? '' : `'${char}' `;
  return `${shown}(U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
}

/**
 * The characters of a char-level language model and their indices: every
 * distinct character (Unicode code point) of a text, sorted by code point, as
 * in Karpathy's char-rnn. Save it with the model (`toJSON` / `fromJSON`) so
 * sampling decodes with the same indices it was trained with.
 *
 * ```ts
 * const vocabulary = CharVocabulary.fromText('hello');
 * vocabulary.chars;                    // ['e', 'h', 'l', 'o']
 * vocabulary.encode('hello');          // Int32Array [1, 0, 2, 2, 3]
 * vocabulary.decode([1, 0, 2, 2, 3]);  // 'hello'
 * ```
 */
export class CharVocabulary {
  /** The characters, index by index. */
  readonly chars: readonly string[];
  // Code units below 0x10000 are looked up in a table; the rest (emoji, rare scripts) in a map.
  private readonly basic = new Int32Array(0x10000).fill(-1);
  private readonly astral = new Map<number, number>();

  /** A vocabulary of `chars` (each one code point), sorted and with repeats removed. */
  constructor(chars: Iterable<string>) {
    const unique = new Set<string>();
    for (const char of chars) {
      if (typeof char !== 'string' || [...char].length !== 1) {
        throw new ValueError(`CharVocabulary: each entry must be one character (code point), got ${JSON.stringify(char)}`);
      }
      unique.add(char);
    }
    this.chars = Object.freeze([...unique].sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number)));
    this.chars.forEach((char, index) => {
      const code = char.codePointAt(0) as number;
      if (code < 0x10000) this.basic[code] = index;
      else this.astral.set(code, index);
    });
  }

  /** The vocabulary of every character in `text`. */
  static fromText(text: string): CharVocabulary {
    return new CharVocabulary(new Set(text));
  }

  /** Rebuilds a vocabulary saved with {@link toJSON}; throws {@link DataError} when `json` is not one. */
  static fromJSON(json: unknown): CharVocabulary {
    const value = typeof json === 'string' ? (() => {
      try {
        return JSON.parse(json) as unknown;
      } catch (error) {
        throw new DataError(`CharVocabulary.fromJSON: not valid JSON: ${(error as Error).message}`);
      }
    })() : json;
    const saved = value as Partial<CharVocabularyJson> | null;
    if (typeof saved !== 'object' || saved === null || saved.kind !== 'CharVocabulary' || typeof saved.chars !== 'string') {
      throw new DataError('CharVocabulary.fromJSON: expected { "kind": "CharVocabulary", "chars": "…" }');
    }
    const chars = [...saved.chars];
    const vocabulary = new CharVocabulary(chars);
    // A saved vocabulary is already sorted and unique; anything else means the indices would move.
    if (vocabulary.chars.length !== chars.length || vocabulary.chars.some((char, i) => char !== chars[i])) {
      throw new DataError('CharVocabulary.fromJSON: "chars" must be distinct characters sorted by code point, as toJSON writes them');
    }
    return vocabulary;
  }

  /** How many characters there are (the model's input and output size). */
  get size(): number {
    return this.chars.length;
  }

  /** The index of `char`, or −1 when it is not in the vocabulary. */
  indexOf(char: string): number {
    const code = char.codePointAt(0);
    if (code === undefined || [...char].length !== 1) return -1;
    return code < 0x10000 ? this.basic[code] : this.astral.get(code) ?? -1;
  }

  /** The indices of the characters of `text`; throws {@link ValueError} naming the first character not in the vocabulary. */
  encode(text: string): Int32Array {
    const out = new Int32Array(text.length); // at most one index per UTF-16 unit
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      let index: number;
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
        code = text.codePointAt(i) as number;
        index = code >= 0x10000 ? this.astral.get(code) ?? -1 : this.basic[code];
        if (code >= 0x10000) i++;
      } else {
        index = this.basic[code];
      }
      if (index < 0) {
        throw new ValueError(`CharVocabulary.encode: character ${describeChar(String.fromCodePoint(code))} at position ${count} is not in the vocabulary of ${this.size} characters`);
      }
      out[count++] = index;
    }
    return out.slice(0, count);
  }

  /** The text of a list of indices (or of an int32 tensor, read synchronously); throws {@link IndexError} for an index out of range. */
  decode(indices: ArrayLike<number> | Tensor): string {
    const values = isTensorLike(indices) ? indices.dataSync() : indices;
    let text = '';
    for (let i = 0; i < values.length; i++) {
      const index = values[i];
      if (!Number.isInteger(index) || index < 0 || index >= this.size) {
        throw new IndexError(`CharVocabulary.decode: index ${index} at position ${i} is out of range for ${this.size} characters`);
      }
      text += this.chars[index];
    }
    return text;
  }

  /** The saved form: `{ kind: 'CharVocabulary', chars: '…' }`. */
  toJSON(): CharVocabularyJson {
    return { kind: 'CharVocabulary', chars: this.chars.join('') };
  }
}
