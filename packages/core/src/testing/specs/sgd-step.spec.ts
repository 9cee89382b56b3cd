import type { DType } from '../../dtype.js';
import { sgdStep_, type SgdStepOptions } from '../../index.js';
import type { Tensor } from '../../tensor.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { randomRef } from '../reference.js';

// ── Independent float64 reference ──────────────────────────────────────────

/**
 * PyTorch's `torch.optim.SGD` update of one tensor over consecutive
 * gradients, written from its documented rule in float64: the parameter and
 * the momentum buffer after the last step.
 */
function sgdReference(param: ReferenceTensor, grads: readonly ReferenceTensor[], o: SgdStepOptions): ReferenceTensor[] {
  const theta = Float64Array.from(param.data);
  const velocity = new Float64Array(theta.length);
  grads.forEach((grad, step) => {
    for (let i = 0; i < theta.length; i++) {
      let g = o.maximize ? -grad.data[i] : grad.data[i];
      g += o.weightDecay * theta[i];
      if (o.momentum !== 0) {
        velocity[i] = step === 0 ? g : o.momentum * velocity[i] + (1 - o.dampening) * g;
        g = o.nesterov ? g + o.momentum * velocity[i] : velocity[i];
      }
      theta[i] -= o.lr * g;
    }
  });
  const result = { shape: param.shape, data: theta, dtype: param.dtype };
  return o.momentum === 0 ? [result] : [result, { shape: param.shape, data: velocity, dtype: param.dtype }];
}

// ── Samples ────────────────────────────────────────────────────────────────

const PLAIN: SgdStepOptions = { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };
const MOMENTUM: SgdStepOptions = { ...PLAIN, momentum: 0.9, weightDecay: 1e-4 };
const DAMPENED: SgdStepOptions = { lr: 0.03, momentum: 0.9, dampening: 0.1, weightDecay: 0.01, nesterov: false, maximize: true };
const NESTEROV: SgdStepOptions = { lr: 0.05, momentum: 0.8, dampening: 0, weightDecay: 0.01, nesterov: true, maximize: false };

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

// Steps a copy of the parameter (a whole buffer, as parameters are) with each gradient in turn.
function stepAll([param, ...grads]: readonly Tensor[], options: SgdStepOptions): Tensor[] {
  const theta = param.clone();
  let buffer: Tensor | undefined;
  for (const grad of grads) buffer = sgdStep_(theta, grad, buffer, options);
  return buffer === undefined ? [theta] : [theta, buffer];
}

function samples(random: () => number): OpSample[] {
  const case_ = (label: string, options: SgdStepOptions, shape: number[], steps: number, layout: Layout = 'contiguous', dtype: DType = 'float32'): OpSample => ({
    name: `${label}, [${shape.join(',')}], ${steps} steps, ${layout} gradients${dtype === 'float32' ? '' : ` ${dtype}`}`,
    inputs: [input(randomRef(random, shape, dtype)), ...Array.from({ length: steps }, () => input(randomRef(random, shape, dtype, -1, 1), layout))],
    run: (inputs) => stepAll(inputs, options),
    reference: ([param, ...grads]) => sgdReference(param, grads, options),
  });
  return [
    case_('plain', PLAIN, [37, 5], 2),
    case_('momentum and weight decay', MOMENTUM, [37, 5], 3),
    case_('momentum and weight decay', MOMENTUM, [1], 3),
    case_('dampened, maximizing', DAMPENED, [4, 3, 3, 3], 3),
    case_('nesterov', NESTEROV, [6, 7], 3),
    // Gradients that are views, not whole buffers: the separate ops' path on every device.
    case_('momentum and weight decay', MOMENTUM, [6, 7], 3, 'transposed'),
    case_('nesterov', NESTEROV, [5, 8], 2, 'strided'),
    // Split over the threads on a threaded device (wasm gives a task 16,384 elements or more).
    case_('momentum and weight decay', MOMENTUM, [260, 256], 2),
    case_('nesterov', NESTEROV, [3, 4], 3, 'contiguous', 'float64'),
  ];
}

function errors(random: () => number): OpErrorCase[] {
  return [
    {
      name: 'gradient of another shape',
      inputs: [input(randomRef(random, [3, 4])), input(randomRef(random, [4, 3]))],
      run: ([param, grad]) => sgdStep_(param, grad, undefined, MOMENTUM),
      kind: 'ShapeError',
      message: 'grad [4,3] does not match param [3,4]',
    },
    {
      name: 'int32 gradient',
      inputs: [input(randomRef(random, [3])), input(randomRef(random, [3], 'int32', -3, 3))],
      run: ([param, grad]) => sgdStep_(param, grad, undefined, PLAIN),
      kind: 'DTypeError',
      message: 'grad is int32',
    },
  ];
}

export const sgdStepSpecs: OpSpec[] = [{ name: 'sgdStep_', tier: 'T1', samples, errors }];
