import type { DType } from '../../dtype.js';
import {
  arange, cast, eye, full, fullLike, Generator, linspace, manualSeed, ones, onesLike, rand, randperm, tensor, zeros, zerosLike,
  type Tensor,
} from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { permutationReference } from '../philox-reference.js';
import { randomRef, ref, storable } from '../reference.js';

// Creation ops take no tensor, but the kit hands `run` only tensors made on the
// backend under test: each sample carries one tiny input whose `.device` says
// where to create. (Samples creating float64 need no marking: on a backend
// without float64 the kit expects them to throw a DeviceError naming float64.)
const deviceInput = (): SampleInput => ({ value: ref([1], [0]) });

function creation(name: string, create: (device: string) => Tensor | readonly Tensor[], expected: () => ReferenceTensor | readonly ReferenceTensor[]): OpSample {
  return {
    name,
    inputs: [deviceInput()],
    run: ([like]) => create(like.device),
    reference: () => expected(),
  };
}

function creationError(name: string, create: (device: string) => unknown, kind: OpErrorCase['kind'], message: string): OpErrorCase {
  return { name, inputs: [deviceInput()], run: ([like]) => create(like.device), kind, message };
}

const filled = (shape: number[], value: number, dtype: DType = 'float32'): ReferenceTensor =>
  ref(shape, new Array<number>(shape.reduce((p, d) => p * d, 1)).fill(storable(value, dtype)), dtype);

function identity(n: number, m: number, dtype: DType = 'float32'): ReferenceTensor {
  const values: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) values.push(i === j ? 1 : 0);
  return ref([n, m], values, dtype);
}

// ── tensor ────────────────────────────────────────────────────────────────

const tensorSpec: OpSpec = {
  name: 'tensor',
  tier: 'T1',
  samples: () => [
    // Numbers give float32 whatever their value: in JavaScript 1 and 1.0 are the same number (core's documented choice).
    creation('nested integers give float32', (device) => tensor([[1, 2, 3], [4, -5, 6]], { device }), () => ref([2, 3], [1, 2, 3, 4, -5, 6])),
    creation('fractions give float32', (device) => tensor([1.5, -2, 3.25], { device }), () => ref([3], [1.5, -2, 3.25])),
    creation('dtype int32 for nested integers', (device) => tensor([[1, 2], [3, -4]], { device, dtype: 'int32' }), () => ref([2, 2], [1, 2, 3, -4], 'int32')),
    creation('booleans infer bool', (device) => tensor([[true, false], [false, true]], { device }), () => ref([2, 2], [1, 0, 0, 1], 'bool')),
    creation('a number gives a 0-d float32', (device) => tensor(7, { device }), () => ref([], [7])),
    creation('a fraction gives a 0-d float32', (device) => tensor(0.1, { device }), () => ref([], [Math.fround(0.1)])),
    creation('a boolean gives a 0-d bool', (device) => tensor(true, { device }), () => ref([], [1], 'bool')),
    creation('[] gives float32 [0]', (device) => tensor([], { device }), () => ref([0], [])),
    creation('[[]] gives float32 [1,0]', (device) => tensor([[]], { device }), () => ref([1, 0], [])),
    creation('nested depth 3', (device) => tensor([[[1], [2]], [[3], [4]]], { device }), () => ref([2, 2, 1], [1, 2, 3, 4])),
    creation('dtype int32 truncates toward zero', (device) => tensor([1.7, -1.7, 2.5], { device, dtype: 'int32' }), () => ref([3], [1, -1, 2], 'int32')),
    creation('dtype bool from numbers', (device) => tensor([0, 2, -1, 0], { device, dtype: 'bool' }), () => ref([4], [0, 1, 1, 0], 'bool')),
    creation('NaN and infinities', (device) => tensor([NaN, Infinity, -Infinity], { device }), () => ref([3], [NaN, Infinity, -Infinity])),
    creation('Float32Array with shape', (device) => tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { device, shape: [2, 3] }), () => ref([2, 3], [1, 2, 3, 4, 5, 6])),
    creation('Int32Array infers int32', (device) => tensor(new Int32Array([3, -1]), { device }), () => ref([2], [3, -1], 'int32')),
    creation('Uint8Array infers bool', (device) => tensor(new Uint8Array([1, 0, 1]), { device }), () => ref([3], [1, 0, 1], 'bool')),
    creation('Float64Array infers float64', (device) => tensor(new Float64Array([0.1, 1e300]), { device }), () => ref([2], [0.1, 1e300], 'float64')),
    creation('shape option reshapes nested data', (device) => tensor([1, 2, 3, 4], { device, shape: [2, 2] }), () => ref([2, 2], [1, 2, 3, 4])),
    creation('dtype float64', (device) => tensor([0.1, 1e300], { device, dtype: 'float64' }), () => ref([2], [0.1, 1e300], 'float64')),
  ],
  errors: () => [
    creationError('ragged rows', (device) => tensor([[1, 2], [3]], { device }), 'ShapeError', 'ragged'),
    creationError('a number beside a row', (device) => tensor([[1, 2], 3], { device }), 'ShapeError', 'ragged'),
    creationError('a row beside a number', (device) => tensor([1, [2, 3]], { device }), 'ShapeError', 'ragged'),
    creationError('values that do not fill the shape', (device) => tensor(new Float32Array(5), { device, shape: [2, 3] }), 'ShapeError', 'do not fill'),
  ],
};

