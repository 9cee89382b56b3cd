import { describe, expect, it } from 'vitest';
import { manualSeed, memoryStats, randn, scope, tensor, type Tensor } from '@fathom/core';
import { gradcheck, useAutograd } from '@fathom/autograd';
import { GRU, LSTM, RNN } from '../src/layers/recurrent.js';
import { GRUCell, LSTMCell, RNNCell, gruCell, lstmCell, rnnCell } from '../src/layers/rnn-cells.js';

useAutograd();

/*
 * Expected values were printed by PyTorch 1.13 (Debian's python3-torch)
 * running this script. Every parameter is filled, in named_parameters()
 * order, with `pattern(shape, i)`; our modules get the same tensors through
 * loadStateDict (strict) under PyTorch's keys, which also checks that the
 * names and layouts match.
 *
 * import torch
 * torch.set_printoptions(precision=8)
 *
 * def pattern(shape, seed):
 *     n = 1
 *     for s in shape: n *= s
 *     k = torch.arange(n, dtype=torch.float64)
 *     return (((k * 37 + seed * 11) % 23 - 11) / 40).reshape(shape).float()
 *
 * def fill(m):
 *     with torch.no_grad():
 *         for i, (name, p) in enumerate(m.named_parameters()):
 *             p.copy_(pattern(p.shape, i))
 *     return m
 *
 * def show(name, t):
 *     print(name, [float('%.8g' % v) for v in t.detach().flatten().tolist()])
 *
 * x2 = pattern([2, 4], 100); h2 = pattern([2, 3], 101); c2 = pattern([2, 3], 102)
 * show('rnn_cell_tanh', fill(torch.nn.RNNCell(4, 3))(x2, h2))
 * show('rnn_cell_relu_unbatched', fill(torch.nn.RNNCell(4, 3, nonlinearity='relu'))(pattern([4], 100)))
 * h, c = fill(torch.nn.LSTMCell(4, 3))(x2, (h2, c2)); show('lstm_cell_h', h); show('lstm_cell_c', c)
 * show('gru_cell', fill(torch.nn.GRUCell(4, 3))(x2, h2))
 *
 * lstm = fill(torch.nn.LSTM(4, 3, num_layers=2, batch_first=True))
 * print([(k, list(v.shape)) for k, v in lstm.state_dict().items()])
 * out, (h, c) = lstm(pattern([2, 3, 4], 100), (pattern([2, 2, 3], 101), pattern([2, 2, 3], 102)))
 * show('lstm_output', out); show('lstm_h', h); show('lstm_c', c)
 *
 * gru = fill(torch.nn.GRU(4, 3, num_layers=2))
 * out, h = gru(pattern([3, 2, 4], 100), pattern([2, 2, 3], 101))
 * show('gru_output', out); show('gru_h', h)
 *
 * rnn = fill(torch.nn.RNN(4, 3, num_layers=2, nonlinearity='relu', bias=False))
 * print([(k, list(v.shape)) for k, v in rnn.state_dict().items()])
 * out, h = rnn(pattern([3, 2, 4], 100))
 * show('rnn_relu_output', out); show('rnn_relu_h', h)
 *
 * lstm1 = fill(torch.nn.LSTM(4, 3))
 * out, (h, c) = lstm1(pattern([3, 4], 100))
 * show('lstm_unbatched_output', out); show('lstm_unbatched_h', h); show('lstm_unbatched_c', c)
 *
 * lstm2 = fill(torch.nn.LSTM(4, 3, num_layers=2))
 * out, (h, c) = lstm2(pattern([3, 2, 4], 100))
 * (out.pow(2).sum() + c.sum()).backward()
 * show('lstm_grad_weight_ih_l0', lstm2.weight_ih_l0.grad)
 *
 * bi = fill(torch.nn.LSTM(4, 3, num_layers=2, batch_first=True, bidirectional=True))
 * print([(k, list(v.shape)) for k, v in bi.state_dict().items()])
 * out, (h, c) = bi(pattern([2, 3, 4], 100), (pattern([4, 2, 3], 101), pattern([4, 2, 3], 102)))
 * show('bilstm_output', out); show('bilstm_h', h); show('bilstm_c', c)
 * (out.pow(2).sum() + c.sum()).backward()
 * show('bilstm_grad_weight_hh_l0_reverse', bi.weight_hh_l0_reverse.grad)
 */

