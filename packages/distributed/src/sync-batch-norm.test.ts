import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cat, isFathomError, manualSeed, ones, randn, registerBackend, tensor, unregisterBackend, zeros, type Backend, type Tensor } from '@fathom/core';
import { createCpuBackend } from '@fathom/core/backend';
import { gradcheck, noGrad } from '@fathom/autograd';
import { BatchNorm1d, BatchNorm2d, Conv2d, Module, ReLU, Sequential } from '@fathom/layers';
import type { CommunicationBuffer, ReduceOp } from './communicator.js';
import { ProcessGroup } from './process-group.js';
import { SingleProcessCommunicator } from './single-process-communicator.js';
import { SyncBatchNorm, syncBatchNorm } from './sync-batch-norm.js';

// A world of one that counts the collectives it is asked for.
class CountingCommunicator extends SingleProcessCommunicator {
  readonly calls: string[] = [];
  override allReduceSync(buffer: CommunicationBuffer, op: Exclude<ReduceOp, 'mean'>): void {
    this.calls.push('allReduceSync');
    super.allReduceSync(buffer, op);
  }
  override allGatherSync(send: CommunicationBuffer, receive: CommunicationBuffer): void {
    this.calls.push('allGatherSync');
    super.allGatherSync(send, receive);
  }
}

// Rank 0 of a world of two whose other rank holds the same batch: every collective sees this rank's values twice.
class MirroredCommunicator extends SingleProcessCommunicator {
  override readonly size = 2 as 1;
  override allReduceSync(buffer: CommunicationBuffer): void {
    for (let i = 0; i < buffer.length; i++) buffer[i] *= 2;
  }
  override allGatherSync(send: CommunicationBuffer, receive: CommunicationBuffer): void {
    receive.set(send, 0);
    receive.set(send, send.length);
  }
}

const one = () => new ProcessGroup(new SingleProcessCommunicator());
const values = (t: Tensor | null) => Array.from(t!.dataSync());

function expectClose(actual: Tensor | null, expected: Tensor | null, what: string, rtol = 1e-6, atol = 1e-6): void {
  const got = values(actual);
  const want = values(expected);
  expect(got.length, what).toBe(want.length);
  got.forEach((v, i) => {
    if (!(Math.abs(v - want[i]) <= atol + rtol * Math.abs(want[i]))) throw new Error(`${what}: element ${i} is ${v}, expected ${want[i]} (rtol ${rtol}, atol ${atol})`);
  });
}

// A BatchNorm2d and a SyncBatchNorm with the same (non-trivial) weight and bias.
function pair(channels: number, group: ProcessGroup, options: { momentum?: number } = {}): { reference: BatchNorm2d; synced: SyncBatchNorm } {
  const reference = new BatchNorm2d(channels, options);
  const synced = new SyncBatchNorm(channels, { ...options, group });
  noGrad(() => {
    reference.weight!.copy_(randn([channels]));
    reference.bias!.copy_(randn([channels]));
  });
  synced.loadStateDict(reference.stateDict());
  return { reference, synced };
}