// ── full, zeros, ones ─────────────────────────────────────────────────────

const fullSpec: OpSpec = {
  name: 'full',
  tier: 'T1',
  samples: () => [
    creation('[2,3] of 7.5', (device) => full([2, 3], 7.5, { device }), () => filled([2, 3], 7.5)),
    creation('0-d of -2', (device) => full([], -2, { device }), () => filled([], -2)),
    creation('empty [0,4]', (device) => full([0, 4], 3, { device }), () => filled([0, 4], 3)),
    creation('int32 of -3', (device) => full([4], -3, { device, dtype: 'int32' }), () => filled([4], -3, 'int32')),
    creation('bool of 1', (device) => full([2, 2], 1, { device, dtype: 'bool' }), () => filled([2, 2], 1, 'bool')),
    creation('NaN', (device) => full([3], NaN, { device }), () => filled([3], NaN)),
    creation('-Infinity', (device) => full([3], -Infinity, { device }), () => filled([3], -Infinity)),
    creation('float64 of 0.1', (device) => full([2], 0.1, { device, dtype: 'float64' }), () => filled([2], 0.1, 'float64')),
  ],
  errors: () => [
    creationError('negative size', (device) => full([2, -1], 0, { device }), 'ValueError', 'non-negative'),
    creationError('fractional size', (device) => full([2.5], 0, { device }), 'ValueError', 'non-negative'),
  ],
};

const zerosSpec: OpSpec = {
  name: 'zeros',
  tier: 'T1',
  samples: () => [
    creation('[2,3]', (device) => zeros([2, 3], { device }), () => filled([2, 3], 0)),
    creation('0-d', (device) => zeros([], { device }), () => filled([], 0)),
    creation('empty [3,0]', (device) => zeros([3, 0], { device }), () => filled([3, 0], 0)),
    creation('int32', (device) => zeros([5], { device, dtype: 'int32' }), () => filled([5], 0, 'int32')),
    creation('bool', (device) => zeros([2, 2], { device, dtype: 'bool' }), () => filled([2, 2], 0, 'bool')),
  ],
  errors: () => [creationError('negative size', (device) => zeros([-1], { device }), 'ValueError', 'non-negative')],
};

const onesSpec: OpSpec = {
  name: 'ones',
  tier: 'T1',
  samples: () => [
    creation('[2,3]', (device) => ones([2, 3], { device }), () => filled([2, 3], 1)),
    creation('0-d', (device) => ones([], { device }), () => filled([], 1)),
    creation('empty [0]', (device) => ones([0], { device }), () => filled([0], 1)),
    creation('int32', (device) => ones([2, 1, 3], { device, dtype: 'int32' }), () => filled([2, 1, 3], 1, 'int32')),
    creation('bool', (device) => ones([3], { device, dtype: 'bool' }), () => filled([3], 1, 'bool')),
  ],
};

