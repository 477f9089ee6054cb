// The device's parts, each alone and without a GPU: the uniform arena's packing, the quiet
// waits' estimates, the buffer pool's buckets. (runtime.test.ts checks them inside a device.)

import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/tensor/buffer-pool.js';
import { QuietWaits } from '../../src/tensor/quiet-waits.js';
import { UniformArena } from '../../src/tensor/uniform-arena.js';

/** Just enough of a GPUDevice and GPUQueue for the parts that only create and write buffers. */
function fakeGpu() {
  const created: { size: number; destroyed: boolean }[] = [];
  const writes: { offset: number; bytes: Uint8Array }[] = [];
  const gpu = {
    createBuffer: (d: { size: number }) => {
      const b = { size: d.size, destroyed: false, destroy() { b.destroyed = true; } };
      created.push(b);
      return b;
    },
  } as unknown as GPUDevice;
  const queue = {
    writeBuffer: (_b: unknown, offset: number, data: Uint8Array, dataOffset: number, size: number) => {
      writes.push({ offset, bytes: data.slice(dataOffset, dataOffset + size) });
    },
  } as unknown as GPUQueue;
  return { gpu, queue, created, writes };
}

describe('UniformArena', () => {
  it('packs u32, i32 and f32 words in order, one 256-byte slot per dispatch, and uploads the used part', () => {
    const { gpu, queue, writes } = fakeGpu();
    const arena = new UniformArena(gpu);
    const flush = () => { throw new Error('no flush expected'); };
    const a = arena.write([{ u: 7 }, { i: -3 }, { f: 1.5 }], flush);
    const b = arena.write(Uint32Array.of(11, 12, 13, 14, 15), flush);
    expect(a).toEqual({ offset: 0, size: 16 });
    expect(b).toEqual({ offset: 256, size: 32 });
    arena.upload(queue);
    expect(writes).toHaveLength(1);
    const view = new DataView(writes[0]!.bytes.buffer);
    expect(writes[0]!.bytes.byteLength).toBe(512);
    expect([view.getUint32(0, true), view.getInt32(4, true), view.getFloat32(8, true)]).toEqual([7, -3, 1.5]);
    expect([0, 1, 2, 3, 4].map((i) => view.getUint32(256 + 4 * i, true))).toEqual([11, 12, 13, 14, 15]);
    arena.upload(queue); // nothing new: no write
    expect(writes).toHaveLength(1);
  });

  it('flushes when full and starts again at 0; refuses parameters larger than 16 slots', () => {
    const { gpu, queue } = fakeGpu();
    const arena = new UniformArena(gpu);
    let flushes = 0;
    const flush = () => {
      flushes++;
      arena.upload(queue);
    };
    const slots = (1 << 20) / 256;
    for (let i = 0; i < slots; i++) arena.write([{ u: i }], flush);
    expect(flushes).toBe(0);
    expect(arena.write([{ u: 1 }], flush).offset).toBe(0);
    expect(flushes).toBe(1);
    expect(() => arena.write(new Uint32Array(1025), flush)).toThrow(/uniform parameters too large/);
  });
});

describe('QuietWaits', () => {
  const work = (ms: number) => () => new Promise((r) => setTimeout(r, ms));

  it('learns how long a job takes and sleeps through most of it the next time', async () => {
    const stats = { sleptMs: 0 };
    const w = new QuietWaits(true, stats);
    const job = async () => {
      w.noteDispatch(3, 4, 1, 1);
      await w.wait(work(40));
    };
    await job(); // first time: nothing known, no sleep
    expect(stats.sleptMs).toBe(0);
    // the estimates are private: read them as a test of the rule, not as an API
    const estimates = (w as unknown as { estimates: Map<number, number> }).estimates;
    expect(estimates.size).toBe(1);
    const estimate = [...estimates.values()][0]!;
    expect(estimate).toBeGreaterThanOrEqual(39); // the job's 40 ms timer, or more on a busy machine
    await job();
    // 85% of the estimate, timed from the wait
    expect(stats.sleptMs).toBeCloseTo(0.85 * estimate, 6);
  });

  it('times the wait, not the CPU work before it: a slow first preparation does not make later waits oversleep', async () => {
    const stats = { sleptMs: 0 };
    const w = new QuietWaits(true, stats);
    const job = async (prepareMs: number) => {
      w.noteDispatch(5, 8, 1, 1); // submitted, then the CPU prepares the rest (decoding, say)
      await new Promise((r) => setTimeout(r, prepareMs));
      w.noteDispatch(6, 8, 1, 1);
      const t = performance.now();
      await w.wait(work(20));
      return performance.now() - t;
    };
    await job(300);
    const estimates = (w as unknown as { estimates: Map<number, number> }).estimates;
    expect([...estimates.values()][0]!).toBeLessThan(200); // the 20 ms wait (a busy machine adds some), not 320
    const waited = await job(0);
    expect(stats.sleptMs).toBeGreaterThan(0);
    expect(waited).toBeLessThan(200);
  });

  it('another job (other dispatches) has its own estimate; off means no sleep at all', async () => {
    const stats = { sleptMs: 0 };
    const w = new QuietWaits(true, stats);
    w.noteDispatch(1, 64, 1, 1);
    await w.wait(work(30));
    w.noteDispatch(2, 64, 1, 1); // a different kernel: unknown work
    await w.wait(work(30));
    expect(stats.sleptMs).toBe(0);
    w.enabled = false;
    w.noteDispatch(1, 64, 1, 1);
    await w.wait(work(30));
    expect(stats.sleptMs).toBe(0);
  });
});

describe('BufferPool.bucket', () => {
  it('rounds up to one of 8 steps per power of two (at most 12.5% over), at least 256 bytes', () => {
    expect(BufferPool.bucket(1)).toBe(256);
    expect(BufferPool.bucket(1000)).toBe(1024);
    expect(BufferPool.bucket(1025)).toBe(1152);
    for (const n of [300, 4097, 123_457, 151_000_000]) {
      const b = BufferPool.bucket(n);
      expect(b).toBeGreaterThanOrEqual(n);
      expect(b / n).toBeLessThanOrEqual(1.125);
    }
  });
});
