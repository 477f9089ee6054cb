import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { checkOp } from '../helpers/op.js';
import { expectClose, randomArray } from '../helpers/check.js';
import { adaptiveAvgPool2dRef, avgPool2dRef, maxPool2dRef, type Img, type PoolRef } from '../../src/tensor/reference/nn.js';
import { toFloat32 } from '../../src/io/safetensors.js';
import { readSafetensorsFile } from '../../src/node/weights-file.js';
import * as T from '../../src/tensor/index.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../../src/tensor/ops/pool.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** n distinct values in [-1, 1) in random order (max pooling without ties). */
function distinct(n: number, seed: number): Float64Array {
  const r = randomArray(n, seed);
  const order = [...r.keys()].sort((a, b) => r[a]! - r[b]!);
  const out = new Float64Array(n);
  order.forEach((k, rank) => (out[k] = -1 + (2 * rank) / n));
  return out;
}

const poolCases: [Img, PoolRef][] = [
  [[2, 3, 13, 13], { kernel: [3, 3], stride: [2, 2], padding: [0, 0] }], // AlexNet: overlapping
  [[1, 1, 27, 27], { kernel: [3, 3], stride: [2, 2], padding: [1, 1] }],
  [[1, 5, 7, 9], { kernel: [2, 3], stride: [2, 1], padding: [1, 0] }],
  [[3, 2, 6, 6], { kernel: [2, 2], stride: [2, 2], padding: [0, 0] }],
  [[1, 3, 5, 5], { kernel: [5, 5], stride: [1, 1], padding: [2, 2] }],
  // max_backward_blocked.wgsl: blocks of 3x2 and 4x4 elements, the last ones overhanging
  [[2, 3, 17, 14], { kernel: [4, 3], stride: [3, 2], padding: [1, 1] }],
  [[1, 2, 18, 17], { kernel: [4, 4], stride: [4, 4], padding: [0, 2] }],
  // a 5x4 stride: 20 elements per block, more than its 16 accumulators: max_backward.wgsl
  [[1, 2, 23, 22], { kernel: [5, 6], stride: [5, 4], padding: [2, 3] }],
];
const desc = (s: Img, o: PoolRef) => `x=${JSON.stringify(s)} k=${o.kernel} s=${o.stride} p=${o.padding}`;
const opts = (o: PoolRef) => ({ kernelSize: o.kernel, stride: o.stride, padding: o.padding });