describe('SyncBatchNorm in a world of one', () => {
  it('equals BatchNorm2d bit for bit: outputs and running statistics over three steps, then in evaluation', () => {
    manualSeed(1);
    const { reference, synced } = pair(3, one(), { momentum: 0.3 });
    for (let step = 0; step < 3; step++) {
      const x = randn([5, 3, 4, 2]).mul(step + 1).add(step - 1);
      expect(values(synced.forward(x))).toEqual(values(reference.forward(x)));
    }
    expect(Object.keys(synced.stateDict())).toEqual(Object.keys(reference.stateDict()));
    for (const [key, t] of Object.entries(reference.stateDict())) expect(values(synced.stateDict()[key]), key).toEqual(values(t));
    synced.eval();
    reference.eval();
    const x = randn([2, 3, 4, 2]);
    expect(values(synced.forward(x))).toEqual(values(reference.forward(x)));
  });

  it('gives BatchNorm2d\'s input, weight and bias gradients within 1e-6', () => {
    manualSeed(2);
    const { reference, synced } = pair(4, one());
    const data = randn([6, 4, 3, 3]).mul(2).add(0.5);
    const r = randn([6, 4, 3, 3]);
    const run = (module: Module & { forward(x: Tensor): Tensor }) => {
      const x = data.clone().setRequiresGrad();
      module.forward(x).mul(r).sum().backward();
      return x.grad;
    };
    expectClose(run(synced), run(reference), 'input gradient');
    expectClose(synced.weight!.grad, reference.weight!.grad, 'weight gradient');
    expectClose(synced.bias!.grad, reference.bias!.grad, 'bias gradient');
  });

  it('takes (N, C) and (N, C, L) inputs as BatchNorm1d does', () => {
    manualSeed(3);
    for (const shape of [[7, 3], [4, 3, 5]]) {
      const reference = new BatchNorm1d(3);
      const synced = new SyncBatchNorm(3, { group: one() });
      const x = randn(shape).add(3);
      expect(values(synced.forward(x)), `${shape}`).toEqual(values(reference.forward(x)));
      expect(values(synced.stateDict().running_var)).toEqual(values(reference.stateDict().running_var));
    }
  });

  it('passes gradcheck in float64 (with and without weight and bias)', () => {
    manualSeed(4);
    const x = randn([3, 2, 2, 2], { dtype: 'float64' }).mul(1.5).add(0.3);
    const weight = randn([2], { dtype: 'float64' });
    const bias = randn([2], { dtype: 'float64' });
    const group = one();
    expect(() => gradcheck((a, w, b) => syncBatchNorm(a, w, b, group).output, [x, weight, bias])).not.toThrow();
    expect(() => gradcheck((a) => syncBatchNorm(a, null, null, group).output, [x])).not.toThrow();
    expect(() => gradcheck((a, b) => syncBatchNorm(a, null, b, group).output.square(), [x, bias])).not.toThrow();
  });

  it('communicates once in forward (all-gather) and once in backward (all-reduce); not at all in evaluation', () => {
    const communicator = new CountingCommunicator();
    const synced = new SyncBatchNorm(2, { group: new ProcessGroup(communicator) });
    const x = randn([3, 2, 2, 2]).setRequiresGrad();
    const y = synced.forward(x);
    expect(communicator.calls).toEqual(['allGatherSync']);
    y.sum().backward();
    expect(communicator.calls).toEqual(['allGatherSync', 'allReduceSync']);
    // No input gradient wanted: the weight and bias gradients are local, nothing to exchange.
    synced.forward(randn([3, 2, 2, 2])).sum().backward();
    expect(communicator.calls).toEqual(['allGatherSync', 'allReduceSync', 'allGatherSync']);
    synced.eval();
    synced.forward(randn([3, 2, 2, 2]));
    expect(communicator.calls.length).toBe(3);
  });

  it('refuses inputs it cannot normalise, naming the shapes', () => {
    const synced = new SyncBatchNorm(3, { group: one() });
    expect(() => synced.forward(randn([2, 4, 2]))).toThrow(/SyncBatchNorm\(3\): expected input with 2 or 3 or 4 or 5 dims and 3 channels in dim 1, got \[2, ?4, ?2\]/);
    expect(() => synced.forward(randn([3]))).toThrow(/got \[3\]/);
    expect(() => syncBatchNorm(tensor([[1, 2]], { dtype: 'int32' }), null, null, one())).toThrow(/expected a float input, got int32/);
    expect(() => syncBatchNorm(randn([2, 3]), randn([2]), null, one())).toThrow(/weight must have shape \[3\]/);
    const running = { mean: zeros([3]), variance: ones([4]), momentum: 0.1 };
    expect(() => syncBatchNorm(randn([2, 3]), null, null, one(), 1e-5, running)).toThrow(/running variance must have shape \[3\], got \[4\]/);
  });
});

describe('SyncBatchNorm over ranks (rank 0 of two that hold the same batch)', () => {
  it('normalises with the statistics of both batches: BatchNorm2d over the batch twice, its running variance unbiased by 2n', () => {
    manualSeed(5);
    const { reference, synced } = pair(3, new ProcessGroup(new MirroredCommunicator()));
    const data = randn([4, 3, 2, 2]).mul(3).add(1);
    const r = randn([4, 3, 2, 2]);
    const x = data.clone().setRequiresGrad();
    const out = synced.forward(x);
    out.mul(r).sum().backward();
    const both = cat([data, data]).setRequiresGrad();
    const expected = reference.forward(both);
    expected.mul(cat([r, r])).sum().backward();
    const T3 = [1e-5, 1e-5] as const;
    expectClose(out, expected.slice(0, 0, 4), 'output', ...T3);
    expectClose(synced.stateDict().running_mean, reference.stateDict().running_mean, 'running mean', ...T3);
    expectClose(synced.stateDict().running_var, reference.stateDict().running_var, 'running variance', ...T3);
    expectClose(x.grad, both.grad!.slice(0, 0, 4), 'input gradient', ...T3);
    // Local weight and bias gradients: this rank's half of the single-process ones.
    expectClose(synced.weight!.grad!.mul(2), reference.weight!.grad, 'weight gradient × 2', ...T3);
    expectClose(synced.bias!.grad!.mul(2), reference.bias!.grad, 'bias gradient × 2', ...T3);
  });
});

