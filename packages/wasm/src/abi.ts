import type { DType } from '@fathom/core';
import type { ArgReduceOp, BinaryOp, ReduceOp, UnaryOp } from '@fathom/core/backend';
import type { KernelName } from './wasm-exports.js';

// The boundary between TypeScript and the C kernels, declared once. The
// KernelRunner writes each kernel's argument block from KERNEL_ARGUMENTS, and
// scripts/build-wasm.mjs writes csrc/abi.h from the same tables with
// abiHeader(): the C side reads its arguments through the structs and readers
// generated there, and its op and dtype codes are the enums generated there,
// so neither side can drift from the other. Only type imports here: the build
// script loads this file before the package is compiled.
//
// An argument block is two streams the C side reads in order: int32 words
// (numbers, codes, byte addresses, views) and doubles (floats).

/** The dims a view may have (MAX_DIMS in csrc/abi.h). */
export const MAX_DIMS = 32;

/** A set of named codes shared with C: `prefix + NAME` (or `names[key]`) there. */
export interface AbiEnum<K extends string> {
  readonly doc: string;
  readonly prefix: string;
  readonly codes: Readonly<Record<K, number>>;
  /** C names that are not the key in UPPER_SNAKE_CASE (after the prefix). */
  readonly names?: Readonly<Partial<Record<K, string>>>;
}

/** The dtypes this backend stores; float64 is left to the CPU backend. */
export const WASM_DTYPES = ['float32', 'int32', 'bool'] as const satisfies readonly DType[];

export type WasmDType = (typeof WASM_DTYPES)[number];

/** Byte size of an element of each dtype the backend stores. */
export const DTYPE_BYTES: Readonly<Record<WasmDType, number>> = { float32: 4, int32: 4, bool: 1 };

// Records over core's unions: a new op makes this file fail to type-check.
export const ABI_ENUMS = {
  dtype: {
    doc: 'dtype codes',
    prefix: 'DT_',
    codes: { float32: 0, int32: 1, bool: 2 },
    names: { float32: 'F32', int32: 'I32', bool: 'BOOL' },
  } satisfies AbiEnum<WasmDType>,
  status: {
    doc: 'what a kernel returns; JavaScript turns an error code into a typed error',
    prefix: '',
    codes: { ok: 0, dtype: 1, op: 2, rank: 3 },
    names: { ok: 'OK', dtype: 'ERR_DTYPE', op: 'ERR_OP', rank: 'ERR_RANK' },
  } satisfies AbiEnum<'ok' | 'dtype' | 'op' | 'rank'>,
  unary: {
    doc: "unary op codes (core's UnaryOp)",
    prefix: 'U_',
    codes: {
      neg: 0, abs: 1, sign: 2, exp: 3, expm1: 4, log: 5, log1p: 6, sqrt: 7, rsqrt: 8, reciprocal: 9, square: 10,
      sin: 11, cos: 12, tanh: 13, sigmoid: 14, relu: 15, gelu: 16, softplus: 17, silu: 18, erf: 19,
      floor: 20, ceil: 21, round: 22, logicalNot: 23, leakyRelu: 24, elu: 25, clamp: 26,
    },
  } satisfies AbiEnum<UnaryOp>,
  binary: {
    doc: "binary op codes (core's BinaryOp)",
    prefix: 'B_',
    codes: {
      add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6,
      eq: 7, ne: 8, lt: 9, le: 10, gt: 11, ge: 12, logicalAnd: 13, logicalOr: 14, logicalXor: 15, reluBackward: 16,
    },
  } satisfies AbiEnum<BinaryOp>,
  reduce: {
    doc: "reduction codes (core's ReduceOp)",
    prefix: 'R_',
    codes: { sum: 0, prod: 1, max: 2, min: 3, all: 4, any: 5 },
  } satisfies AbiEnum<ReduceOp>,
  argReduce: {
    doc: "arg-reduction codes (core's ArgReduceOp)",
    prefix: 'A_',
    codes: { argmax: 0, argmin: 1 },
  } satisfies AbiEnum<ArgReduceOp>,
} as const;

export type AbiEnumName = keyof typeof ABI_ENUMS;

/** The codes of an enum, by key. */
export const UNARY_CODES: Readonly<Record<UnaryOp, number>> = ABI_ENUMS.unary.codes;
export const BINARY_CODES: Readonly<Record<BinaryOp, number>> = ABI_ENUMS.binary.codes;
export const REDUCE_CODES: Readonly<Record<ReduceOp, number>> = ABI_ENUMS.reduce.codes;
export const ARG_REDUCE_CODES: Readonly<Record<ArgReduceOp, number>> = ABI_ENUMS.argReduce.codes;
export const DTYPE_CODES: Readonly<Record<WasmDType, number>> = ABI_ENUMS.dtype.codes;
export const KERNEL_STATUS = ABI_ENUMS.status.codes;

