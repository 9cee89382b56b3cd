import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_API_VERSION, createCpuBackend } from '../src/backend-entry.js';
import {
  defaultDevice, DeviceError, getBackend, isFathomError, registerBackend, registeredDevices, tensor, unregisterBackend, useDevice, zeros, type Backend,
} from '../src/index.js';

// A second CPU backend under another name stands in for a GPU: same kernels, separate memory.
function otherDevice(name = 'other'): Backend {
  return { ...createCpuBackend(), name };
}

afterEach(() => {
  unregisterBackend('other');
});

describe('devices', () => {
  it('has cpu by default and nothing registered on import', () => {
    expect(defaultDevice()).toBe('cpu');
    expect(registeredDevices()).toEqual(['cpu']);
  });

  it('names the registered devices when one is missing', () => {
    expect(() => getBackend('webgpu')).toThrow(DeviceError);
    expect(() => getBackend('webgpu')).toThrow(/device 'webgpu' is not registered \(registered: cpu\); register it first/);
  });

  it('refuses a backend speaking another API version', () => {
    const stale = { ...createCpuBackend(), name: 'stale', apiVersion: BACKEND_API_VERSION + 1 };
    expect(() => registerBackend(stale)).toThrow(/speaks Backend API version 3, this @fathom\/core speaks 2/);
  });

  it('useDevice makes a backend the default and to() moves tensors between devices', async () => {
    await useDevice(otherDevice());
    try {
      const x = zeros([2]);
      expect(x.device).toBe('other');
      const back = tensor([1, 2, 3], { device: 'cpu' }).to('other');
      expect(back.device).toBe('other');
      expect(await back.toArray()).toEqual([1, 2, 3]);
      expect(await (await back.toAsync('cpu')).toArray()).toEqual([1, 2, 3]);
    } finally {
      await useDevice('cpu');
    }
  });

  it('registering a name twice replaces the backend (two copies of a package)', () => {
    const first = otherDevice();
    const second = otherDevice();
    expect(registerBackend(first)).toBeUndefined();
    expect(registerBackend(second)).toBe(first);
    expect(getBackend('other')).toBe(second);
  });

  it('rejects mixing devices in one op with both names', () => {
    registerBackend(otherDevice());
    const a = tensor([1, 2], { device: 'cpu' });
    const b = tensor([1, 2], { device: 'other' });
    expect(() => a.add(b)).toThrow("add: expected all tensors on one device, got 'cpu' and 'other'");
  });

  it('rejects a dtype the device does not support', () => {
    registerBackend({ ...otherDevice(), capabilities: { dtypes: ['float32', 'int32', 'bool'], maxBufferElements: 1e6, syncRead: true } });
    expect(() => zeros([2], { device: 'other', dtype: 'float64' })).toThrow(/device 'other' does not support dtype float64/);
  });

  it('recognises errors by brand, not only instanceof (two copies of core)', () => {
    const foreign = Object.assign(new Error('x'), { kind: 'ShapeError' });
    Object.defineProperty(foreign, Symbol.for('@fathom/core/error'), { value: true });
    expect(isFathomError(foreign, 'ShapeError')).toBe(true);
    expect(isFathomError(new Error('plain'))).toBe(false);
  });
});

describe('copy_', () => {
  it('writes broadcast, converted values in place and keeps views in sync', async () => {
    const x = zeros([2, 3]);
    const row = x.select(0, 1);
    x.copy_(tensor([1, 2, 3], { dtype: 'int32' }));
    expect(await x.toArray()).toEqual([[1, 2, 3], [1, 2, 3]]);
    row.copy_(tensor(7));
    expect(await x.toArray()).toEqual([[1, 2, 3], [7, 7, 7]]);
    expect(() => x.copy_(zeros([4]))).toThrow(/cannot be broadcast|does not broadcast/);
  });
});
