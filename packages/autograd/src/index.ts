export { useAutograd } from './use-autograd.js';
export { noGrad, enableGrad, isGradEnabled } from './grad-mode.js';
export { grad, valueAndGrad } from './functional.js';
export { gradcheck, type GradcheckOptions, type GradcheckMismatch } from './gradcheck.js';
export { detectAnomaly } from './anomaly.js';
export { sumToShape } from './reduce-to-shape.js';
export { formulas } from './gradients/index.js';
export type { GradientFormula, ForwardContext, BackwardContext } from './formula.js';
export { toDot, toSvg, type DotOptions } from './graph-dot.js';