/** The script's `pattern`: ((k·37 + 11·seed) mod 23 − 11) / 40 over the flat index k, as float32. */
function pattern(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float64Array.from({ length: n }, (_, k) => (((k * 37 + seed * 11) % 23) - 11) / 40), { shape, dtype: 'float32' });
}

/** A state dict with PyTorch's keys, in PyTorch's order, each filled as the script's `fill`. */
function patternState(keys: readonly (readonly [string, number[]])[]): Record<string, Tensor> {
  return Object.fromEntries(keys.map(([key, shape], i) => [key, pattern(shape, i)]));
}

/** PyTorch's keys and shapes for a layer with `gates` gate blocks (1 RNN, 4 LSTM, 3 GRU); suffix '' for a cell. */
function recurrentKeys(gates: number, inputSize: number, hiddenSize: number, layers: number | null, bias = true): [string, number[]][] {
  const out: [string, number[]][] = [];
  for (let k = 0; k < (layers ?? 1); k++) {
    const suffix = layers === null ? '' : `_l${k}`;
    out.push([`weight_ih${suffix}`, [gates * hiddenSize, k === 0 ? inputSize : hiddenSize]], [`weight_hh${suffix}`, [gates * hiddenSize, hiddenSize]]);
    if (bias) out.push([`bias_ih${suffix}`, [gates * hiddenSize]], [`bias_hh${suffix}`, [gates * hiddenSize]]);
  }
  return out;
}

// TESTING.md tier T3 (RNN cells): rtol 1e-5, atol 1e-5 on float32.
async function expectClose(t: Tensor, shape: number[], values: number[], tolerance = 1e-5): Promise<void> {
  expect(t.shape).toEqual(shape);
  const actual = Array.from(await t.data());
  expect(actual).toHaveLength(values.length);
  actual.forEach((v, i) => expect(Math.abs(v - values[i]), `element ${i}: ${v} vs ${values[i]}`).toBeLessThanOrEqual(tolerance * (1 + Math.abs(values[i]))));
}

const x2 = pattern([2, 4], 100);
const h2 = pattern([2, 3], 101);
const c2 = pattern([2, 3], 102);

describe('recurrent cells match PyTorch', () => {
  it('RNNCell with tanh, batched, with h', async () => {
    const cell = new RNNCell(4, 3);
    cell.loadStateDict(patternState(recurrentKeys(1, 4, 3, null)));
    await expectClose(cell.forward(x2, h2), [2, 3], [0.19497152, -0.16169332, 0.094095804, 0.20995569, -0.16777369, -0.06304127]);
  });

  it('RNNCell with relu, unbatched, h defaulting to zeros', async () => {
    const cell = new RNNCell(4, 3, { nonlinearity: 'relu' });
    cell.loadStateDict(patternState(recurrentKeys(1, 4, 3, null)));
    await expectClose(cell.forward(pattern([4], 100)), [3], [0.25062498, 0.0, 0.03875]);
  });

  it('LSTMCell with (h, c)', async () => {
    const cell = new LSTMCell(4, 3);
    cell.loadStateDict(patternState(recurrentKeys(4, 4, 3, null)));
    const { h, c } = cell.forward(x2, h2, c2);
    await expectClose(h, [2, 3], [-0.025105501, -0.002408505, -0.025621584, -0.044594198, -0.028288286, 0.07085076]);
    await expectClose(c, [2, 3], [-0.043443076, -0.0056719221, -0.052120153, -0.083776668, -0.062108483, 0.15865186]);
  });

  it('GRUCell with h', async () => {
    const cell = new GRUCell(4, 3);
    cell.loadStateDict(patternState(recurrentKeys(3, 4, 3, null)));
    await expectClose(cell.forward(x2, h2), [2, 3], [-0.10677996, 0.10337441, 0.091797195, -0.1572689, 0.049304083, 0.052621447]);
  });

  it('cells register PyTorch\'s names and shapes, bias optional', () => {
    const shapes = (m: { namedParameters(): [string, Tensor][] }) => m.namedParameters().map(([k, t]) => [k, [...t.shape]]);
    expect(shapes(new LSTMCell(5, 2))).toEqual(recurrentKeys(4, 5, 2, null));
    expect(shapes(new GRUCell(5, 2, { bias: false }))).toEqual(recurrentKeys(3, 5, 2, null, false));
  });
});

