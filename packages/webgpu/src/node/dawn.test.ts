import { describe, expect, it } from 'vitest';
import { dawnFlags } from './dawn.js';

describe('dawnFlags', () => {
  it("turns Dawn's timestamp quantization off, so that profiles get GPU times to the nanosecond", () => {
    expect(dawnFlags()).toEqual(['disable-dawn-features=timestamp_quantization']);
    expect(dawnFlags({ enable: ['dump_shaders'], disable: ['lazy_clear_resource_on_first_use'], flags: ['backend=vulkan'] })).toEqual([
      'backend=vulkan', 'enable-dawn-features=dump_shaders', 'disable-dawn-features=lazy_clear_resource_on_first_use,timestamp_quantization',
    ]);
  });

  it('leaves the toggle alone where the options set it or pass toggle flags of their own', () => {
    expect(dawnFlags({ enable: ['timestamp_quantization'] })).toEqual(['enable-dawn-features=timestamp_quantization']);
    expect(dawnFlags({ disable: ['timestamp_quantization'] })).toEqual(['disable-dawn-features=timestamp_quantization']);
    expect(dawnFlags({ flags: ['disable-dawn-features=dump_shaders'] })).toEqual(['disable-dawn-features=dump_shaders']);
  });
});
