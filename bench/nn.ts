// SPDX-License-Identifier: MIT
// The AlexNet nn layers around the convolutions: max pooling (3x3, stride 2) and local
// response normalisation (the paper's, size 5) at AlexNet's shapes, forward and backward
// (LRN's backward rows time its backward kernels alone, given dy; max pooling's time forward
// and backward together, since its backward frees the argmax it used), with the max relative
// error against the float64 oracles (src/tensor/reference/nn.ts) on sampled elements. These ops are
// memory-bound: the note gives the bytes each moves per millisecond.
//   npm run bench -- nn
import { keep, Tensor, tidy, type Device } from '../src/tensor/index.js';
import { maxPool2d } from '../src/tensor/ops/pool.js';
import { localResponseNorm, LRN_TUNING } from '../src/tensor/ops/lrn.js';
import { batchNorm2d } from '../src/tensor/ops/batchnorm.js';
import { relu } from '../src/tensor/ops/elementwise.js';
import {
  batchNormBackwardRef, batchNormRef, lrnBackwardRef, lrnRef, maxPool2dBackwardRef, maxPool2dRef, maxRelError,
} from '../src/tensor/reference/index.js';
import { randomFloats, timeGpu, type BenchRow } from './common.js';

const LRN = { size: 5, alpha: 1e-4, beta: 0.75, k: 2 }; // the paper's ('sum' scale)
const POOL = { kernel: [3, 3] as [number, number], stride: [2, 2] as [number, number], padding: [0, 0] as [number, number] };

const rel = (got: number, want: number, scale: number) => Math.abs(got - want) / Math.max(Math.abs(want), scale);

