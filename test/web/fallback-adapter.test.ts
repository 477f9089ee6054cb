// A fallback adapter counts as a CPU one even when its vendor strings are empty (Firefox hides
// them): the real Dawn adapter, its info replaced.
import { describe, expect, it } from 'vitest';
import { create, globals } from 'webgpu';
import { Device } from '../../src/tensor/device.js';

Object.assign(globalThis, globals);

function gpuWithInfo(info: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }): GPU {
  const real = create([]) as unknown as GPU;
  return {
    requestAdapter: async (o?: GPURequestAdapterOptions) => {
      const a = await real.requestAdapter(o);
      if (!a) return null;
      return new Proxy(a, {
        get: (t, k) => (k === 'info' ? info : typeof (t as never)[k] === 'function' ? (t as never as Record<string, Function>)[k as string]!.bind(t) : (t as never)[k]),
      });
    },
  } as unknown as GPU;
}

describe('Device.create: CPU adapters', () => {
  it('empty vendor strings with isFallbackAdapter: a CPU adapter', async () => {
    const d = await Device.create(gpuWithInfo({ vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: true }));
    expect(d.info.isCpu).toBe(true);
    d.destroy();
  });
  it('empty vendor strings, not a fallback adapter: not taken for a CPU', async () => {
    const d = await Device.create(gpuWithInfo({ vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false }));
    expect(d.info.isCpu).toBe(false);
    d.destroy();
  });
});
