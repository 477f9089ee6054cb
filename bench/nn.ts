// SPDX-License-Identifier: MIT
// The AlexNet nn layers around the convolutions: max pooling (3x3, stride 2) and local
// response normalisation (the paper's, size 5) at AlexNet's shapes, forward and backward
// (LRN's backward rows time its backward kernels alone, given dy; max pooling's time forward
// and backward together, since its backward frees the argmax it used), with the max relative
// error against a float64 reference on sampled elements in the same row. These ops are
// memory-bound: the note gives the bytes each moves per millisecond.
//   npm run bench -- nn
import { keep, Tensor, tidy, type Device } from '../src/tensor/index.js';
import { maxPool2d } from '../src/tensor/ops/pool.js';
import { localResponseNorm, LRN_TUNING } from '../src/tensor/ops/lrn.js';
import { randomFloats, timeGpu, type BenchRow } from './common.js';

const LRN = { size: 5, alpha: 1e-4, beta: 0.75, k: 2 }; // the paper's ('sum' scale)

/** y and dx of the paper's LRN at element i of x [N, C, HW], in float64, for dy. */
function lrnAt(x: Float32Array, dy: Float32Array, C: number, HW: number, i: number): [number, number] {
  const s = i % HW;
  const c = Math.floor(i / HW) % C;
  const n = Math.floor(i / (HW * C));
  const at = (cc: number) => (n * C + cc) * HW + s;
  const d = (j: number) => {
    let sq = 0;
    for (let cc = Math.max(0, j - 2); cc <= Math.min(C - 1, j + 2); cc++) sq += x[at(cc)]! ** 2;
    return LRN.k + LRN.alpha * sq;
  };
  let acc = 0;
  for (let j = Math.max(0, c - 2); j <= Math.min(C - 1, c + 2); j++) acc += dy[at(j)]! * x[at(j)]! * d(j) ** (-LRN.beta - 1);
  return [x[i]! * d(c) ** -LRN.beta, dy[i]! * d(c) ** -LRN.beta - 2 * LRN.alpha * LRN.beta * x[i]! * acc];
}

/** y of a 3x3 stride-2 max pool at output o of [planes, OH, OW], and the flat input index that won. */
function poolAt(x: Float32Array, H: number, W: number, OH: number, OW: number, o: number): [number, number] {
  const ow = o % OW;
  const oh = Math.floor(o / OW) % OH;
  const p = Math.floor(o / (OW * OH));
  let best = -Infinity;
  let at = -1;
  for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) {
    const i = (p * H + oh * 2 + kh) * W + ow * 2 + kw;
    if (x[i]! > best) [best, at] = [x[i]!, i];
  }
  return [best, at];
}

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
    let errF = 0;
    for (const o of samples(dys.length, 7)) errF = Math.max(errF, rel(y![o]!, poolAt(xs, H, W, OH, OW, o)[0], 1e-6));
    // dx at the input elements that won some window (and a few that won none)
    const want = new Map<number, number>();
    for (const o of samples(dys.length, 9)) {
      const at = poolAt(xs, H, W, OH, OW, o)[1];
      if (!want.has(at)) {
        let s = 0; // every window that holds `at` and whose winner it is
        const p = Math.floor(at / (H * W));
        const ih = Math.floor(at / W) % H;
        const iw = at % W;
        for (let oh = Math.max(0, Math.ceil((ih - 2) / 2)); oh <= Math.min(OH - 1, Math.floor(ih / 2)); oh++)
          for (let ow = Math.max(0, Math.ceil((iw - 2) / 2)); ow <= Math.min(OW - 1, Math.floor(iw / 2)); ow++) {
            const oo = (p * OH + oh) * OW + ow;
            if (poolAt(xs, H, W, OH, OW, oo)[1] === at) s += dys[oo]!;
          }
        want.set(at, s);
      }
    }
    let errB = 0;
    for (const [at, s] of want) errB = Math.max(errB, rel(dx![at]!, s, 1e-6));
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
    const ref = samples(xs.length, 11).map((i) => [i, ...lrnAt(xs, dys, C, HW, i)] as const);
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
          maxRelError: out.err, note: mode === 'two-pass' ? 'default' : 'backward.wgsl (the oracle)' });
      } finally {
        LRN_TUNING.backward = 'two-pass';
      }
    }
    x.dispose();
    dy.dispose();
  }
  return rows;
}
