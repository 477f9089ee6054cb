import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { WGSL, type KernelPath } from '../../src/kernels/wgsl.generated.js';

// Every nn kernel compiles without errors or warnings (a WGSL lint): the messages name the file and line.
describe.skipIf(!gpu)('nn kernels compile', () => {
  const files = (Object.keys(WGSL) as KernelPath[]).filter((k) => /^(pool|lrn|batchnorm|dropout|softmax)\//.test(k));
  it('lists the kernel families', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(file, async () => {
      const module = gpu!.gpu.createShaderModule({ code: WGSL[file]!, label: file });
      const info = await module.getCompilationInfo();
      const msgs = info.messages.map((m) => `${file}:${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`);
      expect(msgs).toEqual([]);
    });
  }
});