describe.skipIf(!gpu)('maxPool2d', () => {
  for (const [s, o] of poolCases) {
    it(desc(s, o), async () => {
      await checkOp({ name: 'maxPool2d', shapes: [s], data: [distinct(size(s), 7)],
        gpu: (x) => maxPool2d(x, opts(o)), ref: (x) => maxPool2dRef(x, s, o) });
    });
  }

  it('the backward takes a block of SH x SW elements per invocation up to 16 of them, else one per element', async () => {
    const kernels: string[] = [];
    const dispatch = gpu!.dispatch.bind(gpu);
    const spy = vi.spyOn(gpu!, 'dispatch').mockImplementation((...a: Parameters<typeof dispatch>) => {
      kernels.push(a[0]);
      dispatch(...a);
    });
    try {
      for (const [s, o] of [poolCases[0]!, poolCases[7]!]) {
        kernels.length = 0;
        await T.tidy(async () => {
          const x = T.Tensor.fromArray(Float32Array.from(distinct(size(s), 3)), s).requiresGrad_();
          T.sum(maxPool2d(x, opts(o))).backward();
          await x.grad!.data();
          x.grad!.dispose();
        });
        expect(kernels).toContain(o.stride[0] * o.stride[1] <= 16 ? 'pool/max_backward_blocked.wgsl' : 'pool/max_backward.wgsl');
        expect(kernels).not.toContain(o.stride[0] * o.stride[1] <= 16 ? 'pool/max_backward.wgsl' : 'pool/max_backward_blocked.wgsl');
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('ties: the gradient goes to the first maximum in the window only', async () => {
    // all equal: each window's dY lands on its top-left element
    const x = T.ones([1, 1, 5, 5]).requiresGrad_();
    const y = maxPool2d(x, { kernelSize: 3, stride: 2 });
    T.sum(y).backward();
    const g = await x.grad!.data();
    const want = new Float32Array(25);
    for (const at of [0, 2, 10, 12]) want[at] = 1;
    expect([...g]).toEqual([...want]);
  });

  it('AlexNet conv1 output [2, 64, 55, 55] -> [2, 64, 27, 27], forward and backward', async () => {
    const s: Img = [2, 64, 55, 55];
    const o: PoolRef = { kernel: [3, 3], stride: [2, 2], padding: [0, 0] };
    const x = Float64Array.from(Float32Array.from(distinct(size(s), 21))); // still distinct in float32
    await T.tidy(async () => {
      const xt = T.Tensor.fromArray(Float32Array.from(x), s).requiresGrad_();
      const y = maxPool2d(xt, opts(o));
      T.sum(y).backward();
      expectClose(await y.data(), maxPool2dRef(x, s, o), { atol: 0, rtol: 0, name: 'y' });
      // with distinct values, dx counts how many windows an input won
      const want = new Float64Array(x.length);
      const yr = maxPool2dRef(x, s, o);
      const at = new Map<number, number>();
      x.forEach((v, i) => at.set(Math.fround(v), i));
      for (const v of yr) want[at.get(Math.fround(v))!]! += 1;
      expectClose(await xt.grad!.data(), want, { atol: 0, rtol: 0, name: 'dx' });
      xt.grad!.dispose();
    });
  });

  it('stride defaults to kernelSize; AlexNet shapes 55 -> 27 -> 13 -> 6', () => {
    expect(maxPool2d(T.zeros([1, 2, 8, 8]), { kernelSize: 2 }).shape).toEqual([1, 2, 4, 4]);
    for (const [i, o] of [[55, 27], [27, 13], [13, 6]]) {
      expect(maxPool2d(T.zeros([1, 1, i!, i!]), { kernelSize: 3, stride: 2 }).shape).toEqual([1, 1, o, o]);
    }
  });
});

describe.skipIf(!gpu)('avgPool2d', () => {
  for (const [s, o] of poolCases) {
    for (const cip of [true, false]) {
      it(`${desc(s, o)} countIncludePad=${cip}`, async () => {
        await checkOp({ name: 'avgPool2d', shapes: [s],
          gpu: (x) => avgPool2d(x, { ...opts(o), countIncludePad: cip }), ref: (x) => avgPool2dRef(x, s, o, cip) });
      });
    }
  }
});

describe.skipIf(!gpu)('adaptiveAvgPool2d', () => {
  const cases: [Img, [number, number]][] = [
    [[2, 3, 13, 13], [6, 6]],
    [[1, 2, 7, 9], [6, 6]],
    [[1, 2, 2, 2], [6, 6]], // upsampling (torchvision AlexNet at 96x96)
    [[1, 3, 7, 5], [3, 4]],
    [[2, 1, 10, 10], [1, 1]], // global average
  ];
  for (const [s, out] of cases) {
    it(`x=${JSON.stringify(s)} -> ${out}`, async () => {
      await checkOp({ name: 'adaptiveAvgPool2d', shapes: [s],
        gpu: (x) => adaptiveAvgPool2d(x, out), ref: (x) => adaptiveAvgPool2dRef(x, s, out) });
    });
  }

  it('is a view (no kernel) when the input already has the output size', async () => {
    const x = T.Tensor.fromArray(Float32Array.from(randomArray(72, 3)), [2, 1, 6, 6]).requiresGrad_();
    const before = gpu!.stats.dispatches;
    const y = adaptiveAvgPool2d(x, [6, 6]);
    expect(gpu!.stats.dispatches).toBe(before);
    expect(y.buffer).toBe(x.buffer);
    await checkOp({ name: 'adaptive identity', shapes: [[2, 1, 6, 6]], gpu: (t) => adaptiveAvgPool2d(t, 6), ref: (t) => t });
  });
});

describe.skipIf(!gpu)('pooling: errors before any dispatch', () => {
  it('rejects bad ranks, dtypes, paddings and windows, naming op and shapes', () => {
    const before = gpu!.stats.dispatches;
    expect(() => maxPool2d(T.Tensor.empty([2, 3, 4]), { kernelSize: 2 })).toThrow('maxPool2d: expected an NCHW tensor of rank 4, got [2, 3, 4]');
    expect(() => maxPool2d(T.Tensor.empty([1, 1, 4, 4], 'int32'), { kernelSize: 2 })).toThrow('maxPool2d: expected float32, got int32');
    expect(() => maxPool2d(T.Tensor.empty([1, 1, 9, 9]), { kernelSize: 3, padding: 2 })).toThrow('maxPool2d: padding should be at most half of the kernel size');
    expect(() => avgPool2d(T.Tensor.empty([1, 1, 2, 2]), { kernelSize: 5, padding: 1 })).toThrow('avgPool2d: window larger than the padded input: input [1, 1, 2, 2], kernelSize [5, 5]');
    expect(() => maxPool2d(T.Tensor.empty([1, 1, 4, 4]), { kernelSize: 2, stride: 0 })).toThrow('maxPool2d: kernelSize and stride must be >= 1');
    expect(() => adaptiveAvgPool2d(T.Tensor.empty([1, 4, 4]), [2, 2])).toThrow('adaptiveAvgPool2d: expected an NCHW tensor of rank 4, got [1, 4, 4]');
    expect(() => adaptiveAvgPool2d(T.Tensor.empty([1, 1, 4, 4]), [0, 2])).toThrow('adaptiveAvgPool2d: output size must be >= 1');
    // Tensor.empty poisons (one fill each): no pool kernel ran
    expect(gpu!.stats.dispatches - before).toBe(7);
  });
});

describe.skipIf(!gpu)('pooling: PyTorch fixtures', () => {
  for (const file of ['maxpool', 'avgpool']) {
    it(`${file}.safetensors`, async () => {
      const path = FIXTURES + file + '.safetensors';
      const { tensors, metadata } = await readSafetensorsFile(path);
      const get = (k: string) => toFloat32(tensors.get(k)!, k, path);
      for (let c = 0; c < Number(metadata.cases); c++) {
        const meta = JSON.parse(metadata[`case${c}`]!);
        const xs = tensors.get(`case${c}.x`)!;
        await T.tidy(async () => {
          const x = T.Tensor.fromArray(get(`case${c}.x`), xs.shape).requiresGrad_();
          const y = meta.op === 'max_pool2d'
            ? maxPool2d(x, { kernelSize: meta.kernel, stride: meta.stride, padding: meta.padding })
            : meta.op === 'avg_pool2d'
              ? avgPool2d(x, { kernelSize: meta.kernel, stride: meta.stride, padding: meta.padding, countIncludePad: meta.count_include_pad })
              : adaptiveAvgPool2d(x, meta.output_size);
          expect(y.shape).toEqual(tensors.get(`case${c}.y`)!.shape);
          T.sum(T.mul(y, T.Tensor.fromArray(get(`case${c}.g`), y.shape))).backward();
          expectClose(await y.data(), get(`case${c}.y`), { atol: 1e-6, rtol: 1e-4, name: `${file} case${c} y` });
          expectClose(await x.grad!.data(), get(`case${c}.dx`), { atol: 1e-6, rtol: 1e-4, name: `${file} case${c} dx` });
          x.grad!.dispose();
        });
      }
    });
  }
});

/**
 * Runs fn twice, normally and with the device's storage-binding limit shrunk to `bytes`
 * (ops must then split the batch into chunks at unaligned image offsets); returns both
 * results and how many dispatches of `family` kernels each run recorded.
 */
async function withTinyBindings<R>(bytes: number, family: string, fn: () => Promise<R>) {
  const counts = [0, 0];
  let run = 0;
  const spy = vi.spyOn(gpu!, 'dispatch').mockImplementation(function (this: T.Device, ...args) {
    if (args[0].startsWith(family)) counts[run]!++;
    return T.Device.prototype.dispatch.apply(this, args);
  });
  try {
    const normal = await fn();
    run = 1;
    Object.defineProperty(gpu!, 'maxBinding', { value: bytes, configurable: true });
    const chunked = await fn();
    return { normal, chunked, dispatches: counts };
  } finally {
    delete (gpu as { maxBinding?: number }).maxBinding;
    spy.mockRestore();
  }
}

describe.skipIf(!gpu)('pooling: batches larger than one storage binding', () => {
  it('maxPool2d, avgPool2d, adaptiveAvgPool2d give the same results chunk by chunk', async () => {
    const s: Img = [5, 3, 13, 13]; // 507 values per image: chunks start at unaligned offsets
    const x = Float32Array.from(distinct(size(s), 33));
    const run = () => T.tidy(async () => {
      const out: Float32Array[] = [];
      for (const f of [
        (t: T.Tensor) => maxPool2d(t, { kernelSize: 3, stride: 2 }),
        (t: T.Tensor) => avgPool2d(t, { kernelSize: 3, stride: 2, padding: 1 }),
        (t: T.Tensor) => adaptiveAvgPool2d(t, [6, 6]),
      ]) {
        const xt = T.Tensor.fromArray(x, s).requiresGrad_();
        const y = f(xt);
        y.backward(T.Tensor.fromArray(Float32Array.from(randomArray(y.size, 5)), y.shape));
        out.push(await y.data(), await xt.grad!.data());
        xt.grad!.dispose();
      }
      return out;
    });
    const { normal, chunked, dispatches } = await withTinyBindings(4096, 'pool/', run);
    expect(dispatches).toEqual([6, 30]); // 3 forward + 3 backward kernels, then 5 chunks each
    chunked.forEach((a, i) => expectClose(a, normal[i]!, { atol: 0, rtol: 0, name: `result ${i}` }));
  });
});