/** A run of int32 fields read as one C struct, named as the fields of core's parameter object it is written from. */
export interface AbiStruct<F extends string = string> {
  /** The C type name. */
  readonly name: string;
  readonly doc: string;
  /** In the order C reads them; a boolean is written as 0 or 1. */
  readonly fields: readonly F[];
}

const struct = <const F extends string>(name: string, doc: string, fields: readonly F[]): AbiStruct<F> => ({ name, doc, fields });

export const CONV_GEOMETRY = struct('ConvGeometry', "core's Conv2dParams", [
  'batch', 'inChannels', 'inHeight', 'inWidth', 'outChannels', 'outHeight', 'outWidth',
  'kernelHeight', 'kernelWidth', 'strideHeight', 'strideWidth', 'padHeight', 'padWidth', 'dilationHeight', 'dilationWidth', 'groups',
]);

export const POOL_GEOMETRY = struct('PoolGeometry', "core's Pool2dParams", [
  'planes', 'inHeight', 'inWidth', 'outHeight', 'outWidth', 'kernelHeight', 'kernelWidth',
  'strideHeight', 'strideWidth', 'padHeight', 'padWidth', 'dilationHeight', 'dilationWidth', 'countIncludePad',
]);

export const ADAPTIVE_POOL_GEOMETRY = struct('AdaptivePoolGeometry', "core's AdaptivePool2dParams", [
  'planes', 'inHeight', 'inWidth', 'outHeight', 'outWidth',
]);

/**
 * One field of an argument block, and what TypeScript passes for it:
 * - `int` (a number), `float` (a number, in the double stream),
 * - `dtype` (a dtype name, written as its DT_ code), `code` (a key of an {@link ABI_ENUMS} enum),
 * - `address` (a buffer the kernel reads, or reads and writes), `output` (a buffer it writes whole without reading),
 * - `start` (a contiguous view: the byte address of its first element),
 * - `view` (a strided view: address, ndim, shape…, strides…), `outputView` (a view the kernel writes),
 * - `ints` (a list of numbers: its length, then its values),
 * - `struct` (an object with the struct's fields, each a number or a boolean).
 */
export type ArgumentField =
  | { readonly name: string; readonly kind: 'int' | 'float' | 'dtype' | 'address' | 'output' | 'start' | 'view' | 'outputView' | 'ints' }
  | { readonly name: string; readonly kind: 'code'; readonly enum: AbiEnumName }
  | { readonly name: string; readonly kind: 'struct'; readonly struct: AbiStruct };

type Kind = ArgumentField['kind'];
const field = <const N extends string, const K extends Exclude<Kind, 'code' | 'struct'>>(name: N, kind: K) => ({ name, kind });
const code = <const N extends string, const E extends AbiEnumName>(name: N, enumName: E) => ({ name, kind: 'code' as const, enum: enumName });
const structField = <const N extends string, const S extends AbiStruct>(name: N, layout: S) => ({ name, kind: 'struct' as const, struct: layout });

// One block for the three convolution kernels (csrc/conv2d.c reads them alike):
// x is the input (gradOut for the input gradient), weight the weight (gradOut
// for the weight gradient). The forward convolution adds bias (O) to each
// output channel where hasBias is set; elsewhere any view stands in for it.
const CONV_ARGUMENTS = [
  structField('geometry', CONV_GEOMETRY), field('x', 'start'), field('weight', 'start'), field('out', 'output'),
  field('bias', 'start'), field('hasBias', 'int'),
] as const;

