import { describe, expect, it } from 'vitest';
import { matmul, tensor, type Shape } from '@fathom/core';
import { installGradientEngine, type GradientEngine, type Pool2dAttrs } from '@fathom/core/backend';
import { formulas, formulaTable, useAutograd, type FormulaTable, type GradientFormula } from '../src/index.js';

// The formula table is typed against core's RecordedOps. The checks in this
// block are made by tsc (the package's `typecheck`, which covers test/): each
// `@ts-expect-error` fails the typecheck if the error below it goes away.

const { sum: _sum, ...withoutSum } = formulaTable;
// @ts-expect-error a recorded op ('sum') left without a formula
const missingOne: FormulaTable = { ...withoutSum };

const mistypedAttribute: FormulaTable = {
  ...formulaTable,
  // @ts-expect-error sum records `dims` and `keepdim`, not `dim`
  sum: { backward: (grad, { attrs }) => [grad.unsqueeze(attrs.dim)] },
};

const readsPoolingAttributes: GradientFormula<Pool2dAttrs> = {
  backward: (grad, { attrs }) => [attrs.kernelSize === 1 ? grad : grad.neg(), null],
};
const wrongFormula: FormulaTable = {
  ...formulaTable,
  // @ts-expect-error a formula reading pooling attributes does not fit conv2d, which records `options` only
  conv2d: readsPoolingAttributes,
};

const unknownOp: FormulaTable = {
  ...formulaTable,
  // @ts-expect-error an op core does not record
  atan2: { backward: (grad: never) => [grad, grad] },
};

describe('the formula table', () => {
  it('has a formula for every recorded op that can write floats, and null only for those that write bool', () => {
    const absent = Object.entries(formulaTable).filter(([, formula]) => formula === null).map(([op]) => op).sort();
    expect(absent).toEqual(['all', 'any', 'eq', 'ge', 'gt', 'le', 'logicalAnd', 'logicalNot', 'logicalOr', 'logicalXor', 'lt', 'ne']);
    expect(formulas.size).toBe(Object.keys(formulaTable).length - absent.length);
    for (const table of [missingOne, mistypedAttribute, wrongFormula, unknownOp]) expect(Object.keys(table).length).toBeGreaterThan(0);
  });
});

describe('matmul with a 1-D operand', () => {
  const engine = useAutograd();

  // The ops recorded while `fn` runs, with their inputs' shapes.
  function recording(fn: () => void): [string, Shape[]][] {
    const recorded: [string, Shape[]][] = [];
    const spy: GradientEngine = {
      ...engine,
      record: (op, inputs, output, attrs) => {
        recorded.push([op, inputs.map((t) => t.shape)]);
        engine.record(op, inputs, output, attrs);
      },
    };
    installGradientEngine(spy);
    try {
      fn();
    } finally {
      installGradientEngine(engine);
    }
    return recorded;
  }

  it('records the product of matrices between the promoting and squeezing views', () => {
    const v = tensor([1, 2]).setRequiresGrad();
    const m = tensor([[1, 2, 3], [4, 5, 6]]).setRequiresGrad();
    expect(recording(() => matmul(v, m))).toEqual([['reshape', [[2]]], ['matmul', [[1, 2], [2, 3]]], ['reshape', [[1, 3]]]]);
    const mt = m.t(); // (3, 2)
    expect(recording(() => matmul(mt, v))).toEqual([['reshape', [[2]]], ['matmul', [[3, 2], [2, 1]]], ['reshape', [[3, 1]]]]);
    expect(recording(() => matmul(v, v))).toEqual([['reshape', [[2]]], ['reshape', [[2]]], ['matmul', [[1, 2], [2, 1]]], ['reshape', [[1, 1]]]]);
  });

  it('gives the gradients of torch.matmul', async () => {
    const v = tensor([1, 2]).setRequiresGrad();
    const m = tensor([[1, 2, 3], [4, 5, 6]]).setRequiresGrad();
    const out = matmul(v, m); // (3,)
    expect(out.shape).toEqual([3]);
    out.mul(tensor([1, 10, 100])).sum().backward();
    expect(Array.from(await v.grad!.data())).toEqual([321, 654]); // m · [1, 10, 100]
    expect(Array.from(await m.grad!.data())).toEqual([1, 10, 100, 2, 20, 200]); // v ⊗ [1, 10, 100]
    const dot = matmul(v, v); // ()
    expect(dot.shape).toEqual([]);
    v.grad = null;
    dot.backward();
    expect(Array.from(await v.grad!.data())).toEqual([2, 4]);
  });
});
