import type { DType } from '../../dtype.js';
import {
  add, div, eq, ge, gt, le, logicalAnd, logicalOr, logicalXor, lt, maximum, minimum, mul, ne, pow, reluBackward, sub, where,
  type Scalar, type Tensor,
} from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput, ToleranceTier } from '../op-spec.js';
import { mapBroadcast, randomRef, ref, storable } from '../reference.js';

// ── Independent float64 references ─────────────────────────────────────────

/** pow with the IEEE 754 / C99 special cases PyTorch inherits: 1^y = 1 and x^0 = 1 for every y and x (NaN included), (−1)^±∞ = 1. */
function powReference(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

const truthy = (x: number): boolean => x !== 0;

type Kind = 'arithmetic' | 'comparison' | 'logical';

interface BinaryCase {
  readonly name: string;
  readonly kind: Kind;
  readonly tier: ToleranceTier;
  readonly run: (a: Tensor, b: Tensor | Scalar) => Tensor;
  readonly f: (a: number, b: number) => number;
  /** Ranges of random float operands. */
  readonly domains: readonly [readonly [number, number], readonly [number, number]];
  /** Range of random int32 operands. */
  readonly intDomains: readonly [readonly [number, number], readonly [number, number]];
  /** Pairs of special float32 operands, in named groups. */
  readonly specials: Readonly<Record<string, readonly (readonly [number, number])[]>>;
}

/**
 * The dtype the op computes in, given the promoted dtype of its operands:
 * true division computes integers in float32; bool arithmetic (other than
 * maximum/minimum) counts in int32.
 */
function computeDType(c: BinaryCase, promoted: DType): DType {
  if (c.name === 'div' && (promoted === 'int32' || promoted === 'bool')) return 'float32';
  if (c.kind === 'arithmetic' && promoted === 'bool' && c.name !== 'maximum' && c.name !== 'minimum') return 'int32';
  return promoted;
}

function resultDType(c: BinaryCase, compute: DType): DType {
  return c.kind === 'arithmetic' ? compute : 'bool';
}

/** Elementwise reference over broadcast operands, each first converted to the compute dtype and the result rounded to the result dtype. */
function binaryReference(c: BinaryCase, a: ReferenceTensor, b: ReferenceTensor, compute: DType): ReferenceTensor {
  const result = resultDType(c, compute);
  return mapBroadcast([a, b], result, (x, y) => storable(c.f(storable(x, compute), storable(y, compute)), result));
}

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

function tensorPair(c: BinaryCase, name: string, a: SampleInput, b: SampleInput, promoted: DType): OpSample {
  const compute = computeDType(c, promoted);
  return {
    name,
    inputs: [a, b],
    run: ([x, y]) => c.run(x, y),
    reference: ([x, y]) => binaryReference(c, x, y, compute),
  };
}

/**
 * `add` or `sub` with `alpha`: a ± alpha·b, alpha and the product rounded to
 * the compute dtype before the sum, as Kernels.binary documents.
 */
function scaledPair(c: BinaryCase, name: string, a: SampleInput, b: SampleInput | Scalar, alpha: number, promoted: DType): OpSample {
  const sign = c.name === 'sub' ? -1 : 1;
  const scaled = (x: ReferenceTensor, y: ReferenceTensor): ReferenceTensor =>
    mapBroadcast([x, y], promoted, (u, v) => storable(u + sign * storable(storable(alpha, promoted) * v, promoted), promoted));
  const run = (x: Tensor, y: Tensor | Scalar): Tensor => (c.name === 'sub' ? sub : add)(x, y, { alpha });
  if (typeof b === 'number' || typeof b === 'boolean') {
    return { name, inputs: [a], run: ([x]) => run(x, b), reference: ([x]) => scaled(x, ref([], [Number(b)], promoted)) };
  }
  return { name, inputs: [a, b], run: ([x, y]) => run(x, y), reference: ([x, y]) => scaled(x, y) };
}

/** `tensor op scalar`, where the scalar takes the weak type `promoted` names. */
function scalarPair(c: BinaryCase, name: string, a: SampleInput, scalar: Scalar, promoted: DType): OpSample {
  const compute = computeDType(c, promoted);
  return {
    name,
    inputs: [a],
    run: ([x]) => c.run(x, scalar),
    reference: ([x]) => binaryReference(c, x, ref([], [Number(scalar)], compute), compute),
  };
}

/** Integer-valued floats, so comparisons meet ties. */
function integerValued(random: () => number, shape: number[], dtype: DType, low: number, high: number): ReferenceTensor {
  return { ...randomRef(random, shape, 'int32', low, high), dtype };
}

function binarySamples(c: BinaryCase, random: () => number): OpSample[] {
  const [[aLow, aHigh], [bLow, bHigh]] = c.domains;
  const [[iaLow, iaHigh], [ibLow, ibHigh]] = c.intDomains;
  const comparison = c.kind !== 'arithmetic';
  // Comparisons and logical ops see integer-valued floats, so ties and zeros occur.
  const left = (shape: number[], dtype: DType = 'float32'): ReferenceTensor =>
    comparison ? integerValued(random, shape, dtype, -2, 3) : randomRef(random, shape, dtype, aLow, aHigh);
  const right = (shape: number[], dtype: DType = 'float32'): ReferenceTensor =>
    comparison ? integerValued(random, shape, dtype, -2, 3) : randomRef(random, shape, dtype, bLow, bHigh);
  const ints = (shape: number[], [low, high]: readonly [number, number]): ReferenceTensor => randomRef(random, shape, 'int32', low, high);

  const samples: OpSample[] = [
    tensorPair(c, 'float32 [3,4] with [3,4]', input(left([3, 4])), input(right([3, 4])), 'float32'),
    tensorPair(c, 'broadcast [3,1] with [4]', input(left([3, 1])), input(right([4])), 'float32'),
    tensorPair(c, 'broadcast [2,1,3] with [4,1]', input(left([2, 1, 3])), input(right([4, 1])), 'float32'),
    tensorPair(c, 'broadcast [] with [5]', input(left([])), input(right([5])), 'float32'),
    tensorPair(c, 'broadcast [5] with []', input(left([5])), input(right([])), 'float32'),
    tensorPair(c, 'broadcast [1] with [1]', input(left([1])), input(right([1])), 'float32'),
    // Rows long enough for a backend's vector loops, with a tail past the last whole block.
    tensorPair(c, 'float32 [5,7] with [5,7]', input(left([5, 7])), input(right([5, 7])), 'float32'),
    tensorPair(c, 'broadcast [37] with []', input(left([37])), input(right([])), 'float32'),
    tensorPair(c, 'broadcast [] with [37]', input(left([])), input(right([37])), 'float32'),
    tensorPair(c, 'empty [0,3] with [3]', input(left([0, 3])), input(right([3])), 'float32'),
    tensorPair(c, 'empty [3,0] with [3,1]', input(left([3, 0])), input(right([3, 1])), 'float32'),
    tensorPair(c, 'transposed [3,4] with strided [3,4]', input(left([3, 4]), 'transposed'), input(right([3, 4]), 'strided'), 'float32'),
    tensorPair(c, 'offset [3,4] with strided [4]', input(left([3, 4]), 'offset'), input(right([4]), 'strided'), 'float32'),
    tensorPair(c, 'transposed [2,3,4] with offset [3,1]', input(left([2, 3, 4]), 'transposed'), input(right([3, 1]), 'offset'), 'float32'),
    tensorPair(c, 'int32 [3,4] with int32 [3,4]', input(ints([3, 4], [iaLow, iaHigh])), input(ints([3, 4], [ibLow, ibHigh])), 'int32'),
    tensorPair(c, 'int32 transposed [3,4] with int32 [4]', input(ints([3, 4], [iaLow, iaHigh]), 'transposed'), input(ints([4], [ibLow, ibHigh])), 'int32'),
    tensorPair(c, 'int32 [3,4] with float32 [3,4] promotes to float32', input(ints([3, 4], [iaLow, iaHigh])), input(right([3, 4])), 'float32'),
    tensorPair(c, 'bool [3,4] with int32 [4]', input(randomRef(random, [3, 4], 'bool')), input(ints([4], [ibLow, ibHigh])), 'int32'),
    tensorPair(c, 'bool [3,4] with bool [3,4]', input(randomRef(random, [3, 4], 'bool')), input(randomRef(random, [3, 4], 'bool')), 'bool'),
    tensorPair(c, 'float32 [3,4] with float64 [4] promotes to float64', input(left([3, 4])), input(right([4], 'float64')), 'float64'),
    tensorPair(c, 'float64 [3,4] with float64 [3,4]', input(left([3, 4], 'float64')), input(right([3, 4], 'float64')), 'float64'),
    // Scalars are "weak": they take the tensor's dtype unless their kind (float vs integer) is higher.
    scalarPair(c, 'float32 with scalar 2 stays float32', input(left([3, 4])), 2, 'float32'),
    scalarPair(c, 'float32 with scalar 2.5 stays float32', input(left([3, 4])), 2.5, 'float32'),
    scalarPair(c, 'int32 with scalar 2 stays int32', input(ints([3, 4], [iaLow, iaHigh])), 2, 'int32'),
    scalarPair(c, 'int32 with scalar 2.5 promotes to float32', input(ints([3, 4], [iaLow, iaHigh])), 2.5, 'float32'),
    scalarPair(c, 'int32 with scalar true stays int32', input(ints([3, 4], [iaLow, iaHigh])), true, 'int32'),
    scalarPair(c, 'float32 with scalar false stays float32', input(left([3, 4])), false, 'float32'),
    scalarPair(c, 'bool with scalar 2 promotes to int32', input(randomRef(random, [3, 4], 'bool')), 2, 'int32'),
    scalarPair(c, 'bool with scalar 1.5 promotes to float32', input(randomRef(random, [3, 4], 'bool')), 1.5, 'float32'),
    scalarPair(c, 'float64 with scalar 0.1 stays float64', input(left([3, 4], 'float64')), 0.1, 'float64'),
    scalarPair(c, '0-d float32 with scalar 3', input(left([])), 3, 'float32'),
  ];
  if (c.name === 'add' || c.name === 'sub') {
    samples.push(
      scaledPair(c, 'float32 [5,7] with [5,7], alpha 2.5', input(left([5, 7])), input(right([5, 7])), 2.5, 'float32'),
      scaledPair(c, 'broadcast [3,4] with [4], alpha -0.75', input(left([3, 4])), input(right([4])), -0.75, 'float32'),
      scaledPair(c, 'transposed [3,4] with strided [3,4], alpha 0.1', input(left([3, 4]), 'transposed'), input(right([3, 4]), 'strided'), 0.1, 'float32'),
      scaledPair(c, 'float32 [37] with scalar 3, alpha -1e-4', input(left([37])), 3, -1e-4, 'float32'),
      scaledPair(c, 'float64 [3,4] with [3,4], alpha 1e-4', input(left([3, 4], 'float64')), input(right([3, 4], 'float64')), 1e-4, 'float64'),
      scaledPair(c, 'int32 [3,4] with float32 [3,4] promotes to float32, alpha 2', input(ints([3, 4], [iaLow, iaHigh])), input(right([3, 4])), 2, 'float32'),
      scaledPair(
        c, 'infinities, NaN and signed zeros, alpha -2',
        input(ref([6], [Infinity, 1, -0, NaN, 5, -Infinity])), input(ref([6], [1, NaN, 0, 1, Infinity, 2])), -2, 'float32',
      ),
      scaledPair(c, 'alpha 0 times infinity is NaN', input(ref([2], [1, 2])), input(ref([2], [Infinity, 3])), 0, 'float32'),
    );
  }
  for (const [group, pairs] of Object.entries(c.specials)) {
    const a = ref([pairs.length], pairs.map(([x]) => Math.fround(x)));
    const b = ref([pairs.length], pairs.map(([, y]) => Math.fround(y)));
    samples.push(tensorPair(c, group, input(a), input(b), 'float32'));
    // The same pairs three times over: a row long enough for vector loops.
    const thrice = [...pairs, ...pairs, ...pairs];
    const a3 = ref([thrice.length], thrice.map(([x]) => Math.fround(x)));
    const b3 = ref([thrice.length], thrice.map(([, y]) => Math.fround(y)));
    samples.push(tensorPair(c, `${group}, three times over`, input(a3), input(b3), 'float32'));
  }
  return samples;
}

function broadcastMismatch(c: BinaryCase): OpErrorCase {
  return {
    name: 'shapes [2,3] and [4]',
    inputs: [input(ref([2, 3], [1, 2, 3, 4, 5, 6])), input(ref([4], [1, 2, 3, 4]))],
    run: ([a, b]) => c.run(a, b),
    kind: 'ShapeError',
    message: 'cannot be broadcast',
  };
}

const INF = Infinity;
const ARITHMETIC_DOMAINS = [[-2, 2], [-2, 2]] as const;
const INT_DOMAINS = [[-5, 6], [-5, 6]] as const;
const COMPARISON_SPECIALS = {
  'NaN, infinities and signed zeros': [[NaN, NaN], [NaN, 1], [1, NaN], [INF, INF], [-INF, INF], [INF, -INF], [-0, 0], [1, 1], [1, 2], [2, 1]],
} as const;
const LOGICAL_SPECIALS = {
  'NaN, infinities and zeros (NaN is true)': [[0, 0], [0, 1], [NaN, 0], [0, NaN], [-0, 1], [INF, 0], [2, -3], [-0, -0]],
} as const;

const CASES: readonly BinaryCase[] = [
  {
    name: 'add', kind: 'arithmetic', tier: 'T1', run: add, f: (a, b) => a + b, domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS,
    specials: { 'infinities, NaN and overflow': [[INF, -INF], [INF, 1], [-INF, -INF], [NaN, 1], [1, NaN], [3e38, 3e38], [-0, 0], [-0, -0], [1e-8, 1]] },
  },
  {
    name: 'sub', kind: 'arithmetic', tier: 'T1', run: sub, f: (a, b) => a - b, domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS,
    specials: { 'infinities, NaN and overflow': [[INF, INF], [INF, -INF], [NaN, 1], [3e38, -3e38], [0, 0], [1, 1e-8]] },
  },
  {
    name: 'mul', kind: 'arithmetic', tier: 'T1', run: mul, f: (a, b) => a * b, domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS,
    specials: { 'infinities, NaN and overflow': [[0, INF], [-2, INF], [-INF, -INF], [1e20, 1e20], [NaN, 0], [-0, 5], [1e-30, 1e-30]] },
  },
  {
    name: 'div', kind: 'arithmetic', tier: 'T1', run: div, f: (a, b) => a / b, domains: [[-2, 2], [0.25, 2]], intDomains: INT_DOMAINS,
    specials: {
      'division by zero and infinities': [[1, 0], [-1, 0], [0, 0], [1, -0], [-1, -0], [INF, INF], [1, INF], [-1, INF], [NaN, 1], [1, NaN], [INF, 0], [3e38, 0.1]],
    },
  },
  {
    name: 'pow', kind: 'arithmetic', tier: 'T2', run: pow, f: powReference, domains: [[0.5, 2], [-2, 2]], intDomains: [[-3, 4], [0, 4]],
    specials: {
      'zeros, negatives and overflow': [
        [0, 0], [NaN, 0], [-2, 0.5], [-2, 3], [-2, -2], [0, -1], [-0, -1], [0, 2], [2, 1000], [2, -1000], [INF, -1], [INF, 2], [-INF, 3], [NaN, 2], [2, NaN], [-8, 1 / 3],
      ],
      'IEEE: 1^y = 1 and (-1)^±inf = 1': [[1, NaN], [1, INF], [1, -INF], [-1, INF], [-1, -INF]],
    },
  },
  {
    name: 'maximum', kind: 'arithmetic', tier: 'T1', run: maximum, f: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
    domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS,
    specials: { 'NaN propagates from either side': [[NaN, 1], [1, NaN], [NaN, NaN], [NaN, -INF], [INF, NaN], [INF, -INF], [-0, 0], [3, 3]] },
  },
  {
    name: 'minimum', kind: 'arithmetic', tier: 'T1', run: minimum, f: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
    domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS,
    specials: { 'NaN propagates from either side': [[NaN, 1], [1, NaN], [NaN, NaN], [NaN, INF], [-INF, NaN], [INF, -INF], [-0, 0], [3, 3]] },
  },
  {
    name: 'reluBackward', kind: 'arithmetic', tier: 'T1', run: reluBackward, f: (a, b) => (b > 0 ? a : 0),
    domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS,
    specials: { 'gradient through positive outputs only; a NaN output passes none': [[NaN, 1], [1, NaN], [NaN, NaN], [2, 0], [2, -0], [-0, 1], [INF, 1], [INF, -1], [-3, INF], [5, 1e-30]] },
  },
  { name: 'eq', kind: 'comparison', tier: 'T1', run: eq, f: (a, b) => Number(a === b), domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS, specials: COMPARISON_SPECIALS },
  { name: 'ne', kind: 'comparison', tier: 'T1', run: ne, f: (a, b) => Number(a !== b), domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS, specials: COMPARISON_SPECIALS },
  { name: 'lt', kind: 'comparison', tier: 'T1', run: lt, f: (a, b) => Number(a < b), domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS, specials: COMPARISON_SPECIALS },
  { name: 'le', kind: 'comparison', tier: 'T1', run: le, f: (a, b) => Number(a <= b), domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS, specials: COMPARISON_SPECIALS },
  { name: 'gt', kind: 'comparison', tier: 'T1', run: gt, f: (a, b) => Number(a > b), domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS, specials: COMPARISON_SPECIALS },
  { name: 'ge', kind: 'comparison', tier: 'T1', run: ge, f: (a, b) => Number(a >= b), domains: ARITHMETIC_DOMAINS, intDomains: INT_DOMAINS, specials: COMPARISON_SPECIALS },
  {
    name: 'logicalAnd', kind: 'logical', tier: 'T1', run: logicalAnd, f: (a, b) => Number(truthy(a) && truthy(b)),
    domains: ARITHMETIC_DOMAINS, intDomains: [[-1, 2], [-1, 2]], specials: LOGICAL_SPECIALS,
  },
  {
    name: 'logicalOr', kind: 'logical', tier: 'T1', run: logicalOr, f: (a, b) => Number(truthy(a) || truthy(b)),
    domains: ARITHMETIC_DOMAINS, intDomains: [[-1, 2], [-1, 2]], specials: LOGICAL_SPECIALS,
  },
  {
    name: 'logicalXor', kind: 'logical', tier: 'T1', run: logicalXor, f: (a, b) => Number(truthy(a) !== truthy(b)),
    domains: ARITHMETIC_DOMAINS, intDomains: [[-1, 2], [-1, 2]], specials: LOGICAL_SPECIALS,
  },
];

function binarySpec(c: BinaryCase): OpSpec {
  return {
    name: c.name,
    tier: c.tier,
    samples: (random) => binarySamples(c, random),
    errors: () => {
      const cases = [broadcastMismatch(c)];
      if (c.name === 'add' || c.name === 'sub') {
        const run = c.name === 'sub' ? sub : add;
        cases.push(
          {
            name: 'int32 operands with alpha 2',
            inputs: [input(ref([3], [1, 2, 3], 'int32')), input(ref([3], [4, 5, 6], 'int32'))],
            run: ([x, y]) => run(x, y, { alpha: 2 }),
            kind: 'DTypeError',
            message: 'floating',
          },
          {
            name: 'alpha NaN',
            inputs: [input(ref([3], [1, 2, 3])), input(ref([3], [4, 5, 6]))],
            run: ([x, y]) => run(x, y, { alpha: NaN }),
            kind: 'ValueError',
            message: 'finite',
          },
        );
      }
      if (c.name === 'pow') {
        cases.push({
          name: 'int32 to a negative integer power',
          inputs: [input(ref([3], [1, 2, 3], 'int32'))],
          run: ([x]) => pow(x, -1),
          kind: 'DTypeError',
          message: 'negative',
        });
      }
      return cases;
    },
  };
}

// ── where ─────────────────────────────────────────────────────────────────

function whereReference(condition: ReferenceTensor, a: ReferenceTensor, b: ReferenceTensor, dtype: DType): ReferenceTensor {
  return mapBroadcast([condition, a, b], dtype, (c, x, y) => storable(c !== 0 ? x : y, dtype));
}

function whereSample(name: string, inputs: readonly SampleInput[], dtype: DType): OpSample {
  return {
    name,
    inputs,
    run: ([condition, a, b]) => where(condition, a, b),
    reference: ([condition, a, b]) => whereReference(condition, a, b, dtype),
  };
}

function whereScalarSample(name: string, inputs: readonly SampleInput[], a: Scalar | null, b: Scalar | null, dtype: DType): OpSample {
  return {
    name,
    inputs,
    run: ([condition, t]) => where(condition, a ?? t, b ?? t),
    reference: ([condition, t]) =>
      whereReference(condition, a === null ? t : ref([], [Number(a)], dtype), b === null ? t : ref([], [Number(b)], dtype), dtype),
  };
}

const whereSpec: OpSpec = {
  name: 'where',
  tier: 'T1',
  samples(random) {
    const mask = (shape: number[]): ReferenceTensor => randomRef(random, shape, 'bool');
    const floats = (shape: number[], dtype: DType = 'float32'): ReferenceTensor => randomRef(random, shape, dtype);
    const nanWhereFalse = ref([4], [1, 0, 1, 0], 'bool');
    return [
      whereSample('float32 [3,4]', [input(mask([3, 4])), input(floats([3, 4])), input(floats([3, 4]))], 'float32'),
      whereSample('broadcast condition [3,1], a [4], b []', [input(mask([3, 1])), input(floats([4])), input(floats([]))], 'float32'),
      whereSample('broadcast condition [2,1,3], a [4,1], b [3]', [input(mask([2, 1, 3])), input(floats([4, 1])), input(floats([3]))], 'float32'),
      whereSample('empty condition [0,3], a [3], b []', [input(mask([0, 3])), input(floats([3])), input(floats([]))], 'float32'),
      whereSample(
        'transposed condition, strided a, offset b',
        [input(mask([3, 4]), 'transposed'), input(floats([3, 4]), 'strided'), input(floats([3, 4]), 'offset')],
        'float32',
      ),
      whereSample('int32 a with float32 b gives float32', [input(mask([3, 4])), input(randomRef(random, [3, 4], 'int32', -5, 5)), input(floats([4]))], 'float32'),
      whereSample('int32 a and b stay int32', [input(mask([3, 4])), input(randomRef(random, [3, 4], 'int32', -5, 5)), input(randomRef(random, [4], 'int32', -5, 5))], 'int32'),
      whereSample('bool a and b stay bool', [input(mask([3, 4])), input(mask([3, 4])), input(mask([3, 4]))], 'bool'),
      whereSample('float64 a with float32 b gives float64', [input(mask([3, 4])), input(floats([3, 4], 'float64')), input(floats([3, 4]))], 'float64'),
      whereSample(
        'NaN and infinity in the branch not taken',
        [input(nanWhereFalse), input(ref([4], [1, NaN, 2, -Infinity])), input(ref([4], [Infinity, 5, NaN, 6]))],
        'float32',
      ),
      // Rows long enough for a backend's vector loops, with a tail past the last whole block.
      whereSample('float32 [5,7]', [input(mask([5, 7])), input(floats([5, 7])), input(floats([5, 7]))], 'float32'),
      whereSample(
        'NaN and infinity in the branch not taken, [20]',
        [
          input(ref([20], Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? 1 : 0)), 'bool')),
          input(ref([20], Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? i : i % 2 ? NaN : -Infinity)))),
          input(ref([20], Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? NaN : -i)))),
        ],
        'float32',
      ),
      whereScalarSample('float32 [37] a, scalar b 0', [input(mask([37])), input(floats([37]))], null, 0, 'float32'),
      whereScalarSample('scalar a 1.5, float32 [37] b', [input(mask([37])), input(floats([37]))], 1.5, null, 'float32'),
      whereScalarSample('float32 a, scalar b 0', [input(mask([3, 4])), input(floats([3, 4]))], null, 0, 'float32'),
      whereScalarSample('scalar a 1.5, float32 b', [input(mask([3, 4])), input(floats([3, 4]))], 1.5, null, 'float32'),
      whereScalarSample('int32 a, scalar b 2.5 gives float32', [input(mask([3, 4])), input(randomRef(random, [3, 4], 'int32', -5, 5))], null, 2.5, 'float32'),
      whereScalarSample('int32 a, scalar b 7 stays int32', [input(mask([3, 4])), input(randomRef(random, [3, 4], 'int32', -5, 5))], null, 7, 'int32'),
      {
        name: 'scalars 1 and 2 give int32',
        inputs: [input(mask([3, 4]))],
        run: ([condition]) => where(condition, 1, 2),
        reference: ([condition]) => whereReference(condition, ref([], [1], 'int32'), ref([], [2], 'int32'), 'int32'),
      },
      {
        name: 'scalars 1 and 2.5 give float32',
        inputs: [input(mask([3, 4]))],
        run: ([condition]) => where(condition, 1, 2.5),
        reference: ([condition]) => whereReference(condition, ref([], [1]), ref([], [2.5]), 'float32'),
      },
    ];
  },
  errors: () => [
    {
      name: 'condition [2,3] with a [4]',
      inputs: [input(ref([2, 3], [1, 0, 1, 0, 1, 0], 'bool')), input(ref([4], [1, 2, 3, 4])), input(ref([], [0]))],
      run: ([condition, a, b]) => where(condition, a, b),
      kind: 'ShapeError',
      message: 'cannot be broadcast',
    },
  ],
};

/** One spec per binary op exported by core, and `where`. */
export const binarySpecs: OpSpec[] = [...CASES.map(binarySpec), whereSpec];
