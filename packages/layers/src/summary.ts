import { bytesPerElement, isTensorLike, scope, zeros, type Device, type DType, type Tensor } from '@fathom/core';
import { noGrad } from '@fathom/autograd';
import type { Module } from './module.js';

/** Options of {@link summary}. */
export interface SummaryOptions {
  /** Dtype of the zero input (default: the first parameter's dtype, else float32; pass int32 for a model that starts with an Embedding). */
  readonly dtype?: DType;
  /** Device of the zero input (default: the first parameter's device, else the default device). */
  readonly device?: Device;
}

/** Column alignment for {@link formatTable}. */
export type ColumnAlign = 'left' | 'right';

/**
 * Lays rows out as a plain-text table with a rule under the header (shared by
 * `summary` and `GradientNormRecorder.toTable`). Cells are padded to the
 * widest in their column; `align` defaults to left for every column.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ColumnAlign[] = []): string {
  const widths = header.map((title, j) => Math.max(title.length, ...rows.map((row) => (row[j] ?? '').length)));
  const line = (cells: readonly string[]) =>
    widths.map((width, j) => (align[j] === 'right' ? (cells[j] ?? '').padStart(width) : (cells[j] ?? '').padEnd(width))).join('  ').trimEnd();
  const rule = '-'.repeat(widths.reduce((total, width) => total + width, 2 * (widths.length - 1)));
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** `[1, 6, 28, 28]`, or each tensor of an output object / array (`output [5, 3, 20], h [2, 3, 20]`). */
function describeOutput(value: unknown): string {
  const shape = (t: Tensor) => `[${t.shape.join(', ')}]`;
  if (isTensorLike(value)) return shape(value);
  if (Array.isArray(value)) return value.filter(isTensorLike).map(shape).join(', ') || '--';
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).filter(([, v]) => isTensorLike(v)).map(([k, v]) => `${k} ${shape(v as Tensor)}`).join(', ') || '--';
  }
  return '--';
}

const count = (n: number): string => n.toLocaleString('en-US');

type Forward = (...inputs: unknown[]) => unknown;

/**
 * A model summary like torchinfo's or Keras's: one row per module (its
 * dotted path, indented by depth, and class), the output shape of its first
 * call, and the number of parameters it owns directly (children count on
 * their own rows); then total, trainable and non-trainable parameters and
 * their size. `inputShape` includes the batch dim; pass a list of shapes for
 * a model with several inputs.
 *
 * It runs one forward pass on zeros in eval mode under `noGrad`, with each
 * module's `forward` wrapped to record its output shape; the wrappers and
 * every module's training flag are restored afterwards, even if the forward throws.
 *
 * ```ts
 * console.log(summary(new Sequential(new Flatten(), new Linear(784, 10)), [1, 1, 28, 28]));
 * ```
 */
export function summary(model: Module, inputShape: readonly number[] | readonly (readonly number[])[], options: SummaryOptions = {}): string {
  const shapes: readonly (readonly number[])[] = inputShape.length > 0 && Array.isArray(inputShape[0])
    ? (inputShape as readonly (readonly number[])[])
    : [inputShape as readonly number[]];
  const named = model.namedModules();
  const parameters = model.namedParameters().map(([, p]) => p);
  const outputs = new Map<Module, string>();
  const instances = [...new Set(named.map(([, m]) => m))];
  const training = instances.map((m) => m.training);
  const saved = instances.map((m) => ({ own: Object.prototype.hasOwnProperty.call(m, 'forward'), forward: (m as unknown as { forward: Forward }).forward }));
  try {
    instances.forEach((module, i) => {
      const original = saved[i].forward;
      (module as unknown as { forward: Forward }).forward = (...inputs: unknown[]) => {
        const output = original.apply(module, inputs);
        if (!outputs.has(module)) outputs.set(module, describeOutput(output));
        return output;
      };
    });
    model.eval();
    const dtype = options.dtype ?? parameters[0]?.dtype ?? 'float32';
    const device = options.device ?? parameters[0]?.device;
    noGrad(() => scope(() => {
      (model as unknown as { forward: Forward }).forward(...shapes.map((shape) => zeros(shape, { dtype, device })));
    }));
  } finally {
    instances.forEach((module, i) => {
      if (saved[i].own) (module as unknown as { forward: Forward }).forward = saved[i].forward;
      else delete (module as unknown as { forward?: Forward }).forward;
      module.training = training[i];
    });
  }

  const rows = named.map(([path, module]) => {
    const depth = path === '' ? 0 : path.split('.').length;
    const own = module.parameters(false).reduce((total, p) => total + p.numel, 0);
    const label = path === '' ? module.constructor.name : `${path} (${module.constructor.name})`;
    return ['  '.repeat(depth) + label, outputs.get(module) ?? '--', own > 0 ? count(own) : '--'];
  });
  const total = parameters.reduce((sum, p) => sum + p.numel, 0);
  const trainable = parameters.filter((p) => p.requiresGrad).reduce((sum, p) => sum + p.numel, 0);
  const bytes = parameters.reduce((sum, p) => sum + p.numel * bytesPerElement(p.dtype), 0);
  const table = formatTable(['Layer (type)', 'Output shape', 'Param #'], rows, ['left', 'left', 'right']);
  const width = table.split('\n')[1].length;
  return [
    '='.repeat(width),
    table,
    '='.repeat(width),
    `Input shape: ${shapes.map((shape) => `[${shape.join(', ')}]`).join(', ')}`,
    `Total params: ${count(total)}`,
    `Trainable params: ${count(trainable)}`,
    `Non-trainable params: ${count(total - trainable)}`,
    `Params size: ${(bytes / 2 ** 20).toFixed(2)} MB`,
    '='.repeat(width),
  ].join('\n');
}
