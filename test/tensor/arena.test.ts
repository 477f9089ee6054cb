// Arenas: tensors as slots of one buffer at aligned offsets. Every op that binds a tensor must
// add its offset: ops read slot inputs and write slot outputs at offsets other than 0, and the
// values around each slot (sentinels) must be left as they were. Autograd writes a flat
// optimizer's parameter gradients straight into their slots, with the same values as
// without arenas.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { expectClose, product, randomArray } from '../helpers/check.js';
import { conv2dRef, conv2dWeightGradRef } from '../../src/tensor/reference/conv2d.js';
import { matmulRef } from '../../src/tensor/reference/matmul.js';
import {
  add, arenaLayout, axpy_, BufferPool, fill_, gradSlotStats, keep, matmul, rand, relu, spaceToDepth, sum, sumAxes, Tensor, tidy, type Shape,
} from '../../src/tensor/index.js';
import { conv2d, conv2dBackwardWeight, convShape, type WgradVersion } from '../../src/tensor/ops/conv2d/index.js';
import { softmaxCrossEntropy } from '../../src/tensor/ops/softmax.js';
import { maxPool2d } from '../../src/tensor/ops/pool.js';
import { BatchNorm2d, Conv2d, Linear, Sequential, ReLU, Flatten } from '../../src/layers/index.js';
import { SGD, Adam } from '../../src/optim/index.js';
import { copyInto } from '../../src/tensor/copy.js';
import { restoreWeights, snapshotWeights } from '../../src/train/index.js';

describe('arenaLayout', () => {
  it('aligns every slot and starts a new arena when the next tensor would not fit', () => {
    const l = arenaLayout([10, 64, 1, 100, 30], 64, 200);
    expect(l.place).toEqual([
      { arena: 0, offset: 0 }, { arena: 0, offset: 64 }, { arena: 0, offset: 128 },
      { arena: 1, offset: 0 }, { arena: 1, offset: 128 },
    ]);
    expect(l.sizes).toEqual([129, 158]);
    expect(() => arenaLayout([201], 64, 200)).toThrow(/201 elements/);
  });
});

/** An arena of sentinel values with tensors of the given shapes at aligned offsets after a gap. */
function arenaWith(shapes: Shape[], seed: number) {
  const align = gpu!.alignment / 4;
  const offsets: number[] = [];
  let at = align; // nothing at offset 0: a kernel that forgets the offset reads the wrong data
  for (const s of shapes) {
    offsets.push(at);
    at = Math.ceil((at + product(s) + 1) / align) * align; // at least one sentinel after each
  }
  const total = at + align;
  const sentinel = Float32Array.from(randomArray(total, seed, 100, 200));
  const arena = keep(Tensor.fromArray(sentinel, [total]));
  const slots = shapes.map((s, i) => keep(Tensor.slot(arena, offsets[i]! * 4, s)));
  return {
    arena, slots, offsets,
    fill(i: number, values: Float32Array) {
      gpu!.upload(arena.buffer, values, offsets[i]! * 4);
    },
    /** the arena outside the given slots still holds the sentinels */
    async untouchedExcept(written: number[]) {
      const all = await arena.data();
      const mask = new Uint8Array(total);
      for (const i of written) mask.fill(1, offsets[i]!, offsets[i]! + slots[i]!.size);
      let bad = 0;
      for (let k = 0; k < total; k++) if (!mask[k] && all[k] !== sentinel[k]) bad++;
      expect(bad).toBe(0);
    },
    dispose() {
      for (const t of slots) t.dispose();
      arena.dispose();
    },
  };
}