/** Every kernel's argument block, in the order C reads it. */
export const KERNEL_ARGUMENTS = {
  fathom_fill: [field('out', 'output'), field('dtype', 'dtype'), field('length', 'int'), field('value', 'float')],
  fathom_copy: [field('src', 'view'), field('srcType', 'dtype'), field('dst', 'outputView'), field('dstType', 'dtype')],
  fathom_unary: [
    code('op', 'unary'), field('x', 'view'), field('xType', 'dtype'), field('out', 'output'), field('outType', 'dtype'),
    field('alpha', 'float'), field('min', 'float'), field('max', 'float'),
  ],
  fathom_binary: [
    code('op', 'binary'), field('a', 'view'), field('b', 'view'), field('computeType', 'dtype'), field('out', 'output'), field('outType', 'dtype'),
    field('alpha', 'float'),
  ],
  fathom_where: [field('cond', 'view'), field('a', 'view'), field('b', 'view'), field('dtype', 'dtype'), field('out', 'output')],
  fathom_reduce: [code('op', 'reduce'), field('x', 'view'), field('xType', 'dtype'), field('dims', 'ints'), field('out', 'output'), field('outType', 'dtype')],
  fathom_arg_reduce: [code('op', 'argReduce'), field('x', 'view'), field('xType', 'dtype'), field('dim', 'int'), field('out', 'output')],
  // The batch fold of core's foldMatmulBatches: (…batch, m, k) · (…batch, k, n), the batch dims left after folding.
  fathom_matmul: [
    field('m', 'int'), field('n', 'int'), field('k', 'int'),
    field('aRowStride', 'int'), field('aColStride', 'int'), field('bRowStride', 'int'), field('bColStride', 'int'),
    field('batchShape', 'ints'), field('aBatchStrides', 'ints'), field('bBatchStrides', 'ints'),
    field('a', 'start'), field('b', 'start'), field('out', 'output'),
  ],
  fathom_conv2d: CONV_ARGUMENTS,
  fathom_conv2d_input_grad: CONV_ARGUMENTS,
  fathom_conv2d_weight_grad: CONV_ARGUMENTS,
  fathom_max_pool2d: [structField('geometry', POOL_GEOMETRY), field('x', 'start'), field('out', 'output'), field('indices', 'output')],
  fathom_max_pool2d_grad: [structField('geometry', POOL_GEOMETRY), field('gradOut', 'start'), field('indices', 'start'), field('out', 'output')],
  fathom_avg_pool2d: [structField('geometry', POOL_GEOMETRY), field('x', 'start'), field('out', 'output')],
  fathom_avg_pool2d_grad: [structField('geometry', POOL_GEOMETRY), field('gradOut', 'start'), field('out', 'output')],
  fathom_adaptive_avg_pool2d: [structField('geometry', ADAPTIVE_POOL_GEOMETRY), field('x', 'start'), field('out', 'output')],
  fathom_adaptive_avg_pool2d_grad: [structField('geometry', ADAPTIVE_POOL_GEOMETRY), field('gradOut', 'start'), field('out', 'output')],
  fathom_gather: [field('x', 'view'), field('dtype', 'dtype'), field('dim', 'int'), field('index', 'view'), field('out', 'output')],
  fathom_scatter_add: [field('out', 'address'), field('dtype', 'dtype'), field('outShape', 'ints'), field('dim', 'int'), field('index', 'view'), field('src', 'view')],
  fathom_random_fill: [
    field('out', 'output'), field('length', 'int'), field('normal', 'int'), field('seed0', 'int'), field('seed1', 'int'),
    field('offset', 'float'), field('a', 'float'), field('b', 'float'),
  ],
  // Without momentum the momentum buffer is not read: any buffer stands in for it.
  fathom_sgd_step: [
    field('param', 'address'), field('grad', 'address'), field('momentumBuffer', 'address'), field('length', 'int'),
    field('lr', 'float'), field('momentum', 'float'), field('dampening', 'float'), field('weightDecay', 'float'),
    field('nesterov', 'int'), field('maximize', 'int'), field('firstStep', 'int'),
  ],
  fathom_log_softmax: [field('x', 'address'), field('out', 'output'), field('outer', 'int'), field('size', 'int'), field('inner', 'int')],
  // alpha, b, beta and gamma are read only where flagged: any buffer stands in for an absent one.
  fathom_channel_affine: [
    field('a', 'address'), field('alpha', 'address'), field('b', 'address'), field('beta', 'address'), field('gamma', 'address'),
    field('out', 'output'), field('outer', 'int'), field('channels', 'int'), field('inner', 'int'),
    field('hasAlpha', 'int'), field('hasB', 'int'), field('hasGamma', 'int'),
  ],
  // weight, bias and the running statistics are read (those updated), gradInput written, only where flagged:
  // any buffer stands in for an absent one.
  fathom_batch_norm: [
    field('x', 'address'), field('weight', 'address'), field('bias', 'address'),
    field('out', 'output'), field('mean', 'output'), field('variance', 'output'), field('runningMean', 'address'), field('runningVar', 'address'),
    field('outer', 'int'), field('channels', 'int'), field('inner', 'int'), field('eps', 'float'), field('momentum', 'float'),
    field('hasWeight', 'int'), field('hasBias', 'int'), field('hasRunning', 'int'),
  ],
  fathom_batch_norm_backward: [
    field('grad', 'address'), field('x', 'address'), field('mean', 'address'), field('variance', 'address'), field('weight', 'address'),
    field('gradInput', 'output'), field('gradWeight', 'output'), field('gradBias', 'output'),
    field('outer', 'int'), field('channels', 'int'), field('inner', 'int'), field('eps', 'float'), field('hasWeight', 'int'), field('hasGradInput', 'int'),
  ],
} as const satisfies Readonly<Record<KernelName, readonly ArgumentField[]>>;

