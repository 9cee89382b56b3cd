import { describe, expect, it } from 'vitest';
import { tensor, zeros, type Tensor } from '@fathom/core';
import { bytesSource } from '../src/byte-source.js';
import { encodeSafetensors } from '../src/safetensors/write.js';
import { loadWeightsFrom, weightsFormatOf, type StateDictModule } from '../src/weights.js';

/** The least a module is: named tensors, copied into in place. */
function moduleOf(tensors: Record<string, Tensor>): StateDictModule {
  return {
    stateDict: () => tensors,
    loadStateDict: (state) => {
      for (const [key, value] of Object.entries(state)) tensors[key].copy_(value);
    },
  };
}

describe('loadWeightsFrom', () => {
  it('reads only the keys under a prefix, stripping it, and casts to the module\'s dtypes', async () => {
    const bytes = await encodeSafetensors({
      'model.w': tensor(new Float64Array([0.5, -2])), 'model.n': tensor(new Int32Array([7])), 'optimizer.0.momentum_buffer': tensor([1, 1]),
    });
    const module = moduleOf({ w: zeros([2]), n: zeros([1], { dtype: 'int32' }) });
    const result = await loadWeightsFrom(module, bytesSource(bytes, 'run.safetensors'), { prefix: 'model.' });
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const { w, n } = module.stateDict();
    expect(w.dtype).toBe('float32');
    expect(await w.toArray()).toEqual([0.5, -2]);
    expect(await n.toArray()).toEqual([7]);
  });

  it('loads what matches when not strict, and reports the rest', async () => {
    const bytes = await encodeSafetensors({ a: tensor([1]), extra: tensor([2]) });
    const module = moduleOf({ a: zeros([1]), b: zeros([3]) });
    expect(await loadWeightsFrom(module, bytesSource(bytes, 'w.safetensors'), { strict: false })).toEqual({ missingKeys: ['b'], unexpectedKeys: ['extra'] });
    expect(await module.stateDict().a.toArray()).toEqual([1]);
    await expect(loadWeightsFrom(module, bytesSource(bytes, 'w.safetensors'))).rejects.toThrow(/1 missing key \(b \[3\]\); 1 unexpected key \(extra \[1\]\)/);
  });

  it('tells the format from the extension, or says it cannot', () => {
    expect(['a.safetensors', 'r18.pth', 'ckpt.pth.tar', 'x.pt', 'y.bin'].map(weightsFormatOf)).toEqual(['safetensors', 'pth', 'pth', 'pth', 'pth']);
    expect(() => weightsFormatOf('weights.h5')).toThrow(/cannot tell the format of 'weights.h5'/);
  });
});
