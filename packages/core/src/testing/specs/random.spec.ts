import type { DType } from '../../dtype.js';
import { bernoulli, Generator, manualSeed, normal, rand, randint, randn, uniform, type Tensor } from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { normalDraws, uniformDraws, uniformReference } from '../philox-reference.js';
import { randomRef, ref, storable } from '../reference.js';

// Reproducibility is the spec: after manualSeed(s), element i of the k-th draw
// is a pure function of (s, counter), computed here by an independent BigInt
// Philox-4x32-10 (philox-reference.ts) following the recipe in random/philox.ts.
// Beside the exact checks, two statistical ones catch a recipe that is
// reproducible but wrong (draws outside [0, 1), a normal with the wrong spread).

const deviceInput = (): SampleInput => ({ value: ref([1], [0]) });

const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

function drawn(shape: number[], values: readonly number[], dtype: DType = 'float32'): ReferenceTensor {
  return ref(shape, values.map((v) => storable(v, dtype)), dtype);
}

function draw(name: string, create: (device: string) => Tensor | readonly Tensor[], expected: () => ReferenceTensor | readonly ReferenceTensor[]): OpSample {
  return { name, inputs: [deviceInput()], run: ([like]) => create(like.device), reference: () => expected() };
}

function drawError(name: string, create: (device: string) => unknown, kind: OpErrorCase['kind'], message: string): OpErrorCase {
  return { name, inputs: [deviceInput()], run: ([like]) => create(like.device), kind, message };
}

const TRUE = (): ReferenceTensor => ref([], [1], 'bool');
const SEEDS = [0, 42, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER];

// Each Philox block serves four consecutive counters, so draws of these sizes
// start and end at every lane of a block; each must still continue the stream.
const MID_BLOCK_SIZES = [1, 2, 3, 5, 6, 7, 9, 1, 4, 11];
const startsOf = (sizes: readonly number[]): number[] => sizes.map((_, k) => sizes.slice(0, k).reduce((p, n) => p + n, 0));

// ── rand, uniform ─────────────────────────────────────────────────────────

const uniformAt = (seed: number, first: number, shape: number[], low = 0, high = 1, dtype: DType = 'float32'): ReferenceTensor =>
  drawn(shape, uniformDraws(seed, first, sizeOf(shape)).map((u) => low + (high - low) * u), dtype);

const randSpec: OpSpec = {
  name: 'rand',
  tier: 'T1',
  samples: (random) => {
    const seed = Math.floor(random() * 1e9);
    return [
      ...SEEDS.map((s) => draw(`[3,4] after manualSeed(${s})`, (device) => (manualSeed(s), rand([3, 4], { device })), () => uniformAt(s, 0, [3, 4]))),
      draw(`[7] after manualSeed(${seed})`, (device) => (manualSeed(seed), rand([7], { device })), () => uniformAt(seed, 0, [7])),
      draw('0-d', (device) => (manualSeed(3), rand([], { device })), () => uniformAt(3, 0, [])),
      draw('empty [0,5]', (device) => (manualSeed(3), rand([0, 5], { device })), () => uniformAt(3, 0, [0, 5])),
      draw(
        'consecutive draws continue the stream',
        (device) => {
          manualSeed(5);
          return [rand([5], { device }), rand([2, 3], { device })];
        },
        () => [uniformAt(5, 0, [5]), uniformAt(5, 5, [2, 3])],
      ),
      draw(
        'manualSeed restarts the stream',
        (device) => {
          manualSeed(9);
          rand([4], { device });
          manualSeed(9);
          return rand([4], { device });
        },
        () => uniformAt(9, 0, [4]),
      ),
      draw(
        'a Generator draws its own stream and leaves the default one alone',
        (device) => {
          manualSeed(9);
          const generator = new Generator(123);
          const own = rand([6], { device, generator });
          return [own, rand([3], { device }), rand([2], { device, generator })];
        },
        () => [uniformAt(123, 0, [6]), uniformAt(9, 0, [3]), uniformAt(123, 6, [2])],
      ),
      draw('float64', (device) => (manualSeed(8), rand([4], { device, dtype: 'float64' })), () => uniformAt(8, 0, [4], 0, 1, 'float64')),
      draw(
        'draws starting and ending inside a Philox block',
        (device) => (manualSeed(14), MID_BLOCK_SIZES.map((n) => rand([n], { device }))),
        () => startsOf(MID_BLOCK_SIZES).map((first, k) => uniformAt(14, first, [MID_BLOCK_SIZES[k]])),
      ),
      draw(
        '10^4 draws lie in [0, 1)',
        (device) => {
          manualSeed(11);
          const x = rand([10000], { device });
          return x.ge(0).logicalAnd(x.lt(1)).all();
        },
        TRUE,
      ),
    ];
  },
  errors: () => [
    drawError('int32 dtype', (device) => rand([2], { device, dtype: 'int32' }), 'DTypeError', 'int32'),
    drawError('negative size', (device) => rand([-1], { device }), 'ValueError', 'non-negative'),
    drawError('negative seed', () => manualSeed(-1), 'ValueError', 'seed'),
    drawError('fractional seed', () => manualSeed(1.5), 'ValueError', 'seed'),
  ],
};