/** What TypeScript passes for one field (see {@link ArgumentField}); buffer and view types are the runner's. */
export type ArgumentValue<F, Buffer, ViewType> = F extends { readonly kind: 'int' | 'float' }
  ? number
  : F extends { readonly kind: 'dtype' }
    ? string
    : F extends { readonly kind: 'code'; readonly enum: infer E extends AbiEnumName }
      ? keyof (typeof ABI_ENUMS)[E]['codes']
      : F extends { readonly kind: 'address' | 'output' }
        ? Buffer
        : F extends { readonly kind: 'start' | 'view' | 'outputView' }
          ? ViewType
          : F extends { readonly kind: 'ints' }
            ? readonly number[]
            : F extends { readonly kind: 'struct'; readonly struct: AbiStruct<infer S> }
              ? { readonly [P in S]: number | boolean }
              : never;

/** The values of kernel `K`'s argument block, by field name. */
export type KernelArguments<K extends KernelName, Buffer, ViewType> = {
  readonly [F in (typeof KERNEL_ARGUMENTS)[K][number] as F['name']]: ArgumentValue<F, Buffer, ViewType>;
};

// ---------------------------------------------------------------------------
// The C header.

const upperSnake = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
const pascal = (snake: string): string => snake.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** The C name of an enum member. */
export function cEnumName(enumName: AbiEnumName, key: string): string {
  const description: AbiEnum<string> = ABI_ENUMS[enumName];
  return description.prefix + (description.names?.[key] ?? upperSnake(key));
}

function cEnum(enumName: AbiEnumName): string {
  const description: AbiEnum<string> = ABI_ENUMS[enumName];
  const members = Object.entries(description.codes).map(([key, value]) => `  ${cEnumName(enumName, key)} = ${value},`);
  return `// ${description.doc[0].toUpperCase()}${description.doc.slice(1)}.\nenum {\n${members.join('\n')}\n};`;
}

function cStruct(layout: AbiStruct): string {
  const reader = `read_${upperSnake(layout.name).toLowerCase()}`;
  return [
    `// ${layout.doc}, field by field.`,
    `typedef struct {\n${layout.fields.map((f) => `  i32 ${f};`).join('\n')}\n} ${layout.name};`,
    `INLINE void ${reader}(Params* p, ${layout.name}* s) {\n${layout.fields.map((f) => `  s->${f} = next_int(p);`).join('\n')}\n}`,
  ].join('\n');
}

const kernelStem = (kernel: string): string => kernel.replace(/^fathom_/, '');

/** `<Stem>Arguments`, the C struct of kernel `kernel`'s argument block, and its reader `read_<stem>_arguments`. */
export function cArgumentsName(kernel: KernelName): { struct: string; reader: string } {
  const stem = kernelStem(kernel);
  return { struct: `${pascal(stem)}Arguments`, reader: `read_${stem}_arguments` };
}

