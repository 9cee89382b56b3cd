// A float64 reference for multi-layer, optionally bidirectional RNN / LSTM /
// GRU, written from PyTorch's documented equations with plain loops over one
// sequence, so that it shares no code with the layers it checks.

/** Which recurrence the reference runs. */
export type ReferenceCell = 'rnn-tanh' | 'rnn-relu' | 'lstm' | 'gru';

/** Parameters by PyTorch's names (`weight_ih_l0`, `bias_hh_l1_reverse`, …), row-major; missing biases count as zero. */
export type ReferenceWeights = Readonly<Record<string, Float64Array>>;

/** The reference's result for one sequence. */
export interface ReferenceResult {
  /** (T, D·H): forward direction's features first, then the reverse's. */
  readonly output: number[][];
  /** (L·D, H), layer 0 forward, layer 0 reverse, layer 1 forward, … */
  readonly h: number[][];
  /** (L·D, H) for an LSTM; c0 unchanged for the others. */
  readonly c: number[][];
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** W·v + b for W (rows, v.length) row-major. */
function affine(weight: Float64Array, bias: Float64Array | undefined, v: readonly number[]): number[] {
  const rows = weight.length / v.length;
  return Array.from({ length: rows }, (_, r) => {
    let total = bias ? bias[r] : 0;
    for (let j = 0; j < v.length; j++) total += weight[r * v.length + j] * v[j];
    return total;
  });
}

/** One step from the input part `x` (W_ih·x + b_ih) and hidden part `hidden` (W_hh·h + b_hh) of the gates. */
function cellStep(cell: ReferenceCell, x: number[], hidden: number[], h: number[], c: number[]): { h: number[]; c: number[] } {
  const size = h.length;
  const gate = (block: number, j: number) => x[block * size + j] + hidden[block * size + j];
  if (cell === 'rnn-tanh') return { h: h.map((_, j) => Math.tanh(gate(0, j))), c };
  if (cell === 'rnn-relu') return { h: h.map((_, j) => Math.max(0, gate(0, j))), c };
  if (cell === 'lstm') {
    // Gates i, f, g, o.
    const nextC = c.map((cj, j) => sigmoid(gate(1, j)) * cj + sigmoid(gate(0, j)) * Math.tanh(gate(2, j)));
    return { h: nextC.map((cj, j) => sigmoid(gate(3, j)) * Math.tanh(cj)), c: nextC };
  }
  // GRU gates r, z, n; r scales the hidden part of n including its bias.
  const next = h.map((hj, j) => {
    const reset = sigmoid(gate(0, j));
    const update = sigmoid(gate(1, j));
    const candidate = Math.tanh(x[2 * size + j] + reset * hidden[2 * size + j]);
    return (1 - update) * candidate + update * hj;
  });
  return { h: next, c };
}

/**
 * Runs `numLayers` layers of `directions` (1 or 2) over one sequence x (T, in)
 * from states h0 and c0 (L·D, H). The reverse direction reads t = T − 1 … 0
 * and writes its output for step t at row t.
 */
export function referenceRecurrent(
  cell: ReferenceCell, weights: ReferenceWeights, numLayers: number, directions: number, x: readonly number[][], h0: readonly number[][], c0: readonly number[][],
): ReferenceResult {
  const steps = x.length;
  let layerInput = x.map((row) => [...row]);
  const hN: number[][] = [];
  const cN: number[][] = [];
  for (let k = 0; k < numLayers; k++) {
    const layerOutput: number[][] = layerInput.map(() => []);
    for (let d = 0; d < directions; d++) {
      const suffix = `_l${k}${d === 1 ? '_reverse' : ''}`;
      let h = [...h0[k * directions + d]];
      let c = [...c0[k * directions + d]];
      const rows: number[][] = new Array<number[]>(steps);
      for (let i = 0; i < steps; i++) {
        const t = d === 1 ? steps - 1 - i : i;
        const inputPart = affine(weights[`weight_ih${suffix}`], weights[`bias_ih${suffix}`], layerInput[t]);
        const hiddenPart = affine(weights[`weight_hh${suffix}`], weights[`bias_hh${suffix}`], h);
        ({ h, c } = cellStep(cell, inputPart, hiddenPart, h, c));
        rows[t] = h;
      }
      rows.forEach((row, t) => layerOutput[t].push(...row));
      hN.push(h);
      cN.push(c);
    }
    layerInput = layerOutput;
  }
  return { output: layerInput, h: hN, c: cN };
}
