/** What one progress line shows; fields left undefined are left out of it. */
export interface ProgressFields {
  /** The epoch, from 1 (left out, with `epochs`, for a run counted in steps only). */
  readonly epoch?: number;
  /** The run's number of epochs. */
  readonly epochs?: number;
  /** Steps done in this epoch. */
  readonly step: number;
  /** Steps in an epoch. */
  readonly stepsPerEpoch: number;
  /** The loss to show (the loop's running mean, say). */
  readonly loss?: number;
  /** The accuracy to show, a fraction in [0, 1]. */
  readonly accuracy?: number;
  /** Samples per second. */
  readonly rate?: number;
  /** What a sample is, for the rate: `'images'`, `'chars'`. */
  readonly unit: string;
  /** Seconds left in this epoch. */
  readonly eta?: number;
}

/**
 * The plain progress line, fields two spaces apart:
 * `epoch 1/3  step 120/469  loss 0.412  acc 88.1%  1,830 images/s  ETA 0:42`.
 *
 * ```ts
 * formatProgressLine({ epoch: 1, epochs: 3, step: 120, stepsPerEpoch: 469, loss: 0.4123, unit: 'images' });
 * // 'epoch 1/3  step 120/469  loss 0.412'
 * ```
 */
export function formatProgressLine(fields: ProgressFields): string {
  const epoch = fields.epoch === undefined ? [] : [`epoch ${fields.epoch}/${fields.epochs}`];
  return [...epoch, `step ${fields.step}/${fields.stepsPerEpoch}`, ...formatMeasures(fields)].join('  ');
}

/** The measured part of a progress line: loss, accuracy, rate and ETA, those that are known. */
export function formatMeasures(fields: Pick<ProgressFields, 'loss' | 'accuracy' | 'rate' | 'unit' | 'eta'>): string[] {
  const parts: string[] = [];
  if (fields.loss !== undefined) parts.push(`loss ${formatLoss(fields.loss)}`);
  if (fields.accuracy !== undefined) parts.push(`acc ${formatPercent(fields.accuracy)}`);
  if (fields.rate !== undefined && Number.isFinite(fields.rate)) parts.push(`${formatRate(fields.rate)} ${fields.unit}/s`);
  if (fields.eta !== undefined && Number.isFinite(fields.eta)) parts.push(`ETA ${formatDuration(fields.eta)}`);
  return parts;
}

/** A loss with three decimals (`0.412`), or as JavaScript prints a non-finite one (`NaN`). */
export function formatLoss(loss: number): string {
  return Number.isFinite(loss) ? loss.toFixed(3) : String(loss);
}

/** A fraction as a percentage with one decimal: `0.8812` → `88.1%`. */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : String(fraction);
}

/** A rate rounded to a whole number with thousands grouped (`1,830`); below 10, one decimal (`2.5`). */
export function formatRate(rate: number): string {
  return rate < 10 ? rate.toFixed(1) : Math.round(rate).toLocaleString('en-US');
}

/** Seconds as `m:ss`, or `h:mm:ss` from an hour: `42` → `0:42`, `3723` → `1:02:03`. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}