describe.skipIf(!gpu)('ops on arena slots', () => {
  it('slot() refuses a misaligned offset or one past the end, naming both', () => {
    const a = keep(Tensor.fromArray(new Float32Array(256), [256]));
    expect(() => Tensor.slot(a, 4, [8])).toThrow(/byte 4.*alignment/);
    expect(() => Tensor.slot(a, 0, [300])).toThrow(/\[300\]/);
    a.dispose();
  });

  it('matmul reads slot operands and writes a slot out (transposes, bias); a bad out throws first', async () => {
    const [m, k, n] = [7, 19, 13];
    const A = Float32Array.from(randomArray(m * k, 1));
    const B = Float32Array.from(randomArray(n * k, 2));
    const bias = Float32Array.from(randomArray(n, 3));
    // operands in one arena, the result in another (WebGPU binds a buffer that a dispatch
    // writes for nothing else)
    const ar = arenaWith([[m, k], [n, k], [n]], 4);
    const out = arenaWith([[m, n]], 5);
    ar.fill(0, A);
    ar.fill(1, B);
    ar.fill(2, bias);
    const [a, b, bs] = ar.slots as [Tensor, Tensor, Tensor];
    const c = out.slots[0]!;
    const y = matmul(a, b, { transB: true, bias: bs, out: c });
    expect(y).toBe(c);
    const want = matmulRef(Float64Array.from(A), Float64Array.from(B), 1, m, n, k, { transB: true, bias: Float64Array.from(bias) });
    expectClose(await c.data(), want, { atol: 1e-5, rtol: 1e-5, name: 'matmul into a slot' });
    await ar.untouchedExcept([0, 1, 2]);
    await out.untouchedExcept([0]);
    const dispatches = gpu!.stats.dispatches;
    expect(() => matmul(a, b, { transB: true, out: c })).not.toThrow();
    expect(() => matmul(a, b, { transB: true, out: bs })).toThrow(/matmul: out is float32 \[13\], the result is float32 \[7, 13\]/);
    const sameBuffer = keep(Tensor.slot(ar.arena, ar.offsets[0]! * 4, [m, n]));
    expect(() => matmul(a, b, { transB: true, out: sameBuffer })).toThrow(/matmul: out \[7, 13\] is in the same buffer as an input/);
    expect(gpu!.stats.dispatches).toBe(dispatches + 1); // only the good one ran
    sameBuffer.dispose();
    ar.dispose();
    out.dispose();
  });

  const s = convShape([2, 6, 9, 11], [6, 3, 3, 3], { padding: 1, groups: 2 });
  const versions: WgradVersion[] = ['01_naive', '03_implicit_gemm', '05_tiled_gemm', '04_winograd'];
  for (const version of versions) {
    it(`conv2d forward from slot weights, and the ${version} weight gradient into a slot`, async () => {
      const xv = Float32Array.from(randomArray(product([2, 6, 9, 11]), 5));
      const wv = Float32Array.from(randomArray(product([6, 3, 3, 3]), 6));
      const bv = Float32Array.from(randomArray(6, 7));
      const dyv = Float32Array.from(randomArray(s.n * s.k * s.oh * s.ow, 8));
      const ar = arenaWith([[6, 3, 3, 3], [6], [6, 3, 3, 3]], 9);
      ar.fill(0, wv);
      ar.fill(1, bv);
      const [w, b, dw] = ar.slots as [Tensor, Tensor, Tensor];
      // the input and dy are slots too (of a third buffer)
      const io = arenaWith([[2, 6, 9, 11], [s.n, s.k, s.oh, s.ow]], 12);
      io.fill(0, xv);
      io.fill(1, dyv);
      const [x, dy] = io.slots as [Tensor, Tensor];
      await tidy(async () => {
        const y = conv2d(x, w, b, { padding: 1, groups: 2 });
        expectClose(await y.data(), conv2dRef(s, xv, wv, bv), { atol: 1e-4, rtol: 1e-4, name: 'forward' });
        const got = conv2dBackwardWeight(x, dy, w.shape, { padding: 1, groups: 2, version, out: dw });
        expect(got).toBe(dw);
        expectClose(await dw.data(), conv2dWeightGradRef(s, xv, dyv), { atol: 1e-4, rtol: 1e-4, name: `wgrad ${version}` });
      });
      await ar.untouchedExcept([0, 1, 2]);
      ar.dispose();
      io.dispose();
    });
  }

  it('elementwise, fill, in-place and spaceToDepth ops read and write slots', async () => {
    const av = Float32Array.from(randomArray(2 * 3 * 5 * 4, 20));
    const bv = Float32Array.from(randomArray(av.length, 21));
    const src = arenaWith([[2, 3, 5, 4], [2, 3, 5, 4]], 22);
    const dst = arenaWith([[2, 3, 5, 4], [7]], 23);
    src.fill(0, av);
    src.fill(1, bv);
    const [a, b] = src.slots as [Tensor, Tensor];
    const [c, f] = dst.slots as [Tensor, Tensor];
    await tidy(async () => {
      expectClose(await add(a, b).data(), av.map((v, i) => v + bv[i]!), { atol: 1e-6, rtol: 0, name: 'add' });
      expectClose(await relu(b).data(), bv.map((v) => Math.max(v, 0)), { atol: 0, rtol: 0, name: 'relu' });
      // spaceToDepth with block 2: out[0, (c*2 + dy)*2 + dx, u, v] = a[0, c, 2u + dy, 2v + dx]
      const pooled = await maxPool2d(a, { kernelSize: 2 }).data();
      expect(pooled[0]).toBe(Math.max(av[0]!, av[1]!, av[4]!, av[5]!));
      const s2d = await spaceToDepth(a, 2).data();
      expect(s2d[0]).toBe(av[0]);
      expect(s2d[1 * 3 * 2]).toBe(av[1]); // channel 1 (dx = 1) of image 0 at (0, 0)
      fill_(f, 3.5);
      expect(Array.from(await f.data())).toEqual(new Array(7).fill(3.5));
      fill_(c, 0);
      axpy_(c, a, 2);
      expectClose(await c.data(), av.map((v) => 2 * v), { atol: 1e-6, rtol: 0, name: 'axpy_' });
    });
    await src.untouchedExcept([0, 1]); // (the inputs were uploaded there)
    await dst.untouchedExcept([0, 1]);
    src.dispose();
    dst.dispose();
  });

  it('sumAxes into a slot (a bias gradient)', async () => {
    const xv = Float32Array.from(randomArray(3 * 4 * 5, 10));
    const ar = arenaWith([[4]], 11);
    const x = keep(Tensor.fromArray(xv, [3, 4, 5]));
    expect(sumAxes(x, [0, 2], ar.slots[0])).toBe(ar.slots[0]);
    const want = new Float64Array(4);
    xv.forEach((v, i) => (want[Math.floor(i / 5) % 4]! += v));
    expectClose(await ar.slots[0]!.data(), want, { atol: 1e-5, rtol: 1e-5, name: 'sum' });
    await ar.untouchedExcept([0]);
    x.dispose();
    ar.dispose();
  });
});

