import type { GradientFormula } from '../formula.js';
import { binaryFormulas } from './binary.js';
import { matmulFormulas } from './matmul.js';
import { nnFormulas } from './nn.js';
import { reduceFormulas } from './reduce.js';
import { shapeFormulas } from './shape.js';
import { unaryFormulas } from './unary.js';

/** Every differentiable primitive of core, by the op name core records. */
export const formulas: ReadonlyMap<string, GradientFormula> = new Map(
  Object.entries({ ...unaryFormulas, ...binaryFormulas, ...reduceFormulas, ...shapeFormulas, ...matmulFormulas, ...nnFormulas }),
);
