export { runConformance, type ConformanceHarness, type ConformanceOptions } from './run-conformance.js';
export { allSpecs } from './specs/index.js';
export type { ToleranceTier, ReferenceTensor, Layout, SampleInput, OpSample, OpErrorCase, OpSpec } from './op-spec.js';
export { ref, storable, randomRef, seededRandom, coordsOf, flatOf, broadcastShape, broadcastAt, mapBroadcast } from './reference.js';
export { assertClose, toleranceFor, TOLERANCES, type Tolerance, type ActualTensor } from './compare.js';
export { makeInput } from './make-input.js';
export { philoxReference, seedKey, uniformReference, normalReference, uniformDraws, normalDraws, permutationReference } from './philox-reference.js';
export { peakBytesAbove } from './peak-bytes.js';