describe('RNN, LSTM and GRU layers match PyTorch', () => {
  it('LSTM: 2 layers, batchFirst, with h0 and c0', async () => {
    const lstm = new LSTM(4, 3, { numLayers: 2, batchFirst: true });
    // The keys and shapes PyTorch printed for nn.LSTM(4, 3, num_layers=2).
    const torchKeys: [string, number[]][] = [
      ['weight_ih_l0', [12, 4]], ['weight_hh_l0', [12, 3]], ['bias_ih_l0', [12]], ['bias_hh_l0', [12]],
      ['weight_ih_l1', [12, 3]], ['weight_hh_l1', [12, 3]], ['bias_ih_l1', [12]], ['bias_hh_l1', [12]],
    ];
    expect(Object.entries(lstm.stateDict()).map(([k, t]) => [k, [...t.shape]])).toEqual(torchKeys);
    lstm.loadStateDict(patternState(torchKeys));
    const { output, h, c } = lstm.forward(pattern([2, 3, 4], 100), pattern([2, 2, 3], 101), pattern([2, 2, 3], 102));
    await expectClose(output, [2, 3, 3], [
      -0.082443237, -0.12125664, 0.014417491, -0.11783134, -0.10814519, 0.010854983, -0.13519524, -0.09371341, 0.012581393,
      -0.12430817, 0.01946923, -0.00051333418, -0.12623705, -0.018279195, 0.009716969, -0.13443464, -0.044626575, 0.012417568,
    ]);
    await expectClose(h, [2, 2, 3], [
      -0.056408931, -0.01977106, 0.038934726, -0.091534749, 0.013553086, 0.039694443, -0.13519524, -0.09371341, 0.012581393, -0.13443464, -0.044626575, 0.012417568,
    ]);
    await expectClose(c, [2, 2, 3], [
      -0.10347857, -0.045496125, 0.08398138, -0.16864316, 0.030363882, 0.083050817, -0.26317257, -0.16762191, 0.027443334, -0.26056376, -0.07926169, 0.027208352,
    ]);
  });

  it('GRU: 2 layers, time-major, with h0', async () => {
    const gru = new GRU(4, 3, { numLayers: 2 });
    gru.loadStateDict(patternState(recurrentKeys(3, 4, 3, 2)));
    const { output, h } = gru.forward(pattern([3, 2, 4], 100), pattern([2, 2, 3], 101));
    await expectClose(output, [3, 2, 3], [
      0.057264581, -0.056685001, -0.071928963, -0.00037914515, -0.11376996, -0.11992604, -0.060212493, -0.091964722, 0.0061050802,
      -0.094970673, -0.13917845, -0.030044489, -0.11879552, -0.098562479, 0.060319029, -0.14336854, -0.14802524, 0.02265732,
    ]);
    await expectClose(h, [2, 2, 3], [
      -0.0073217563, -0.071185611, 0.19096188, -0.13234836, 0.055013575, 0.09610872, -0.11879552, -0.098562479, 0.060319029, -0.14336854, -0.14802524, 0.02265732,
    ]);
  });

  it('RNN with relu, 2 layers, no bias, h0 defaulting to zeros', async () => {
    const rnn = new RNN(4, 3, { numLayers: 2, nonlinearity: 'relu', bias: false });
    // PyTorch has no bias keys at all with bias=False.
    const torchKeys: [string, number[]][] = [['weight_ih_l0', [3, 4]], ['weight_hh_l0', [3, 3]], ['weight_ih_l1', [3, 3]], ['weight_hh_l1', [3, 3]]];
    expect(Object.entries(rnn.stateDict()).map(([k, t]) => [k, [...t.shape]])).toEqual(torchKeys);
    rnn.loadStateDict(patternState(torchKeys));
    const { output, h } = rnn.forward(pattern([3, 2, 4], 100));
    await expectClose(output, [3, 2, 3], [
      0.0, 0.0, 0.022796875, 0.0017187501, 0.00109375, 0.00046875002, 0.0046062497, 0.0, 0.0,
      0.035292972, 0.02184375, 0.010640627, 0.0037789845, 0.0, 0.0, 0.034423932, 0.025768848, 0.0045536142,
    ]);
    await expectClose(h, [2, 2, 3], [0.0, 0.077882811, 0.0, 0.14437501, 0.0, 0.0, 0.0037789845, 0.0, 0.0, 0.034423932, 0.025768848, 0.0045536142]);
  });

  it('LSTM on unbatched (T, in) input', async () => {
    const lstm = new LSTM(4, 3);
    lstm.loadStateDict(patternState(recurrentKeys(4, 4, 3, 1)));
    const { output, h, c } = lstm.forward(pattern([3, 4], 100));
    await expectClose(output, [3, 3], [-0.059470691, -0.0045176353, 0.016479397, -0.083618157, -0.0058412515, 0.02498926, -0.063058227, -0.01967275, 0.047142677]);
    await expectClose(h, [1, 3], [-0.063058227, -0.01967275, 0.047142677]);
    await expectClose(c, [1, 3], [-0.1161723, -0.045191728, 0.10165254]);
  });

  it('unbatched input gives the batched result for a batch of one, batchFirst or not', async () => {
    manualSeed(3);
    const gru = new GRU(4, 3, { numLayers: 2, batchFirst: true });
    const x = randn([5, 4]);
    const h0 = randn([2, 3]);
    const single = gru.forward(x, h0);
    const batched = gru.forward(x.unsqueeze(0), h0.unsqueeze(1));
    await expectClose(single.output, [5, 3], Array.from(await batched.output.data()), 1e-6);
    await expectClose(single.h, [2, 3], Array.from(await batched.h.data()), 1e-6);
  });

  it('weight_ih_l0.grad of a 2-layer LSTM matches PyTorch', async () => {
    const lstm = new LSTM(4, 3, { numLayers: 2 });
    lstm.loadStateDict(patternState(recurrentKeys(4, 4, 3, 2)));
    const { output, c } = lstm.forward(pattern([3, 2, 4], 100));
    output.square().sum().add(c.sum()).backward();
    const grad = lstm.namedParameters().find(([k]) => k === 'weight_ih_l0')![1].grad!;
    await expectClose(grad, [12, 4], [
      0.017356778, -0.0051898481, 0.0066937795, -0.015525237, -0.013502041, 0.008618176, -0.011321343, 0.010620127,
      -0.0008613196, -0.0067917667, 0.0087887542, 0.0025601895, 0.012642025, 0.00011642943, 0.00067598623, -0.011849609,
      -0.0034009137, 0.0026042738, -0.0036820297, 0.0023231581, -0.0015591215, -0.0031918061, 0.0034467105, 0.001814026,
      -0.15442942, -0.020859497, 0.029048188, 0.15976861, -0.091163307, -0.018058656, 0.027160568, 0.10870494,
      -0.12493135, -0.010402678, 0.01753344, 0.13673091, 0.0013915621, 0.0009660091, 0.00045318541, -2.6970183e-06,
      0.0010351447, -0.00072226184, 0.0009757473, -0.00078158575, 1.1985314e-05, -0.00048301584, 0.00081444264, 0.00032017246,
    ]);
  });

  it('bidirectional LSTM: 2 layers, batchFirst, with h0 and c0, and a reverse weight\'s gradient', async () => {
    const lstm = new LSTM(4, 3, { numLayers: 2, batchFirst: true, bidirectional: true });
    // The keys and shapes PyTorch printed: each layer's forward weights, then its `_reverse` ones.
    const torchKeys: [string, number[]][] = [
      ['weight_ih_l0', [12, 4]], ['weight_hh_l0', [12, 3]], ['bias_ih_l0', [12]], ['bias_hh_l0', [12]],
      ['weight_ih_l0_reverse', [12, 4]], ['weight_hh_l0_reverse', [12, 3]], ['bias_ih_l0_reverse', [12]], ['bias_hh_l0_reverse', [12]],
      ['weight_ih_l1', [12, 6]], ['weight_hh_l1', [12, 3]], ['bias_ih_l1', [12]], ['bias_hh_l1', [12]],
      ['weight_ih_l1_reverse', [12, 6]], ['weight_hh_l1_reverse', [12, 3]], ['bias_ih_l1_reverse', [12]], ['bias_hh_l1_reverse', [12]],
    ];
    lstm.loadStateDict(patternState(torchKeys));
    const { output, h, c } = lstm.forward(pattern([2, 3, 4], 100), pattern([4, 2, 3], 101), pattern([4, 2, 3], 102));
    await expectClose(output, [2, 3, 6], [
      -0.0078537669, -0.042589471, -0.066085301, 0.063225605, 0.10975289, -0.089606293, 0.05386553, -0.083832279, -0.058387812,
      0.072964564, 0.089099117, -0.063779086, 0.082247727, -0.10933268, -0.052551869, 0.08416348, 0.059077222, 0.0010413005,
      0.10301106, -0.063604638, -0.098915607, 0.061720531, 0.11621547, -0.10290696, 0.099718638, -0.094802506, -0.069494419,
      0.059127785, 0.095262393, -0.080994092, 0.088789873, -0.11316805, -0.054800168, 0.052144606, 0.059189964, -0.030307297,
    ]);
    await expectClose(h, [4, 2, 3], [
      -0.056408931, -0.01977106, 0.038934726, -0.091534749, 0.013553086, 0.039694443, -0.15005909, -0.069023162, 0.0010740822,
      -0.13635722, -0.049870621, -0.0023285819, 0.082247727, -0.10933268, -0.052551869, 0.088789873, -0.11316805, -0.054800168,
      0.063225605, 0.10975289, -0.089606293, 0.061720531, 0.11621547, -0.10290696,
    ]);
    await expectClose(c, [4, 2, 3], [
      -0.10347857, -0.045496125, 0.08398138, -0.16864316, 0.030363882, 0.083050817, -0.2777766, -0.12593919, 0.0023873998,
      -0.26535314, -0.089164391, -0.0052947719, 0.16156915, -0.20661418, -0.092390262, 0.17786935, -0.20901337, -0.096221916,
      0.13239786, 0.2175633, -0.16672155, 0.12898375, 0.23078167, -0.19416487,
    ]);
    output.square().sum().add(c.sum()).backward();
    const [, weightHhReverse] = lstm.layerWeights(0, true);
    await expectClose(weightHhReverse.grad!, [12, 3], [
      0.016421791, 0.014945515, 0.00063371076, 0.00063601974, 0.0047977883, 0.0060378793, -0.00074382708, 0.0016141732, 0.00073743891,
      0.013611397, 0.0098616648, -0.00039766496, 0.0070977462, 0.010326064, -0.0034266482, 0.00044695195, -0.0013661715, -0.00074976287,
      -0.11782764, -0.10051857, -0.0057201544, -0.093565896, -0.13309461, -0.07650964, -0.09468618, -0.1037553, -0.039520349,
      -0.0017262718, -0.002746657, -0.0022879429, -8.2924031e-05, 0.0012717037, 0.00048416757, -3.2507029e-05, 7.1489012e-06, 4.2098138e-05,
    ]);
  });
});

