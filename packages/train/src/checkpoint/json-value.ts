// JSON that keeps what plain JSON loses in training state: ±Infinity and NaN
// (a best loss that starts at Infinity, a scheduler's threshold) survive a
// save and load as themselves.

const NUMBER = '$number';

/** Encodes `value` as JSON text, writing non-finite numbers as `{ "$number": "Infinity" }`. */
export function stringifyState(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'number' && !Number.isFinite(item) ? { [NUMBER]: String(item) } : item));
}

/** Decodes {@link stringifyState}'s text. */
export function parseState(text: string): unknown {
  return JSON.parse(text, (_key, item: unknown) => {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const keys = Object.keys(item);
      const raw = (item as Record<string, unknown>)[NUMBER];
      if (keys.length === 1 && (raw === 'Infinity' || raw === '-Infinity' || raw === 'NaN')) return Number(raw);
    }
    return item;
  });
}
