import { loadMobyDick, loadTextFile } from '@fathom/datasets/node';
import { UsageError } from '@fathom/train/cli';

/** A training text and a line that says what it is. */
export interface CorpusText {
  readonly text: string;
  readonly description: string;
}

/**
 * The text `--text` names (several files are joined in order), or the
 * embedded *Moby Dick* when none is given. A missing or non-UTF-8 file is a
 * `DataError` naming it; an empty one, a {@link UsageError}.
 */
export async function loadCorpusText(files: readonly string[] | undefined): Promise<CorpusText> {
  if (!files || files.length === 0) {
    const text = await loadMobyDick();
    return { text, description: `Moby Dick (embedded, ${count([...text].length)} characters)` };
  }
  const texts: string[] = [];
  for (const file of files) {
    const text = await loadTextFile(file);
    if (text.length === 0) throw new UsageError(`--text ${file}: the file is empty`);
    texts.push(text);
  }
  const text = texts.join('');
  return { text, description: `${files.join(', ')} (${count([...text].length)} characters)` };
}

/** A count with thousands grouped: 1,190,317. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}