// ── arange, linspace, eye ─────────────────────────────────────────────────

function progression(start: number, step: number, count: number, dtype: DType): ReferenceTensor {
  return ref([count], Array.from({ length: count }, (_, i) => start + i * step), dtype);
}

const arangeSpec: OpSpec = {
  name: 'arange',
  tier: 'T1',
  samples: () => [
    creation('arange(5) is int32', (device) => arange(5, undefined, 1, { device }), () => progression(0, 1, 5, 'int32')),
    creation('arange(2, 7)', (device) => arange(2, 7, 1, { device }), () => progression(2, 1, 5, 'int32')),
    creation('arange(0, 10, 3)', (device) => arange(0, 10, 3, { device }), () => progression(0, 3, 4, 'int32')),
    creation('negative step arange(5, 0, -1)', (device) => arange(5, 0, -1, { device }), () => progression(5, -1, 5, 'int32')),
    creation('negative step arange(3, -4, -2)', (device) => arange(3, -4, -2, { device }), () => progression(3, -2, 4, 'int32')),
    creation('float step arange(1, 2.5, 0.5) is float32', (device) => arange(1, 2.5, 0.5, { device }), () => progression(1, 0.5, 3, 'float32')),
    creation('float step arange(0, 1, 0.1) has 10 values', (device) => arange(0, 1, 0.1, { device }), () => progression(0, 0.1, 10, 'float32')),
    creation('float bounds arange(-1.5, 1)', (device) => arange(-1.5, 1, 1, { device }), () => progression(-1.5, 1, 3, 'float32')),
    creation('negative float step arange(1, 0, -0.25)', (device) => arange(1, 0, -0.25, { device }), () => progression(1, -0.25, 4, 'float32')),
    creation('arange(0) is empty int32', (device) => arange(0, undefined, 1, { device }), () => ref([0], [], 'int32')),
    creation('arange(3, 3) is empty', (device) => arange(3, 3, 1, { device }), () => ref([0], [], 'int32')),
    creation('dtype float32', (device) => arange(0, 4, 1, { device, dtype: 'float32' }), () => progression(0, 1, 4, 'float32')),
  ],
  errors: () => [
    creationError('step 0', (device) => arange(0, 5, 0, { device }), 'ValueError', 'step'),
    creationError('step away from end', (device) => arange(0, 5, -1, { device }), 'ValueError', 'step'),
    creationError('infinite end', (device) => arange(0, Infinity, 1, { device }), 'ValueError', 'finite'),
  ],
};

const linspaceSpec: OpSpec = {
  name: 'linspace',
  tier: 'T1',
  samples: () => [
    creation('steps 0 is empty', (device) => linspace(0, 1, 0, { device }), () => ref([0], [])),
    creation('steps 1 is the start', (device) => linspace(2, 3, 1, { device }), () => ref([1], [2])),
    creation('steps 5 from -1 to 1', (device) => linspace(-1, 1, 5, { device }), () => ref([5], [-1, -0.5, 0, 0.5, 1])),
    creation('steps 7 from 0.1 to 0.7', (device) => linspace(0.1, 0.7, 7, { device }), () => ref([7], Array.from({ length: 7 }, (_, i) => 0.1 + (i * 0.6) / 6))),
    creation('decreasing 10 to 0 in 4 steps', (device) => linspace(10, 0, 4, { device }), () => ref([4], [10, 20 / 3, 10 / 3, 0])),
    creation('steps 2 are the ends', (device) => linspace(-3, 3, 2, { device }), () => ref([2], [-3, 3])),
    // The last value must be exactly `end` (float32 of 0.7), not 0.1 + 6·0.1 rounded elsewhere.
    creation('last value is exactly end', (device) => linspace(0.1, 0.7, 7, { device }).narrow(0, 6, 1).eq(0.7), () => ref([1], [1], 'bool')),
    creation('int32 truncates', (device) => linspace(0, 10, 5, { device, dtype: 'int32' }), () => ref([5], [0, 2, 5, 7, 10], 'int32')),
  ],
  errors: () => [creationError('negative steps', (device) => linspace(0, 1, -1, { device }), 'ValueError', 'steps')],
};

