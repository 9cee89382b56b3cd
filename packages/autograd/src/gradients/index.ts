import type { FormulaTable, RecordedFormula } from '../formula.js';
import { binaryFormulas } from './binary.js';
import { matmulFormulas } from './matmul.js';
import { nnFormulas } from './nn.js';
import { reduceFormulas } from './reduce.js';
import { shapeFormulas } from './shape.js';
import { unaryFormulas } from './unary.js';

/**
 * The gradient formula of every op core records, typed against core's
 * `RecordedOps`: an op recorded there without an entry here is a compile error.
 */
export const formulaTable: FormulaTable = {
  ...unaryFormulas, ...binaryFormulas, ...reduceFormulas, ...shapeFormulas, ...matmulFormulas, ...nnFormulas,
};

/** Every differentiable primitive of core, by the op name core records (the non-null entries of {@link formulaTable}). */
export const formulas: ReadonlyMap<string, RecordedFormula> = new Map(
  Object.entries(formulaTable as Readonly<Record<string, RecordedFormula | null>>).filter((entry): entry is [string, RecordedFormula] => entry[1] !== null),
);
