import type { ArgReduceOp, BinaryOp, DType, ReduceOp, UnaryOp } from '@fathom/core';

// The numbers the C kernels use for ops and dtypes (the enums at the top of
// csrc/elementwise.c, csrc/reduce.c and csrc/fathom.h, in the same order).
// Records over core's unions: a new op makes this file fail to type-check.

export const UNARY_CODES: Readonly<Record<UnaryOp, number>> = {
  neg: 0, abs: 1, sign: 2, exp: 3, expm1: 4, log: 5, log1p: 6, sqrt: 7, rsqrt: 8, reciprocal: 9, square: 10,
  sin: 11, cos: 12, tanh: 13, sigmoid: 14, relu: 15, gelu: 16, softplus: 17, silu: 18, erf: 19,
  floor: 20, ceil: 21, round: 22, logicalNot: 23, leakyRelu: 24, elu: 25, clamp: 26,
};

export const BINARY_CODES: Readonly<Record<BinaryOp, number>> = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6,
  eq: 7, ne: 8, lt: 9, le: 10, gt: 11, ge: 12, logicalAnd: 13, logicalOr: 14, logicalXor: 15,
};

export const REDUCE_CODES: Readonly<Record<ReduceOp, number>> = { sum: 0, prod: 1, max: 2, min: 3, all: 4, any: 5 };

export const ARG_REDUCE_CODES: Readonly<Record<ArgReduceOp, number>> = { argmax: 0, argmin: 1 };

/** The dtypes this backend stores; float64 is left to the CPU backend. */
export const WASM_DTYPES = ['float32', 'int32', 'bool'] as const satisfies readonly DType[];

export type WasmDType = (typeof WASM_DTYPES)[number];

export const DTYPE_CODES: Readonly<Record<WasmDType, number>> = { float32: 0, int32: 1, bool: 2 };
