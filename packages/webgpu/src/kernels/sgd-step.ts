import type { BackendBuffer, SgdStepParams } from '@fathom/core/backend';
import { DTypeError } from '@fathom/core';
import { ParamLayout } from '../params.js';
import { mathLibrary } from '../wgsl/math.js';
import { bindingDeclarations, linearEntry, linearGrid, type BindingSpec, type KernelRunner } from './launch.js';

const SGD_PARAMS = new ParamLayout([
  { name: 'total', type: 'u32' },
  { name: 'negLr', type: 'f32' },
  { name: 'momentum', type: 'f32' },
  { name: 'keep', type: 'f32' },
  { name: 'decay', type: 'f32' },
]);

/** Which terms of the update a pipeline computes; the rest are compiled out. */
type SgdShape = Pick<SgdStepParams, 'nesterov' | 'maximize' | 'firstStep'> & { momentum: boolean; decay: boolean; dampened: boolean };

/** WGSL of one SGD update per element, in place, in the order and roundings of Kernels.sgdStep. */
export function sgdStepSource(shape: SgdShape): string {
  const lines = [`var g = ${shape.maximize ? 'negF32(grad[i])' : 'grad[i]'};`];
  if (shape.decay) lines.push('g = g + (p.decay * param[i]);');
  if (shape.momentum) {
    const fresh = shape.dampened ? '(g * p.keep)' : 'g';
    lines.push(shape.firstStep ? 'let b = g;' : `let b = ${fresh} + (p.momentum * velocity[i]);`);
    lines.push('velocity[i] = b;');
    lines.push(shape.nesterov ? 'g = g + (p.momentum * b);' : 'g = b;');
  }
  lines.push('param[i] = param[i] + (p.negLr * g);');
  const bindings: BindingSpec[] = [{ name: 'grad', type: 'f32', access: 'read' }, { name: 'param', type: 'f32', access: 'read_write' }];
  if (shape.momentum) bindings.push({ name: 'velocity', type: 'f32', access: 'read_write' });
  return `${mathLibrary(shape.maximize ? ['negate'] : [])}
${bindingDeclarations(bindings, SGD_PARAMS.wgsl())}
${linearEntry(lines.join('\n  '))}`;
}

/** Kernels.sgdStep on buffers bound whole. */
export function sgdStepKernel(runner: KernelRunner, param: BackendBuffer, grad: BackendBuffer, momentum: BackendBuffer | null, p: SgdStepParams): void {
  if (param.dtype !== 'float32') throw new DTypeError(`webgpu: sgdStep has no ${param.dtype} kernel`);
  if (param.length === 0) return;
  const shape: SgdShape = {
    nesterov: p.nesterov, maximize: p.maximize, firstStep: p.firstStep,
    momentum: momentum !== null, decay: p.weightDecay !== 0, dampened: p.dampening !== 0,
  };
  runner.launch({
    kernel: 'sgdStep',
    key: shape,
    source: () => sgdStepSource(shape),
    reads: [grad],
    writes: momentum === null ? [{ buffer: param, whole: false }] : [{ buffer: param, whole: false }, { buffer: momentum, whole: false }],
    params: SGD_PARAMS.pack({ total: param.length, negLr: -p.lr, momentum: p.momentum, keep: 1 - p.dampening, decay: p.weightDecay }),
    workgroups: linearGrid(param.length, runner),
  });
}