const uniformSpec: OpSpec = {
  name: 'uniform',
  tier: 'T1',
  samples: () => [
    draw('[3,4] in [-2, 3)', (device) => (manualSeed(21), uniform([3, 4], -2, 3, { device })), () => uniformAt(21, 0, [3, 4], -2, 3)),
    draw('[5] in [10, 10.5)', (device) => (manualSeed(22), uniform([5], 10, 10.5, { device })), () => uniformAt(22, 0, [5], 10, 10.5)),
    draw(
      'after a rand draw',
      (device) => {
        manualSeed(23);
        rand([7], { device });
        return uniform([4], -1, 1, { device });
      },
      () => uniformAt(23, 7, [4], -1, 1),
    ),
  ],
};

// ── randn, normal ─────────────────────────────────────────────────────────

const normalAt = (seed: number, first: number, shape: number[], mean = 0, std = 1, dtype: DType = 'float32'): ReferenceTensor =>
  drawn(shape, normalDraws(seed, first, sizeOf(shape)).map((z) => mean + std * z), dtype);

// Box–Muller takes a log and a cosine or sine: T2.
const randnSpec: OpSpec = {
  name: 'randn',
  tier: 'T2',
  samples: () => [
    ...SEEDS.map((s) => draw(`[3,4] after manualSeed(${s})`, (device) => (manualSeed(s), randn([3, 4], { device })), () => normalAt(s, 0, [3, 4]))),
    draw('0-d', (device) => (manualSeed(4), randn([], { device })), () => normalAt(4, 0, [])),
    draw(
      'consecutive draws continue the stream',
      (device) => {
        manualSeed(6);
        return [randn([3], { device }), rand([2], { device }), randn([4], { device })];
      },
      () => [normalAt(6, 0, [3]), uniformAt(6, 3, [2]), normalAt(6, 5, [4])],
    ),
    draw('float64', (device) => (manualSeed(8), randn([4], { device, dtype: 'float64' })), () => normalAt(8, 0, [4], 0, 1, 'float64')),
    draw(
      'draws starting and ending inside a Philox block',
      (device) => (manualSeed(15), MID_BLOCK_SIZES.map((n) => randn([n], { device }))),
      () => startsOf(MID_BLOCK_SIZES).map((first, k) => normalAt(15, first, [MID_BLOCK_SIZES[k]])),
    ),
    draw('10^4 draws exactly', (device) => (manualSeed(12), randn([10000], { device })), () => normalAt(12, 0, [10000])),
    draw(
      '10^4 draws have mean within 0.03 of 0 and std within 0.03 of 1',
      (device) => {
        manualSeed(13);
        const x = randn([10000], { device });
        return [x.mean().abs().lt(0.03), x.std().sub(1).abs().lt(0.03)];
      },
      () => [TRUE(), TRUE()],
    ),
  ],
};

const normalSpec: OpSpec = {
  name: 'normal',
  tier: 'T2',
  samples: () => [
    draw('[3,4] mean 1.5 std 0.5', (device) => (manualSeed(31), normal([3, 4], 1.5, 0.5, { device })), () => normalAt(31, 0, [3, 4], 1.5, 0.5)),
    draw('[6] mean -10 std 3', (device) => (manualSeed(32), normal([6], -10, 3, { device })), () => normalAt(32, 0, [6], -10, 3)),
    draw('std 0 gives the mean', (device) => (manualSeed(33), normal([4], 2, 0, { device })), () => drawn([4], [2, 2, 2, 2])),
  ],
};