function cArguments(kernel: KernelName): string {
  const fields: readonly ArgumentField[] = KERNEL_ARGUMENTS[kernel];
  const { struct: structName, reader } = cArgumentsName(kernel);
  // A kernel that shares another's block (the convolution gradients) gets its names for the first one's struct and reader.
  const first = (Object.keys(KERNEL_ARGUMENTS) as KernelName[]).find((other) => KERNEL_ARGUMENTS[other] === fields);
  if (first !== undefined && first !== kernel) {
    const shared = cArgumentsName(first);
    return [
      `// ${kernel}: the block of ${first}`,
      `typedef ${shared.struct} ${structName};`,
      `INLINE void ${reader}(const i32* ints, const double* floats, ${structName}* a) { ${shared.reader}(ints, floats, a); }`,
    ].join('\n');
  }
  const members: string[] = [];
  const reads: string[] = [];
  for (const f of fields) {
    switch (f.kind) {
      case 'int':
      case 'dtype':
      case 'code':
        members.push(`  i32 ${f.name};${f.kind === 'dtype' ? '  // DT_*' : f.kind === 'code' ? `  // ${ABI_ENUMS[f.enum].prefix}*` : ''}`);
        reads.push(`  a->${f.name} = next_int(&p);`);
        break;
      case 'float':
        members.push(`  double ${f.name};`);
        reads.push(`  a->${f.name} = next_float(&p);`);
        break;
      case 'address':
      case 'output':
      case 'start':
        members.push(`  u8* ${f.name};`);
        reads.push(`  a->${f.name} = (u8*)(uintptr_t)next_address(&p);`);
        break;
      case 'view':
      case 'outputView':
        members.push(`  View ${f.name};`);
        reads.push(`  read_view(&p, &a->${f.name});`);
        break;
      case 'ints':
        members.push(`  i32 ${f.name}Count;`, `  const i32* ${f.name};`);
        reads.push(`  a->${f.name}Count = next_int(&p);`, `  a->${f.name} = p.ints;`, `  p.ints += a->${f.name}Count;`);
        break;
      case 'struct':
        members.push(`  ${f.struct.name} ${f.name};`);
        reads.push(`  read_${upperSnake(f.struct.name).toLowerCase()}(&p, &a->${f.name});`);
        break;
    }
  }
  const order = fields.map((f) => f.name).join(', ');
  return [
    `// ${kernel}: [${order}]`,
    `typedef struct {\n${members.join('\n')}\n} ${structName};`,
    `INLINE void ${reader}(const i32* ints, const double* floats, ${structName}* a) {\n  Params p = {ints, floats};\n${reads.join('\n')}\n}`,
  ].join('\n');
}

/** Each kernel's code in the queue (csrc/queue.c): its index in {@link KERNEL_ARGUMENTS}. */
export const KERNEL_CODES = Object.fromEntries(Object.keys(KERNEL_ARGUMENTS).map((name, code) => [name, code])) as Readonly<Record<KernelName, number>>;

/** The queue's entries that are not kernels: clearing a block ([address, bytes]) and the benchmark's SGEMM ([m, n, k, a, b, c]). */
export const QUEUE_CODES = { zero: Object.keys(KERNEL_ARGUMENTS).length, sgemm: Object.keys(KERNEL_ARGUMENTS).length + 1 } as const;

/** The text of csrc/abi.h: what the C kernels know of their arguments, generated from this file. */
export function abiHeader(): string {
  const kernels = Object.keys(KERNEL_ARGUMENTS) as KernelName[];
  return `// GENERATED by scripts/build-wasm.mjs from src/abi.ts: do not edit; change src/abi.ts and rebuild.
//
// The argument blocks of the kernels and the codes they share with
// TypeScript. Included by fathom.h, which defines the integer types, INLINE
// and read_view's definition (strided.c).
#ifndef FATHOM_ABI_H
#define FATHOM_ABI_H

// The most dims a strided view may have (JavaScript checks first).
#define MAX_DIMS ${MAX_DIMS}

${(Object.keys(ABI_ENUMS) as AbiEnumName[]).map(cEnum).join('\n\n')}

// An argument block: a stream of int32 words and a parallel stream of
// doubles, read in order.
typedef struct {
  const i32* ints;
  const double* floats;
} Params;

INLINE i32 next_int(Params* p) { return *p->ints++; }
INLINE u32 next_address(Params* p) { return (u32)*p->ints++; }
INLINE double next_float(Params* p) { return *p->floats++; }

// A strided view: element (i0, i1, …) lives at base + Σ ik·strides[k] elements.
typedef struct {
  u8* base;  // address of the view's first element (offset already applied)
  int ndim;
  int shape[MAX_DIMS];
  int strides[MAX_DIMS];
} View;

// Reads [address, ndim, shape…, strides…].
void read_view(Params* p, View* v);

${[CONV_GEOMETRY, POOL_GEOMETRY, ADAPTIVE_POOL_GEOMETRY].map(cStruct).join('\n\n')}

${kernels.map(cArguments).join('\n\n')}

// The kernels' codes in the queue (csrc/queue.c), then its two entries of its own.
#define FOR_EACH_KERNEL(X) \\
${kernels.map((name, code) => `  X(${code}, ${name})`).join(' \\\n')}
#define QUEUE_ZERO ${QUEUE_CODES.zero}
#define QUEUE_SGEMM ${QUEUE_CODES.sgemm}
#define QUEUE_ENTRIES ${kernels.length + 2}

#endif
`;
}