describe('recurrent gradients pass gradcheck in float64', () => {
  manualSeed(21);
  const f64 = (shape: number[]) => randn(shape, { dtype: 'float64' });

  it('LSTMCell: input, states and every parameter', () => {
    const cell = new LSTMCell(3, 2).to('float64');
    const [weightIh, weightHh, biasIh, biasHh] = cell.parameters();
    gradcheck((x, h, c, wIh, wHh, bIh, bHh) => {
      const state = lstmCell(x, { h, c }, wIh, wHh, bIh, bHh);
      return [state.h, state.c];
    }, [f64([2, 3]), f64([2, 2]), f64([2, 2]), weightIh, weightHh, biasIh, biasHh]);
    gradcheck((x, h, c) => {
      const state = cell.forward(x, h, c);
      return [state.h, state.c];
    }, [f64([2, 3]), f64([2, 2]), f64([2, 2])]);
  });

  it('GRUCell and RNNCell: input, state and every parameter', () => {
    const gru = new GRUCell(3, 2).to('float64');
    gradcheck((x, h, wIh, wHh, bIh, bHh) => gruCell(x, h, wIh, wHh, bIh, bHh), [f64([2, 3]), f64([2, 2]), ...gru.parameters()]);
    gradcheck((x, h) => gru.forward(x, h), [f64([2, 3]), f64([2, 2])]);
    const rnn = new RNNCell(3, 2).to('float64');
    gradcheck((x, h, wIh, wHh, bIh, bHh) => rnnCell(x, h, wIh, wHh, bIh, bHh, 'tanh'), [f64([2, 3]), f64([2, 2]), ...rnn.parameters()]);
  });

  it('LSTM and GRU layers through time: input and initial states', () => {
    const lstm = new LSTM(3, 2, { numLayers: 2, batchFirst: true }).to('float64');
    gradcheck((x, h0, c0) => {
      const { output, h, c } = lstm.forward(x, h0, c0);
      return [output, h, c];
    }, [f64([2, 4, 3]), f64([2, 2, 2]), f64([2, 2, 2])]);
    const gru = new GRU(3, 2, { numLayers: 2 }).to('float64');
    gradcheck((x, h0) => {
      const { output, h } = gru.forward(x, h0);
      return [output, h];
    }, [f64([4, 2, 3]), f64([2, 2, 2])]);
  });
});