const eyeSpec: OpSpec = {
  name: 'eye',
  tier: 'T1',
  samples: () => [
    creation('eye(3)', (device) => eye(3, 3, { device }), () => identity(3, 3)),
    creation('eye(2, 4)', (device) => eye(2, 4, { device }), () => identity(2, 4)),
    creation('eye(4, 2)', (device) => eye(4, 2, { device }), () => identity(4, 2)),
    creation('eye(1)', (device) => eye(1, 1, { device }), () => identity(1, 1)),
    creation('eye(0)', (device) => eye(0, 0, { device }), () => identity(0, 0)),
    creation('eye(3, 0)', (device) => eye(3, 0, { device }), () => identity(3, 0)),
    creation('int32', (device) => eye(3, 3, { device, dtype: 'int32' }), () => identity(3, 3, 'int32')),
    creation('bool', (device) => eye(2, 3, { device, dtype: 'bool' }), () => identity(2, 3, 'bool')),
  ],
  errors: () => [creationError('negative size', (device) => eye(-1, 2, { device }), 'ValueError', 'non-negative')],
};

// ── zerosLike, onesLike, fullLike ─────────────────────────────────────────

function likeSample(name: string, x: ReferenceTensor, layout: Layout, create: (x: Tensor) => Tensor, value: number, dtype?: DType): OpSample {
  return {
    name,
    inputs: [{ value: x, layout }],
    run: ([t]) => create(t),
    reference: ([t]) => filled([...t.shape], value, dtype ?? t.dtype),
  };
}

function likeSpec(name: string, create: (x: Tensor, options?: { dtype?: DType }) => Tensor, value: number): OpSpec {
  return {
    name,
    tier: 'T1',
    samples: (random) => [
      likeSample('float32 [2,3]', randomRef(random, [2, 3]), 'contiguous', (x) => create(x), value),
      likeSample('int32 [2,3] stays int32', randomRef(random, [2, 3], 'int32'), 'contiguous', (x) => create(x), value),
      likeSample('bool [4] stays bool', randomRef(random, [4], 'bool'), 'contiguous', (x) => create(x), value),
      likeSample('of a transposed [3,4]', randomRef(random, [3, 4]), 'transposed', (x) => create(x), value),
      likeSample('of an offset 0-d', randomRef(random, []), 'offset', (x) => create(x), value),
      likeSample('of an empty [0,2]', randomRef(random, [0, 2]), 'contiguous', (x) => create(x), value),
      likeSample('dtype int32 of float32', randomRef(random, [2, 2]), 'contiguous', (x) => create(x, { dtype: 'int32' }), value, 'int32'),
      likeSample('float64 [2]', randomRef(random, [2], 'float64'), 'contiguous', (x) => create(x), value),
    ],
  };
}

// ── randperm ──────────────────────────────────────────────────────────────

const permutation = (seed: number, first: number, n: number): ReferenceTensor => ref([n], permutationReference(seed, first, n), 'int32');

const randpermSpec: OpSpec = {
  name: 'randperm',
  tier: 'T1',
  samples: (random) => {
    const seed = Math.floor(random() * 1e9);
    return [
      creation('randperm(10), seed 0', (device) => (manualSeed(0), randperm(10, { device })), () => permutation(0, 0, 10)),
      creation(`randperm(50), seed ${seed}`, (device) => (manualSeed(seed), randperm(50, { device })), () => permutation(seed, 0, 50)),
      creation('randperm(0) is empty', (device) => (manualSeed(1), randperm(0, { device })), () => ref([0], [], 'int32')),
      creation('randperm(1)', (device) => (manualSeed(1), randperm(1, { device })), () => ref([1], [0], 'int32')),
      creation(
        'the same seed gives the same permutation',
        (device) => {
          manualSeed(77);
          const first = randperm(20, { device });
          manualSeed(77);
          return [first, randperm(20, { device })];
        },
        () => [permutation(77, 0, 20), permutation(77, 0, 20)],
      ),
      creation(
        'a second draw continues the stream',
        (device) => {
          manualSeed(5);
          rand([3], { device });
          return [randperm(8, { device }), randperm(8, { device })];
        },
        () => [permutation(5, 3, 8), permutation(5, 11, 8)],
      ),
      creation('from a Generator', (device) => randperm(12, { device, generator: new Generator(2 ** 33 + 1) }), () => permutation(2 ** 33 + 1, 0, 12)),
      creation('dtype float32', (device) => (manualSeed(3), randperm(6, { device, dtype: 'float32' })), () => ({ ...permutation(3, 0, 6), dtype: 'float32' })),
    ];
  },
  errors: () => [creationError('negative n', (device) => randperm(-2, { device }), 'ValueError', 'non-negative')],
};

