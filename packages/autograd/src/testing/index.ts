export { runGradientConformance, type GradientConformanceOptions } from './run-gradient-conformance.js';
export { differentiableSamples, gradientSkipReason } from './differentiable-samples.js';
