import { beforeAll, describe, expect, it } from 'vitest';
import { manualSeed, memoryStats, randint, randn, scope, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { crossEntropy, summary } from '@fathom/layers';
import { SGD } from '@fathom/optim';
import { yieldToRunner } from '../test/yield-to-runner.js';
import { BasicBlock, Bottleneck, resnet18, resnet34, resnet50, ResNet } from './resnet.js';

useAutograd();

const countParameters = (model: { parameters(): Tensor[] }): number => model.parameters().reduce((total, p) => total + p.numel, 0);
const shapeOf = (model: { stateDict(): Record<string, Tensor> }, key: string): readonly number[] | undefined => model.stateDict()[key]?.shape;
const bnKeys = (prefix: string): string[] => ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((name) => `${prefix}.${name}`);

/** Mean and (population) standard deviation of a tensor's values, with a plain loop. */
function moments(t: Tensor): { mean: number; std: number; maxAbs: number } {
  const values = t.dataSync();
  let sum = 0;
  let maxAbs = 0;
  for (const v of values) {
    sum += v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length), maxAbs };
}

describe('resnet18', () => {
  let model: ResNet;
  beforeAll(async () => {
    await yieldToRunner();
    manualSeed(0);
    model = resnet18();
  }, 120_000);

  it("has torchvision's 11,689,512 parameters", () => {
    expect(countParameters(model)).toBe(11_689_512);
  });

  it("has torchvision's 122 state-dict entries, in torchvision's order", () => {
    // 20 conv/BN pairs (the stem, 8 blocks × 2, 3 downsample shortcuts in layer2–4):
    // each a conv weight plus BN weight, bias, running_mean, running_var,
    // num_batches_tracked = 6 entries → 120, and fc.weight, fc.bias → 122.
    const keys = Object.keys(model.stateDict());
    expect(keys).toHaveLength(122);
    expect(model.namedParameters()).toHaveLength(20 + 20 * 2 + 2);
    expect(model.namedBuffers()).toHaveLength(20 * 3);
    expect(keys.slice(0, 7)).toEqual(['conv1.weight', ...bnKeys('bn1'), 'layer1.0.conv1.weight']);
    expect(keys.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    const start = keys.indexOf('layer2.0.conv1.weight');
    expect(keys.slice(start, start + 19)).toEqual([
      'layer2.0.conv1.weight', ...bnKeys('layer2.0.bn1'),
      'layer2.0.conv2.weight', ...bnKeys('layer2.0.bn2'),
      'layer2.0.downsample.0.weight', ...bnKeys('layer2.0.downsample.1'),
      'layer2.1.conv1.weight',
    ]);
    expect(keys.filter((k) => k.includes('downsample.0.weight'))).toEqual(['layer2.0.downsample.0.weight', 'layer3.0.downsample.0.weight', 'layer4.0.downsample.0.weight']);
    expect(keys).not.toContain('layer1.0.downsample.0.weight');
    expect(keys.filter((k) => k.endsWith('num_batches_tracked'))).toHaveLength(20);
    expect(keys.some((k) => k.includes('relu') || k.includes('pool'))).toBe(false);
  });

  it("has torchvision's tensor shapes", () => {
    expect(shapeOf(model, 'conv1.weight')).toEqual([64, 3, 7, 7]);
    expect(shapeOf(model, 'layer1.0.conv1.weight')).toEqual([64, 64, 3, 3]);
    expect(shapeOf(model, 'layer2.0.conv1.weight')).toEqual([128, 64, 3, 3]);
    expect(shapeOf(model, 'layer3.0.downsample.0.weight')).toEqual([256, 128, 1, 1]);
    expect(shapeOf(model, 'layer4.1.bn2.running_var')).toEqual([512]);
    expect(shapeOf(model, 'bn1.num_batches_tracked')).toEqual([]);
    expect(shapeOf(model, 'fc.weight')).toEqual([1000, 512]);
  });

  it("is initialized as torchvision: conv kaimingNormal (fan out, ReLU), BatchNorm ones and zeros", () => {
    // layer4.0.conv2.weight is (512, 512, 3, 3): fan out 512·9 = 4608, so std √(2/4608) ≈ 0.02083.
    const conv = moments(model.stateDict()['layer4.0.conv2.weight']);
    expect(Math.abs(conv.std / Math.sqrt(2 / 4608) - 1)).toBeLessThan(0.01);
    expect(Math.abs(conv.mean)).toBeLessThan(0.01 * conv.std); // the mean of 2.4 M draws strays ~0.0007 std
    // PyTorch's default (a uniform bound of 1/√fanIn) would never exceed 1.73 std; a normal does.
    expect(conv.maxAbs).toBeGreaterThan(4 * conv.std);
    // conv1.weight (64, 3, 7, 7): fan out 64·49 = 3136.
    expect(Math.abs(moments(model.conv1.weight).std / Math.sqrt(2 / 3136) - 1)).toBeLessThan(0.05);
    expect(Array.from(model.bn1.weight!.dataSync())).toEqual(new Array(64).fill(1));
    expect(Array.from(model.stateDict()['layer3.1.bn2.bias'].dataSync())).toEqual(new Array(256).fill(0));
  });

  it('maps [2, 3, 64, 64] to [2, 1000] in training and evaluation mode', () => {
    // 64 → conv1/2 32 → maxpool 16 → layer1 16 → layer2 8 → layer3 4 → layer4 2 → avgpool 1.
    expect(scope(() => model.train().forward(randn([2, 3, 64, 64])).shape)).toEqual([2, 1000]);
    expect(scope(() => model.eval().forward(randn([1, 3, 64, 64])).shape)).toEqual([1, 1000]);
    model.train();
  });

  it('names a wrong input shape', () => {
    expect(() => model.forward(randn([2, 1, 64, 64]))).toThrow('ResNet: input must be (N, 3, H, W), got [2,1,64,64]');
    expect(() => model.forward(randn([3, 64, 64]))).toThrow('ResNet: input must be (N, 3, H, W), got [3,64,64]');
  });

  it('trains: one SGD step reaches every parameter and updates the BatchNorm statistics', () => {
    const before = Array.from(model.fc.bias!.dataSync());
    const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
    scope(() => {
      // 16×16 keeps it quick: the stem leaves 4×4, layer4 1×1.
      const loss = crossEntropy(model.forward(randn([2, 3, 16, 16])), randint(0, 1000, [2]));
      optimizer.zeroGrad();
      loss.backward();
      const missing = model.namedParameters().filter(([, p]) => !p.grad).map(([name]) => name);
      expect(missing).toEqual([]);
      optimizer.step();
    });
    expect(Array.from(model.fc.bias!.dataSync())).not.toEqual(before);
    const state = model.stateDict();
    expect(Array.from(state['layer4.1.bn2.num_batches_tracked'].dataSync())).toEqual([2]); // the 64×64 training pass above, and this one
    expect(Array.from(state['bn1.running_mean'].dataSync()).some((v) => v !== 0)).toBe(true);
    optimizer.zeroGrad();
  });
});

describe('resnet18 with smallInput (the CIFAR stem)', () => {
  it('uses a 3×3 stride-1 conv1 and no max pooling: 11,173,962 parameters for 10 classes', async () => {
    await yieldToRunner();
    const model = resnet18({ numClasses: 10, smallInput: true });
    // torchvision's 11,689,512, less 64·3·(7·7 − 3·3) = 7,680 in conv1 and (1000 − 10)·(512 + 1) = 507,870 in fc.
    expect(countParameters(model)).toBe(11_173_962);
    expect(Object.keys(model.stateDict())).toHaveLength(122);
    expect(shapeOf(model, 'conv1.weight')).toEqual([64, 3, 3, 3]);
    const table = summary(model, [1, 3, 32, 32]);
    // The stem keeps 32×32, so layer1 runs at full resolution and layer4 at 4×4.
    expect(table).toMatch(/layer1 \(Sequential\)\s+\[1, 64, 32, 32\]/);
    expect(table).toMatch(/layer4 \(Sequential\)\s+\[1, 512, 4, 4\]/);
    expect(table).toMatch(/fc \(Linear\)\s+\[1, 10\]/);
  });
});

describe('resnet34', () => {
  it("has torchvision's 21,797,672 parameters and 218 entries; zeroInitResidual zeroes every bn2", async () => {
    await yieldToRunner();
    const model = resnet34({ zeroInitResidual: true });
    expect(countParameters(model)).toBe(21_797_672);
    // 1 + 16 blocks × 2 + 3 shortcuts = 36 conv/BN pairs × 6 + fc's 2.
    expect(Object.keys(model.stateDict())).toHaveLength(218);
    const state = model.stateDict();
    const bn2Weights = Object.keys(state).filter((k) => k.endsWith('.bn2.weight'));
    expect(bn2Weights).toHaveLength(16);
    for (const key of bn2Weights) expect(state[key].dataSync().every((v) => v === 0)).toBe(true);
    expect(state['layer1.0.bn1.weight'].dataSync().every((v) => v === 1)).toBe(true);
    // With bn2 at zero a block without a shortcut projection is relu(x): the identity on a ReLU output.
    const x = randn([1, 64, 4, 4]).relu();
    expect(Array.from(model.layer1.at(1).forward(x).dataSync())).toEqual(Array.from(x.dataSync()));
  });
});

describe('resnet50', () => {
  it("has torchvision's 25,557,032 parameters, 320 entries and Bottleneck shapes", async () => {
    await yieldToRunner();
    const model = resnet50({ zeroInitResidual: true });
    expect(countParameters(model)).toBe(25_557_032);
    // 1 + 16 blocks × 3 + 4 shortcuts (layer1's too: 64 → 256 channels) = 53 conv/BN pairs × 6 + 2.
    expect(Object.keys(model.stateDict())).toHaveLength(320);
    expect(shapeOf(model, 'layer1.0.conv1.weight')).toEqual([64, 64, 1, 1]);
    expect(shapeOf(model, 'layer1.0.conv3.weight')).toEqual([256, 64, 1, 1]);
    expect(shapeOf(model, 'layer1.0.downsample.0.weight')).toEqual([256, 64, 1, 1]);
    expect(shapeOf(model, 'layer2.0.conv2.weight')).toEqual([128, 128, 3, 3]);
    expect(shapeOf(model, 'layer4.2.bn3.running_mean')).toEqual([2048]);
    expect(shapeOf(model, 'fc.weight')).toEqual([1000, 2048]);
    const state = model.stateDict();
    const bn3Weights = Object.keys(state).filter((k) => k.endsWith('.bn3.weight'));
    expect(bn3Weights).toHaveLength(16);
    for (const key of bn3Weights) expect(state[key].dataSync().every((v) => v === 0)).toBe(true);
    expect(state['layer2.1.bn2.weight'].dataSync().every((v) => v === 1)).toBe(true);
    const x = randn([1, 256, 4, 4]).relu();
    expect(Array.from(model.layer1.at(2).forward(x).dataSync())).toEqual(Array.from(x.dataSync()));
  });
});

describe('residual blocks and the ResNet constructor', () => {
  it('Bottleneck with groups and baseWidth (ResNeXt-style) sizes its 3×3 convolution as torchvision', () => {
    // ResNeXt-50 32×4d's layer3 block: width ⌊128·4/64⌋·32 = 256.
    const block = new Bottleneck(512, 128, { groups: 32, baseWidth: 4 });
    expect(block.conv2.weight.shape).toEqual([256, 8, 3, 3]);
    // conv1 512·256 + bn1 2·256 + conv2 256·8·9 + bn2 2·256 + conv3 256·512 + bn3 2·512.
    expect(countParameters(block)).toBe(131_072 + 512 + 18_432 + 512 + 131_072 + 1_024);
    expect(block.forward(randn([1, 512, 4, 4])).shape).toEqual([1, 512, 4, 4]);
  });

  it('a strided block with a shortcut projection halves the resolution', async () => {
    await yieldToRunner();
    const model = new ResNet(BasicBlock, [1, 1, 1, 1], { numClasses: 7, inChannels: 1, smallInput: true });
    const table = summary(model, [2, 1, 16, 16]);
    expect(table).toMatch(/layer2\.0\.downsample \(Sequential\)\s+\[2, 128, 8, 8\]/);
    expect(table).toMatch(/layer4 \(Sequential\)\s+\[2, 512, 2, 2\]/);
    expect(model.forward(randn([2, 1, 16, 16])).shape).toEqual([2, 7]);
    expect(() => model.forward(randn([2, 3, 16, 16]))).toThrow('ResNet: input must be (N, 1, H, W), got [2,3,16,16]');
  });

  // A block's forward leaves held what its backward reads: both BatchNorms' centred inputs, both
  // ReLUs' outputs (the second is the block's output) and per-channel terms. The convolutions' and
  // BatchNorms' outputs and the residual sum, five more activations, are released when it returns.
  it('keeps only what backward reads once a block returns', () => {
    manualSeed(3);
    const [n, planes, size] = [2, 8, 6];
    const activation = n * planes * size * size * 4;
    for (const block of [new BasicBlock(planes, planes), new Bottleneck(planes * 4, planes)]) {
      const held = scope(() => {
        const x = randn([n, block instanceof Bottleneck ? planes * 4 : planes, size, size]).setRequiresGrad();
        const before = memoryStats('cpu').bytes;
        const out = block.forward(x);
        const bytes = memoryStats('cpu').bytes - before;
        out.sum().backward();
        return bytes;
      });
      // BasicBlock: 2 BatchNorm deviations + 2 ReLU outputs; Bottleneck: 3 deviations (one 4× wide) + 3 ReLU outputs (one 4× wide).
      const kept = block instanceof Bottleneck ? (1 + 1 + 4 + 1 + 1 + 4) * activation : 4 * activation;
      expect(held - kept).toBeGreaterThanOrEqual(0);
      expect(held - kept, 'per-channel terms only').toBeLessThan(activation / 4);
    }
  });

  it('rejects what torchvision rejects', () => {
    expect(() => new BasicBlock(64, 64, { groups: 2 })).toThrow('BasicBlock: only groups 1 and baseWidth 64 are supported, got groups 2 and baseWidth 64');
    expect(() => new Bottleneck(256, 128)).toThrow(
      'Bottleneck: a shortcut from 256 channels at stride 1 to 512 channels at stride 1 needs a downsample',
    );
    expect(() => new BasicBlock(64, 128, { stride: 2 })).toThrow(/from 64 channels at stride 2 to 128 channels .* needs a downsample/);
    expect(() => new ResNet(BasicBlock, [2, 2, 0, 2])).toThrow('ResNet: layers must be four positive integers, got [2, 2, 0, 2]');
  });
});