// ── cast ──────────────────────────────────────────────────────────────────

function castSample(name: string, x: ReferenceTensor, dtype: DType, expected: readonly number[], layout: Layout = 'contiguous'): OpSample {
  return {
    name,
    inputs: [{ value: x, layout }],
    run: ([t]) => cast(t, dtype),
    reference: ([t]) => ref([...t.shape], expected, dtype),
  };
}

const castSpec: OpSpec = {
  name: 'cast',
  tier: 'T1',
  samples: (random) => {
    const grid = randomRef(random, [3, 4], 'float32', -3, 3);
    const truncated = [...grid.data].map(Math.trunc);
    const f32 = (values: number[]): ReferenceTensor => ref([values.length], values.map(Math.fround));
    return [
      castSample('float32 to int32 truncates toward zero', f32([-1.7, -0.5, 0.5, 1.7, 2.9, -2.9, 0, -0, 123456.9]), 'int32', [-1, 0, 0, 1, 2, -2, 0, 0, 123456]),
      castSample('float32 to int32, transposed input', grid, 'int32', truncated, 'transposed'),
      castSample('float32 to bool: nonzero and NaN are true', f32([0, -0, NaN, 0.1, -2, Infinity, -Infinity, 1e-30]), 'bool', [0, 0, 1, 1, 1, 1, 1, 1]),
      castSample('bool to float32', ref([4], [1, 0, 0, 1], 'bool'), 'float32', [1, 0, 0, 1]),
      castSample('bool to int32', ref([3], [0, 1, 1], 'bool'), 'int32', [0, 1, 1]),
      castSample('int32 to float32', ref([4], [-7, 0, 3, 16777216], 'int32'), 'float32', [-7, 0, 3, 16777216]),
      castSample('int32 to bool', ref([4], [-7, 0, 3, 0], 'int32'), 'bool', [1, 0, 1, 0]),
      castSample('float32 to float32 keeps values', grid, 'float32', [...grid.data], 'strided'),
      castSample('float32 to float64', f32([0.1, -2.5, 3e38]), 'float64', [Math.fround(0.1), -2.5, Math.fround(3e38)]),
      castSample('float64 to float32 rounds', ref([3], [0.1, 1 + 2 ** -30, 1e300], 'float64'), 'float32', [Math.fround(0.1), 1, Infinity]),
      castSample('float64 to int32', ref([3], [-2.999, 2.999, 1e6 + 0.5], 'float64'), 'int32', [-2, 2, 1000000]),
      castSample('0-d offset float32 to int32', ref([], [Math.fround(-4.5)]), 'int32', [-4], 'offset'),
      castSample('empty [0,3] to int32', ref([0, 3], []), 'int32', []),
    ];
  },
};

/** Creation ops: tensor, full, zeros, ones, arange, linspace, eye, zerosLike, onesLike, fullLike, randperm, cast. */
export const creationSpecs: OpSpec[] = [
  tensorSpec,
  fullSpec,
  zerosSpec,
  onesSpec,
  arangeSpec,
  linspaceSpec,
  eyeSpec,
  likeSpec('zerosLike', (x, options) => zerosLike(x, options), 0),
  likeSpec('onesLike', (x, options) => onesLike(x, options), 1),
  likeSpec('fullLike', (x, options) => fullLike(x, 3, options), 3),
  randpermSpec,
  castSpec,
];