export async function benchNn(device: Device): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const samples = (n: number, seed: number) => Array.from({ length: 256 }, (_, j) => Math.floor(((j * 2654435761 + seed) >>> 0) % n));
  for (const [name, shape] of [['pool1', [8, 96, 55, 55]], ['pool2', [8, 256, 27, 27]]] as const) {
    const [N, C, H, W] = shape;
    const [OH, OW] = [(H - 3) / 2 + 1, (W - 3) / 2 + 1];
    const xs = randomFloats(N * C * H * W, 1);
    const dys = randomFloats(N * C * OH * OW, 2);
    const x = keep(Tensor.fromArray(xs, [...shape]).requiresGrad_());
    const dy = keep(Tensor.fromArray(dys, [N, C, OH, OW]));
    const bytesFwd = (xs.length + 2 * dys.length) * 4;
    const fwdMs = await timeGpu(device, () => tidy(() => { maxPool2d(x, { kernelSize: 3, stride: 2 }); }), 5, 2);
    const [y, dx] = await tidy(async () => {
      const yt = maxPool2d(x, { kernelSize: 3, stride: 2 });
      yt.backward(dy);
      const out = [await yt.data(), await x.grad!.data()];
      x.grad!.dispose();
      x.grad = null;
      return out;
    });
    // the float64 oracles (src/tensor/reference/nn.ts) on every element of y and dx
    const x64 = Float64Array.from(xs);
    const errF = maxRelError(y!, maxPool2dRef(x64, [N, C, H, W], POOL), 1e-6);
    // dx sums up to four float32 dy values, which may cancel: the floor is 1e-3 of dy's scale
    // (dy in [-1, 1)), not 1e-6, or a rounding in a near-zero sum reads as a large error
    const errB = maxRelError(dx!, maxPool2dBackwardRef(x64, dys, [N, C, H, W], POOL), 1e-3);
    // forward + backward (the backward frees the argmax it saved, so it cannot run alone twice)
    const bothMs = await timeGpu(device, () => tidy(() => {
      maxPool2d(x, { kernelSize: 3, stride: 2 }).backward(dy);
      x.grad!.dispose();
      x.grad = null;
    }), 5, 2);
    rows.push({ bench: `maxPool2d 3x3/2 ${name}`, shape: shape.join('x'), version: 'forward', ms: fwdMs, gflops: NaN, maxRelError: errF, note: `${(bytesFwd / fwdMs / 1e6).toFixed(1)} GB/s (x read, y and argmax written)` });
    rows.push({ bench: `maxPool2d 3x3/2 ${name}`, shape: shape.join('x'), version: 'forward + backward', ms: bothMs, gflops: NaN, maxRelError: errB, note: `backward about ${(bothMs - fwdMs).toFixed(1)} ms (dy and argmax read, dx written)` });
    x.dispose();
    dy.dispose();
  }
  for (const [name, shape] of [['lrn1', [8, 96, 55, 55]], ['lrn2', [8, 256, 27, 27]]] as const) {
    const [N, C, H, W] = shape;
    const HW = H * W;
    const xs = randomFloats(N * C * HW, 3).map((v) => 20 * v); // conv1-like magnitudes: the alpha term matters
    const dys = randomFloats(N * C * HW, 4);
    const x = keep(Tensor.fromArray(xs, [...shape]).requiresGrad_());
    const dy = keep(Tensor.fromArray(dys, [...shape]));
    const fwdMs = await timeGpu(device, () => tidy(() => { localResponseNorm(x, LRN); }), 5, 2);
    const x64 = Float64Array.from(xs);
    const yRef = lrnRef(x64, [N, C, H, W], { ...LRN, alphaScale: 'sum' });
    const dxRef = lrnBackwardRef(x64, dys, [N, C, H, W], { ...LRN, alphaScale: 'sum' });
    const ref = samples(xs.length, 11).map((i) => [i, yRef[i]!, dxRef[i]!] as const);
    const mb = (xs.length * 4) / 1e6;
    rows.push({ bench: `localResponseNorm ${name}`, shape: shape.join('x'), version: 'forward', ms: fwdMs, gflops: NaN,
      maxRelError: await tidy(async () => {
        const y = await localResponseNorm(x, LRN).data();
        return Math.max(...ref.map(([i, yy]) => rel(y[i]!, yy, 1e-6)));
      }), note: `${((2 * mb) / fwdMs).toFixed(1)} GB/s (x read, y written)` });
    for (const mode of ['two-pass', 'one-pass'] as const) {
      LRN_TUNING.backward = mode;
      try {
        const out = await tidy(async () => {
          const y = localResponseNorm(x, LRN);
          const ms = await timeGpu(device, () => {
            tidy(() => y.node!.backward(dy).forEach((g) => g?.dispose()));
          }, 5, 1);
          const [g] = y.node!.backward(dy);
          const got = await g!.data();
          return { ms, err: Math.max(...ref.map(([i, , dd]) => rel(got[i]!, dd, 1e-6))) };
        });
        rows.push({ bench: `localResponseNorm ${name}`, shape: shape.join('x'), version: `backward ${mode}`, ms: out.ms, gflops: NaN,
          maxRelError: out.err, note: mode === 'two-pass' ? 'default' : 'backward.wgsl (the first version)' });
      } finally {
        LRN_TUNING.backward = 'two-pass';
      }
    }
    x.dispose();
    dy.dispose();
  }
  // keras-bn's BatchNorm2d → ReLU in training mode at the recipe's shapes (width 0.5, 128 px,
  // batch 32): fused (the layer pair as Sequential runs it) and as two ops
  for (const [name, shape] of [['bn1', [32, 48, 31, 31]], ['bn2', [32, 128, 15, 15]], ['bn3', [32, 192, 7, 7]]] as const) {
    const [N, C, H, W] = shape;
    const HW = H * W;
    const xs = randomFloats(N * C * HW, 5).map((v) => 3 * v + 1);
    const ws = randomFloats(C, 6).map((v) => 1 + 0.5 * v);
    const bs = randomFloats(C, 7).map((v) => 0.3 * v);
    const dys = randomFloats(N * C * HW, 8);
    const x = keep(Tensor.fromArray(xs, [...shape]).requiresGrad_());
    const w = keep(Tensor.fromArray(ws, [C]).requiresGrad_());
    const b = keep(Tensor.fromArray(bs, [C]).requiresGrad_());
    const rm = keep(Tensor.fromArray(new Float32Array(C), [C]));
    const rv = keep(Tensor.fromArray(new Float32Array(C).fill(1), [C]));
    const dy = keep(Tensor.fromArray(dys, [...shape]));
    const x64 = Float64Array.from(xs);
    const w64 = Float64Array.from(ws);
    const b64 = Float64Array.from(bs);
    const pre = batchNormRef(x64, w64, b64, N, C, HW, null);
    const yRef = pre.map((v) => Math.max(v, 0));
    const dxRef = batchNormBackwardRef(x64, w64, b64, dys, N, C, HW, true);
    // dx where float32 and float64 agree on ReLU's mask (|pre-activation| > 1e-4); at the
    // kink either side is a valid gradient
    const dxErr = (dx: ArrayLike<number>) => {
      const scale = 1e-3 * dxRef.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      let worst = 0;
      for (let i = 0; i < dxRef.length; i++) {
        if (Math.abs(pre[i]!) > 1e-4) worst = Math.max(worst, Math.abs(dx[i]! - dxRef[i]!) / Math.max(Math.abs(dxRef[i]!), scale));
      }
      return worst;
    };
    const mb = (xs.length * 4) / 1e6;
    for (const fused of [true, false]) {
      const fwd = () => (fused ? batchNorm2d(x, w, b, rm, rv, { training: true, relu: true }) : relu(batchNorm2d(x, w, b, rm, rv, { training: true })));
      const step = () => {
        fwd().backward(dy);
        for (const t of [x, w, b]) {
          t.grad!.dispose();
          t.grad = null;
        }
      };
      const fwdMs = await timeGpu(device, () => tidy(() => { fwd(); }), 5, 2);
      const bothMs = await timeGpu(device, () => tidy(step), 5, 2);
      const [y, dx] = await tidy(async () => {
        const yt = fwd();
        yt.backward(dy);
        const out = [await yt.data(), await x.grad!.data()];
        for (const t of [x, w, b]) {
          t.grad!.dispose();
          t.grad = null;
        }
        return out;
      });
      const version = fused ? 'fused' : 'two ops';
      rows.push({ bench: `batchNorm2d + ReLU ${name}`, shape: shape.join('x'), version: `${version}, forward`, ms: fwdMs, gflops: NaN,
        maxRelError: maxRelError(y!, yRef, 1e-3), note: `${((2 * mb) / fwdMs).toFixed(1)} GB/s counting one read of x and one write of y (the statistics read x twice more)` });
      rows.push({ bench: `batchNorm2d + ReLU ${name}`, shape: shape.join('x'), version: `${version}, forward + backward`, ms: bothMs, gflops: NaN,
        maxRelError: dxErr(dx!), note: `backward about ${(bothMs - fwdMs).toFixed(1)} ms; error of dx` });
    }
    for (const t of [x, w, b, rm, rv, dy]) t.dispose();
  }
  return rows;
}
