import { BACKEND_API_VERSION, type Backend, type BackendBuffer, type Kernels } from '../backend.js';
import { allocateArray, bytesPerElement, type DType, type TypedArray } from '../dtype.js';
import { DeviceError, DTypeError, ValueError } from '../errors.js';
import { describeMemoryHolders, formatBytes } from '../memory-holders.js';
import type { CpuBuffer } from './cpu-buffer.js';
import { conv2dInputGradKernel, conv2dKernel, conv2dWeightGradKernel, conv2dWithBiasKernel } from './kernels/conv2d.js';
import { binaryKernel, copyKernel, fillKernel, unaryKernel, whereKernel } from './kernels/elementwise.js';
import { gatherKernel, scatterAddKernel } from './kernels/indexing.js';
import { matmulKernel } from './kernels/matmul.js';
import {
  adaptiveAvgPool2dGradKernel, adaptiveAvgPool2dKernel, avgPool2dGradKernel, avgPool2dKernel, maxPool2dGradKernel, maxPool2dKernel,
} from './kernels/pool2d.js';
import { randomFillKernel } from './kernels/random.js';
import { sgdStepKernel } from './kernels/sgd-step.js';
import { batchNormBackwardKernel, batchNormKernel } from './kernels/batch-norm.js';
import { channelAffineKernel } from './kernels/channel-affine.js';
import { logSoftmaxKernel } from './kernels/log-softmax.js';
import { argReduceKernel, reduceKernel } from './kernels/reduce.js';

const KERNELS: Kernels = {
  fill: fillKernel,
  copy: copyKernel,
  unary: unaryKernel,
  binary: binaryKernel,
  where: whereKernel,
  reduce: reduceKernel,
  argReduce: argReduceKernel,
  matmul: matmulKernel,
  conv2d: conv2dKernel,
  conv2dWithBias: conv2dWithBiasKernel,
  conv2dInputGrad: conv2dInputGradKernel,
  conv2dWeightGrad: conv2dWeightGradKernel,
  maxPool2d: maxPool2dKernel,
  maxPool2dGrad: maxPool2dGradKernel,
  avgPool2d: avgPool2dKernel,
  avgPool2dGrad: avgPool2dGradKernel,
  adaptiveAvgPool2d: adaptiveAvgPool2dKernel,
  adaptiveAvgPool2dGrad: adaptiveAvgPool2dGradKernel,
  gather: gatherKernel,
  scatterAdd: scatterAddKernel,
  randomFill: randomFillKernel,
  sgdStep: sgdStepKernel,
  channelAffine: channelAffineKernel,
  batchNorm: batchNormKernel,
  batchNormBackward: batchNormBackwardKernel,
  logSoftmax: logSoftmaxKernel,
};

// Typed arrays are capped at 2³¹−1 elements in V8 for these element sizes.
const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * A typed array, or — where the JavaScript engine refuses the memory (a
 * RangeError that names nothing) — a DeviceError that says how much was asked
 * for and who holds what is already taken.
 */
function allocateHostArray(dtype: DType, length: number): TypedArray {
  try {
    return allocateArray(dtype, length);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new DeviceError(
      `cpu: cannot allocate ${formatBytes(length * bytesPerElement(dtype))} for ${length.toLocaleString('en-US')} ${dtype} elements: ` +
        `the JavaScript engine refused the memory (${error.message}); ${describeMemoryHolders('cpu')}. ` +
        'Release tensors sooner (scope(), dispose()) or use smaller batches.',
    );
  }
}

/**
 * The reference backend: pure TypeScript over typed arrays, in Node and
 * browsers. Every other backend is checked against it. Device name `'cpu'`;
 * always available through `getBackend('cpu')`, so calling this is only
 * needed for a second, separately counted instance.
 */
export function createCpuBackend(): Backend {
  let buffers = 0;
  let bytes = 0;
  return {
    name: 'cpu',
    apiVersion: BACKEND_API_VERSION,
    capabilities: { dtypes: ['float32', 'float64', 'int32', 'bool'], maxBufferElements: MAX_ELEMENTS, syncRead: true },
    kernels: KERNELS,
    allocate(dtype: DType, length: number): BackendBuffer {
      if (!Number.isInteger(length) || length < 0 || length > MAX_ELEMENTS) {
        throw new ValueError(`cpu: cannot allocate ${length} elements of ${dtype}`);
      }
      const buffer: CpuBuffer = { dtype, length, data: allocateHostArray(dtype, length) };
      buffers++;
      bytes += length * bytesPerElement(dtype);
      return buffer;
    },
    upload(buffer: BackendBuffer, values: TypedArray): void {
      const target = (buffer as CpuBuffer).data;
      if (values.length !== target.length) {
        throw new ValueError(`cpu.upload: ${values.length} values for a buffer of ${target.length} ${buffer.dtype} elements`);
      }
      if (buffer.dtype === 'bool') for (let i = 0; i < values.length; i++) target[i] = values[i] !== 0 ? 1 : 0;
      else target.set(values);
    },
    async read(buffer: BackendBuffer): Promise<TypedArray> {
      return (buffer as CpuBuffer).data.slice();
    },
    readSync(buffer: BackendBuffer): TypedArray {
      return (buffer as CpuBuffer).data.slice();
    },
    release(buffer: BackendBuffer): void {
      if (!('data' in buffer)) throw new DTypeError('cpu.release: not a cpu buffer');
      buffers--;
      bytes -= buffer.length * bytesPerElement(buffer.dtype);
    },
    flush(): void {},
    async sync(): Promise<void> {},
    memory: () => ({ buffers, bytes }),
    async destroy(): Promise<void> {},
  };
}
