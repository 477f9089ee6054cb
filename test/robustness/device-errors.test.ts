// Issue 14 point 7: a GPU error surfaces once, as an exception, and stops further work; Dawn's
// validation messages are handled (never printed by dawn.node); a tensor over the adapter's
// maxBufferSize is refused before any GPU call.
import { describe, expect, it } from 'vitest';

import { gpu } from '../helpers/gpu.js';
import { add, Tensor } from '../../src/tensor/index.js';

describe.skipIf(!gpu)('GPU errors', () => {
  const d = gpu!;

  it('a tensor larger than maxBufferSize is refused with the figures, and no GPU error follows', async () => {
    const max = d.limits.maxBufferSize;
    const n = Math.ceil(max / 4) + 1024; // elements: just over the limit
    expect(() => Tensor.empty([n])).toThrow(new RegExp(`${n * 4} bytes .*exceeds this adapter's maxBufferSize \\(${max} bytes\\)`));
    await d.sync();
    expect(d.takeErrors()).toEqual([]);
  });

  it('many validation errors surface once, counted, quoting the first few; then work goes on', async () => {
    const size = d.limits.maxBufferSize + 256;
    for (let i = 0; i < 40; i++) d.gpu.createBuffer({ size, usage: GPUBufferUsage.STORAGE }); // each one an error
    await expect(d.sync()).rejects.toThrow(/^WebGPU reported 40 error\(s\) \(the first 5\):\n.*max buffer size/);
    // reported once: the next wait succeeds, and a tensor round-trips
    await d.sync();
    const t = Tensor.fromArray([1.5, -2, 3.25], [3]);
    expect(Array.from(await t.toArray())).toEqual([1.5, -2, 3.25]);
    t.dispose();
  });

  it('recording stops at the first call after an error arrived (no flood of failing dispatches)', async () => {
    d.gpu.createBuffer({ size: d.limits.maxBufferSize + 256, usage: GPUBufferUsage.STORAGE });
    // the error arrives while the process waits on the GPU; then the next dispatch throws
    await new Promise((r) => setTimeout(r, 50));
    await d.gpu.queue.onSubmittedWorkDone();
    const x = Tensor.fromArray([1, 2, 3, 4], [4]);
    expect(() => add(x, x)).toThrow(/^WebGPU reported 1 error\(s\):\n.*max buffer size/);
    await d.sync(); // reported once
    x.dispose();
  });
});