describe('SyncBatchNorm.convertSyncBatchnorm', () => {
  class Block extends Module {
    readonly conv = this.registerModule('conv', new Conv2d(3, 4, 3, { padding: 1 }));
    readonly bn = this.registerModule('bn', new BatchNorm2d(4, { eps: 1e-3, momentum: 0.2 }));
    readonly head = this.registerModule('head', new Sequential(new Conv2d(4, 2, 1), new BatchNorm2d(2), new ReLU()));
    forward(x: Tensor): Tensor {
      return this.head.forward(this.bn.forward(this.conv.forward(x)).relu());
    }
  }

  it('turns every BatchNorm of a small conv net into a SyncBatchNorm with the same tensors, options, mode and state-dict keys', () => {
    manualSeed(6);
    const net = new Block();
    const x = randn([2, 3, 5, 5]);
    net.forward(x); // running statistics away from their initial values
    const before = net.stateDict();
    const parameters = net.parameters();
    const reference = new Block();
    reference.loadStateDict(before);
    // One of them in evaluation mode, which the conversion must keep.
    net.head.at(1).eval();
    reference.head.at(1).eval();

    const group = one();
    expect(SyncBatchNorm.convertSyncBatchnorm(net, group)).toBe(net);
    const converted = net.modules().filter((m) => m instanceof SyncBatchNorm) as SyncBatchNorm[];
    expect(converted).toHaveLength(2);
    expect(net.bn).toBeInstanceOf(SyncBatchNorm);
    expect(net.head.at(1)).toBeInstanceOf(SyncBatchNorm);
    expect(net.modules().some((m) => m instanceof BatchNorm2d)).toBe(false);
    expect(converted.map((m) => [m.numFeatures, m.eps, m.momentum, m.training])).toEqual([[4, 1e-3, 0.2, true], [2, 1e-5, 0.1, false]]);
    for (const m of converted) expect(m.group).toBe(group);

    const after = net.stateDict();
    expect(Object.keys(after)).toEqual(Object.keys(before));
    for (const key of Object.keys(before)) {
      expect(after[key], key).toBe(before[key]);
      expect(values(after[key]), key).toEqual(values(reference.stateDict()[key]));
    }
    expect(net.parameters()).toEqual(parameters);
    // In a world of one the converted net computes what it did before.
    expect(values(net.forward(x))).toEqual(values(reference.forward(x)));
    expect(values(net.stateDict()['bn.running_var'])).toEqual(values(reference.stateDict()['bn.running_var']));
  });

  it('converts a BatchNorm given as the module itself, and leaves other modules alone', () => {
    const bn = new BatchNorm1d(3);
    expect(SyncBatchNorm.convertSyncBatchnorm(bn, one())).toBeInstanceOf(SyncBatchNorm);
    const relu = new ReLU();
    expect(SyncBatchNorm.convertSyncBatchnorm(relu, one())).toBe(relu);
  });
});

describe('SyncBatchNorm on a device that reads only asynchronously (as webgpu)', () => {
  // The CPU's kernels without readSync, as packages/datasets does for its own check.
  const cpu = createCpuBackend();
  const asyncOnly: Backend = { ...cpu, name: 'async-only', capabilities: { ...cpu.capabilities, syncRead: false }, readSync: undefined };
  beforeAll(() => registerBackend(asyncOnly));
  afterAll(() => unregisterBackend(asyncOnly.name));

  it('throws a DistributedError naming the device and what to do, at once, instead of waiting', () => {
    const synced = new SyncBatchNorm(2, { group: one() }).to(asyncOnly.name);
    const x = randn([3, 2, 2, 2]).to(asyncOnly.name);
    let error: unknown;
    try {
      synced.forward(x);
    } catch (caught) {
      error = caught;
    }
    expect(isFathomError(error, 'DeviceError')).toBe(true);
    expect((error as Error).name).toBe('DistributedError');
    expect((error as Error).message).toMatch(/SyncBatchNorm needs a device with synchronous reads \(cpu or wasm\); this tensor is on 'async-only'/);
    // Evaluation needs no exchange, so it runs there.
    synced.eval();
    expect(synced.forward(x).shape).toEqual([3, 2, 2, 2]);
  });
});