describe.skipIf(!gpu)('autograd writes a flat optimizer\'s gradients into their slots', () => {
  const make = (flat: boolean) => {
    // conv1 strided (on a CPU driver: the '04_winograd_s2d' version, whose weight gradient comes from
    // spaceToDepth's backward), batch norm (weight and bias gradients from one dispatch),
    // conv2 stride 1, a Linear whose weight is used once
    const model = new Sequential(
      new Conv2d(3, 4, 5, { stride: 2, padding: 1, seed: 1 }), new BatchNorm2d(4), new ReLU(),
      new Conv2d(4, 6, 3, { padding: 1, seed: 2 }), new ReLU(),
      new Flatten(), new Linear(6 * 8 * 8, 3, { seed: 3 }),
    );
    return { model, opt: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, flat }) };
  };
  const x = keep(rand([2, 3, 18, 18], { seed: 4 }));
  const y = keep(Tensor.fromArray(new Int32Array([0, 2])));

  it('every gradient is written by its op (no copy), with the values of the unflattened model', async () => {
    const flat = make(true);
    const plain = make(false);
    expect(flat.opt.isFlat).toBe(true);
    const gradsOf = async (m: { model: Sequential }) => {
      tidy(() => softmaxCrossEntropy(m.model.forward(x), y).backward());
      return Promise.all([...m.model.parameters()].map((p) => p.grad!.data()));
    };
    const before = { ...gradSlotStats };
    const gf = await gradsOf(flat);
    const params = [...flat.model.parameters()];
    expect(gradSlotStats.direct - before.direct).toBe(params.length);
    expect(gradSlotStats.copied - before.copied).toBe(0);
    const arenaBuffer = params[0]!.gradSlot!.buffer;
    for (const p of params) {
      expect(p.grad!.buffer).toBe(arenaBuffer);
      expect(p.grad!.byteOffset).toBe(p.gradSlot!.byteOffset);
    }
    const gp = await gradsOf(plain);
    gf.forEach((g, i) => expectClose(g, gp[i]!, { atol: 1e-6, rtol: 1e-5, name: `grad ${i}` }));
    // a second backward accumulates into the slots, as without arenas
    const gf2 = await gradsOf(flat);
    const gp2 = await gradsOf(plain);
    gf2.forEach((g, i) => expectClose(g, gp2[i]!, { atol: 1e-6, rtol: 1e-5, name: `accumulated grad ${i}` }));
    // and one optimizer step over the arena gives the same parameters
    flat.opt.step();
    plain.opt.step();
    expect(flat.opt.lastStepDispatches).toBeLessThan(plain.opt.lastStepDispatches);
    const pf = await Promise.all(params.map((p) => p.data()));
    const pp = await Promise.all([...plain.model.parameters()].map((p) => p.data()));
    pf.forEach((v, i) => expectClose(v, pp[i]!, { atol: 1e-6, rtol: 1e-6, name: `param ${i}` }));
    for (const m of [flat, plain]) {
      m.opt.zeroGrad();
      m.opt.dispose();
      m.model.dispose();
    }
  });

  it('moving the parameters gives their old buffers back to the GPU (after the copies out of them are submitted)', async () => {
    const d = gpu!;
    const ps = [1000, 3000, 7].map((n, i) => keep(Tensor.fromArray(Float32Array.from(randomArray(n, 40 + i)), [n])).requiresGrad_());
    const values = await Promise.all(ps.map((p) => p.data()));
    const old = ps.map((p) => p.buffer.size).reduce((a, b) => a + b, 0);
    const before = d.pool.reservedBytes;
    const opt = new SGD(ps, { lr: 0.1 });
    const arenas = 2 * BufferPool.bucket((Math.ceil(1000 / 64) * 64 + Math.ceil(3000 / 64) * 64 + 7) * 4);
    expect(d.pool.reservedBytes).toBeLessThanOrEqual(before - old + arenas);
    // the values survived the move (the copies ran before the old buffers were destroyed)
    for (const [i, p] of ps.entries()) expect(Array.from(await p.data())).toEqual(Array.from(values[i]!));
    opt.dispose();
    for (const p of ps) p.dispose();
  });

  it('weights copied into and out of slots: copyInto, snapshotWeights / restoreWeights', async () => {
    const { model, opt } = make(true);
    const params = [...model.parameters()];
    expect(params[3]!.byteOffset).toBeGreaterThan(0); // batch norm's bias: not at the arena's start
    const want = Float32Array.from(randomArray(params[3]!.size, 30));
    copyInto(params[3]!, keep(Tensor.fromArray(want))); // a GPU copy into a slot
    expect(Array.from(await params[3]!.data())).toEqual(Array.from(want));
    const out = keep(Tensor.empty(params[2]!.shape));
    copyInto(out, params[2]!); // and out of one
    expect(Array.from(await out.data())).toEqual(Array.from(await params[2]!.data()));
    const before = await Promise.all(params.map((p) => p.data()));
    const snap = snapshotWeights(model);
    tidy(() => softmaxCrossEntropy(model.forward(x), y).backward());
    opt.step();
    expect(Array.from(await params[3]!.data())).not.toEqual(Array.from(before[3]!));
    restoreWeights(model, snap);
    const after = await Promise.all(params.map((p) => p.data()));
    after.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(before[i]!)));
    out.dispose();
    opt.zeroGrad();
    opt.dispose();
    model.dispose();
  });

  it('a parameter used twice gets its gradient copied in and summed; a second optimizer takes the parameters over', async () => {
    const w = keep(Tensor.fromArray(Float32Array.from(randomArray(16, 12)), [4, 4])).requiresGrad_();
    const v = keep(Tensor.fromArray(Float32Array.from(randomArray(4, 13)), [1, 4]));
    const opt1 = new SGD([w], { lr: 0.5 });
    const before = { ...gradSlotStats };
    tidy(() => sum(matmul(matmul(v, w), w)).backward());
    expect(gradSlotStats.direct - before.direct).toBe(0);
    expect(gradSlotStats.copied - before.copied).toBe(1);
    expect(w.grad!.buffer).toBe(w.gradSlot!.buffer);
    // d/dW of v·W·W·1: vᵀ(W·1)ᵀ + (vW)ᵀ 1ᵀ
    const W = await w.data();
    const V = await v.data();
    const want = new Float64Array(16);
    const w1 = [0, 1, 2, 3].map((i) => W[i * 4]! + W[i * 4 + 1]! + W[i * 4 + 2]! + W[i * 4 + 3]!);
    const vw = [0, 1, 2, 3].map((j) => V.reduce((s, vi, i) => s + vi * W[i * 4 + j]!, 0));
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) want[i * 4 + j] = V[i]! * w1[j]! + vw[i]!;
    expectClose(await w.grad!.data(), want, { atol: 1e-5, rtol: 1e-5, name: 'shared weight' });
    // opt2 moves w into its own arena: opt1 no longer finds it there and updates it alone
    const opt2 = new Adam([w], { lr: 0.1 });
    expect(w.grad!.buffer).toBe(w.gradSlot!.buffer); // the gradient came along
    const g = await w.grad!.data();
    opt1.step(); // had it updated its own arena, w would be unchanged
    expectClose(await w.data(), W.map((x, i) => x - 0.5 * g[i]!), { atol: 1e-6, rtol: 1e-6, name: 'opt1 after takeover' });
    opt1.dispose();
    expect(w.gradSlot).not.toBeNull(); // opt1 leaves opt2's slot alone
    opt2.zeroGrad();
    opt2.dispose();
    w.dispose();
  });
});