describe('recurrent layers: options, initialization and errors', () => {
  it('initializes every parameter from U(−1/√H, 1/√H)', async () => {
    manualSeed(5);
    const lstm = new LSTM(7, 16, { numLayers: 2 });
    for (const [name, p] of lstm.namedParameters()) {
      const values = Array.from(await p.data());
      expect(Math.max(...values.map(Math.abs)), name).toBeLessThanOrEqual(0.25);
      expect(Math.max(...values.map(Math.abs)), name).toBeGreaterThan(0.2); // spread over the interval, not a constant
    }
  });

  it('dropout acts between layers in training only, never on the last layer', async () => {
    const keys = recurrentKeys(4, 4, 3, 2);
    const x = pattern([3, 2, 4], 100);
    const h0 = pattern([2, 2, 3], 101);
    const c0 = pattern([2, 2, 3], 102);
    const plain = new LSTM(4, 3, { numLayers: 2 });
    const dropped = new LSTM(4, 3, { numLayers: 2, dropout: 1 });
    plain.loadStateDict(patternState(keys));
    dropped.loadStateDict(patternState(keys));
    // Training with p = 1: layer 1 reads zeros, so its output is a 1-layer LSTM with layer 1's weights run on zeros.
    const secondLayer = new LSTM(3, 3);
    const layer1 = patternState(keys);
    secondLayer.loadStateDict(Object.fromEntries(keys.slice(4).map(([k]) => [k.replace('_l1', '_l0'), layer1[k]])));
    const reference = secondLayer.forward(x.newZeros([3, 2, 3]), h0.narrow(0, 1, 1), c0.narrow(0, 1, 1));
    const trained = dropped.forward(x, h0, c0);
    await expectClose(trained.output, [3, 2, 3], Array.from(await reference.output.data()), 1e-6);
    expect(Array.from(await trained.output.data()).some((v) => v !== 0)).toBe(true);
    // Layer 0's final state is unaffected by the dropout on its output.
    await expectClose(trained.h.select(0, 0), [2, 3], Array.from(await plain.forward(x, h0, c0).h.select(0, 0).data()), 1e-6);
    // In eval mode dropout is off.
    dropped.eval();
    await expectClose(dropped.forward(x, h0, c0).output, [3, 2, 3], Array.from(await plain.forward(x, h0, c0).output.data()), 1e-6);
  });

  it('rejects bad options and shapes with typed errors naming the layer', () => {
    expect(() => new GRU(4, 3, { dropout: 1.5 })).toThrow('GRU: dropout must be in [0, 1], got 1.5');
    expect(() => new RNN(4, 3, { numLayers: 0 })).toThrow('RNN: numLayers must be a positive integer, got 0');
    expect(() => new LSTMCell(0, 3)).toThrow('LSTMCell: inputSize must be a positive integer, got 0');
    const lstm = new LSTM(4, 3, { numLayers: 2, batchFirst: true });
    expect(() => lstm.forward(randn([2, 5, 6]))).toThrow('LSTM: input must be (N, T, 4) or unbatched (T, 4), got [2,5,6]');
    expect(() => lstm.forward(randn([2, 5, 4]), randn([1, 2, 3]))).toThrow('LSTM: initial state must be [2,2,3] for input [2,5,4], got [1,2,3]');
    expect(() => lstm.forward(randn([2, 5, 4]), undefined, randn([2, 5, 3]))).toThrow(/initial state must be \[2,2,3\]/);
    expect(() => new GRUCell(4, 3).forward(randn([2, 4]), randn([3, 3]))).toThrow('GRUCell: hidden state must be [2,3] for input [2,4], got [3,3]');
    expect(() => new RNNCell(4, 3).forward(randn([2, 5]))).toThrow('RNNCell: input must be (N, 4) or (4), got [2,5]');
  });

  it('forward and backward in a scope leave memory flat', () => {
    manualSeed(9);
    const lstm = new LSTM(4, 8, { numLayers: 2, dropout: 0.2 });
    const x = randn([6, 3, 4]);
    const step = () => scope(() => {
      const { output, h, c } = lstm.forward(x);
      output.square().mean().add(h.sum()).add(c.sum()).backward();
      lstm.zeroGrad();
    });
    step();
    const before = memoryStats();
    for (let i = 0; i < 20; i++) step();
    const after = memoryStats();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });
});
