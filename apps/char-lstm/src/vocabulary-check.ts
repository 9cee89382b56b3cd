import type { CharVocabulary } from '@fathom/datasets';
import { UsageError } from '@fathom/train/cli';

function describe(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return code < 0x20 || code === 0x7f ? hex : `'${char}' (${hex})`;
}

/**
 * Throws a {@link UsageError} naming every distinct character of `text`
 * that `vocabulary` lacks (up to ten of them), where `what` says whose text
 * it is: `--prompt`, `--text notes.txt`.
 */
export function checkInVocabulary(text: string, vocabulary: CharVocabulary, what: string): void {
  const unknown = new Set<string>();
  for (const char of text) if (vocabulary.indexOf(char) < 0) unknown.add(char);
  if (unknown.size === 0) return;
  const shown = [...unknown].slice(0, 10).map(describe).join(', ');
  const more = unknown.size > 10 ? ` and ${unknown.size - 10} more` : '';
  throw new UsageError(`${what}: ${unknown.size === 1 ? 'the character' : `${unknown.size} characters`} ${shown}${more} ${unknown.size === 1 ? 'is' : 'are'} not in the model's vocabulary of ${vocabulary.size} characters`);
}