// ── randint ───────────────────────────────────────────────────────────────

const randintAt = (seed: number, first: number, low: number, high: number, shape: number[]): ReferenceTensor =>
  ref(shape, uniformDraws(seed, first, sizeOf(shape)).map((u) => low + Math.floor(u * (high - low))), 'int32');

const randintSpec: OpSpec = {
  name: 'randint',
  tier: 'T1',
  samples: () => [
    draw('[3,4] in [-3, 5)', (device) => (manualSeed(41), randint(-3, 5, [3, 4], { device })), () => randintAt(41, 0, -3, 5, [3, 4])),
    draw('[100] in [0, 2)', (device) => (manualSeed(42), randint(0, 2, [100], { device })), () => randintAt(42, 0, 0, 2, [100])),
    draw('[10] in [0, 1) is all zeros', (device) => (manualSeed(43), randint(0, 1, [10], { device })), () => ref([10], new Array<number>(10).fill(0), 'int32')),
    draw('[8] in [-2^30, 2^30)', (device) => (manualSeed(44), randint(-(2 ** 30), 2 ** 30, [8], { device })), () => randintAt(44, 0, -(2 ** 30), 2 ** 30, [8])),
    draw(
      'after a rand draw',
      (device) => {
        manualSeed(45);
        rand([3], { device });
        return randint(0, 10, [5], { device });
      },
      () => randintAt(45, 3, 0, 10, [5]),
    ),
  ],
  errors: () => [
    drawError('high equal to low', (device) => randint(5, 5, [2], { device }), 'ValueError', 'low < high'),
    drawError('fractional bound', (device) => randint(0, 2.5, [2], { device }), 'ValueError', 'integers'),
  ],
};

// ── bernoulli ─────────────────────────────────────────────────────────────

function bernoulliSample(name: string, p: ReferenceTensor, seed: number, layout: Layout = 'contiguous'): OpSample {
  return {
    name,
    inputs: [{ value: p, layout }],
    run: ([probabilities]) => (manualSeed(seed), bernoulli(probabilities)),
    reference: ([probabilities]) =>
      ref([...probabilities.shape], [...probabilities.data].map((q, i) => (uniformReference(seed, i) < q ? 1 : 0)), probabilities.dtype),
  };
}

const bernoulliSpec: OpSpec = {
  name: 'bernoulli',
  tier: 'T1',
  samples: (random) => [
    bernoulliSample('p in [0, 1) [3,4]', randomRef(random, [3, 4], 'float32', 0, 1), 51),
    bernoulliSample('p = 0 gives all zeros', ref([50], new Array<number>(50).fill(0)), 52),
    bernoulliSample('p = 1 gives all ones', ref([50], new Array<number>(50).fill(1)), 53),
    bernoulliSample('p = 0.5 [200]', ref([200], new Array<number>(200).fill(0.5)), 54),
    bernoulliSample('0-d p', ref([], [0.7]), 55),
    bernoulliSample('transposed p', randomRef(random, [3, 4], 'float32', 0, 1), 56, 'transposed'),
    bernoulliSample('float64 p', randomRef(random, [6], 'float64', 0, 1), 57),
    {
      name: 'from a Generator',
      inputs: [{ value: ref([8], [0.1, 0.3, 0.5, 0.7, 0.9, 0.2, 0.4, 0.6]) }],
      run: ([p]) => bernoulli(p, { generator: new Generator(58) }),
      reference: ([p]) => ref([8], [...p.data].map((q, i) => (uniformReference(58, i) < q ? 1 : 0))),
    },
  ],
  errors: () => [
    {
      name: 'int32 probabilities',
      inputs: [{ value: ref([3], [0, 1, 0], 'int32') }],
      run: ([p]) => bernoulli(p),
      kind: 'DTypeError',
      message: 'float',
    },
  ],
};

/** Random ops: the exact Philox stream after manualSeed, and statistical sanity. */
export const randomSpecs: OpSpec[] = [randSpec, uniformSpec, randnSpec, normalSpec, randintSpec, bernoulliSpec];
