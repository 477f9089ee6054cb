// SPDX-License-Identifier: MIT
// The float64 CPU oracles of the nn ops (pooling, LRN, batch norm, dropout, softmax, losses):
// plain loops over NCHW arrays, written for clarity, used by test/nn/*.test.ts and by the
// benchmark (bench/nn.ts).

export type Img = [n: number, c: number, h: number, w: number];

export interface PoolRef {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

function outSize(I: number, K: number, S: number, P: number): number {
  return Math.floor((I + 2 * P - K) / S) + 1;
}

/** The flat input index that window (p, oh, ow) of max_pool2d takes: padding is -inf, the first maximum wins. */
function maxPoolWinner(x: Float64Array, H: number, W: number, o: PoolRef, p: number, oh: number, ow: number): number {
  let best = -Infinity;
  let at = -1;
  for (let kh = 0; kh < o.kernel[0]; kh++) {
    for (let kw = 0; kw < o.kernel[1]; kw++) {
      const ih = oh * o.stride[0] - o.padding[0] + kh;
      const iw = ow * o.stride[1] - o.padding[1] + kw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      const i = (p * H + ih) * W + iw;
      if (at < 0 || x[i]! > best) [best, at] = [x[i]!, i];
    }
  }
  return at;
}

/** max_pool2d: padding is -inf, first maximum wins. */
export function maxPool2dRef(x: Float64Array, [N, C, H, W]: Img, o: PoolRef): Float64Array {
  const OH = outSize(H, o.kernel[0], o.stride[0], o.padding[0]);
  const OW = outSize(W, o.kernel[1], o.stride[1], o.padding[1]);
  const y = new Float64Array(N * C * OH * OW);
  for (let p = 0; p < N * C; p++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) y[(p * OH + oh) * OW + ow] = x[maxPoolWinner(x, H, W, o, p, oh, ow)]!;
    }
  }
  return y;
}

/** dx of max_pool2d: each window's dy goes to the input its forward took (summed where windows overlap). */
export function maxPool2dBackwardRef(x: Float64Array, dy: ArrayLike<number>, [N, C, H, W]: Img, o: PoolRef): Float64Array {
  const OH = outSize(H, o.kernel[0], o.stride[0], o.padding[0]);
  const OW = outSize(W, o.kernel[1], o.stride[1], o.padding[1]);
  const dx = new Float64Array(x.length);
  for (let p = 0; p < N * C; p++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) dx[maxPoolWinner(x, H, W, o, p, oh, ow)]! += dy[(p * OH + oh) * OW + ow]!;
    }
  }
  return dx;
}

/** avg_pool2d (ceil_mode false). */
export function avgPool2dRef(x: Float64Array, [N, C, H, W]: Img, o: PoolRef, countIncludePad = true): Float64Array {
  const [KH, KW] = o.kernel;
  const [SH, SW] = o.stride;
  const [PH, PW] = o.padding;
  const OH = outSize(H, KH, SH, PH);
  const OW = outSize(W, KW, SW, PW);
  const y = new Float64Array(N * C * OH * OW);
  for (let p = 0; p < N * C; p++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const h0 = oh * SH - PH;
        const w0 = ow * SW - PW;
        const h1 = Math.min(h0 + KH, H + PH);
        const w1 = Math.min(w0 + KW, W + PW);
        let s = 0;
        let real = 0;
        for (let ih = Math.max(h0, 0); ih < Math.min(h1, H); ih++) {
          for (let iw = Math.max(w0, 0); iw < Math.min(w1, W); iw++) {
            s += x[(p * H + ih) * W + iw]!;
            real++;
          }
        }
        y[(p * OH + oh) * OW + ow] = s / (countIncludePad ? (h1 - h0) * (w1 - w0) : real);
      }
    }
  }
  return y;
}

/** adaptive_avg_pool2d: bins floor(i*H/OH) .. ceil((i+1)*H/OH). */
export function adaptiveAvgPool2dRef(x: Float64Array, [N, C, H, W]: Img, [OH, OW]: [number, number]): Float64Array {
  const y = new Float64Array(N * C * OH * OW);
  for (let p = 0; p < N * C; p++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.floor((oh * H) / OH);
      const h1 = Math.ceil(((oh + 1) * H) / OH);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = Math.floor((ow * W) / OW);
        const w1 = Math.ceil(((ow + 1) * W) / OW);
        let s = 0;
        for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) s += x[(p * H + ih) * W + iw]!;
        y[(p * OH + oh) * OW + ow] = s / ((h1 - h0) * (w1 - w0));
      }
    }
  }
  return y;
}

/**
 * Local response normalisation across channels:
 * y[c] = x[c] / (k + a * sum_{c' = c - floor(size/2) .. c + floor((size-1)/2)} x[c']^2)^beta,
 * a = alpha ('sum', Krizhevsky 2012) or alpha / size ('average', PyTorch).
 */
export function lrnRef(
  x: Float64Array, shape: Img,
  o: { size: number; alpha: number; beta: number; k: number; alphaScale: 'sum' | 'average' },
): Float64Array {
  const d = lrnDenominators(x, shape, o);
  return x.map((v, i) => v / d[i]! ** o.beta);
}

/** d[c] = k + a · Σ_{window(c)} x², the term lrnRef raises to β, at every element. */
function lrnDenominators(
  x: Float64Array, [N, C, H, W]: Img,
  o: { size: number; alpha: number; k: number; alphaScale: 'sum' | 'average' },
): Float64Array {
  const a = o.alphaScale === 'average' ? o.alpha / o.size : o.alpha;
  const before = Math.floor(o.size / 2);
  const after = Math.floor((o.size - 1) / 2);
  const HW = H * W;
  const d = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < HW; s++) {
        let sq = 0;
        for (let cc = Math.max(0, c - before); cc <= Math.min(C - 1, c + after); cc++) sq += x[(n * C + cc) * HW + s]! ** 2;
        d[(n * C + c) * HW + s] = o.k + a * sq;
      }
    }
  }
  return d;
}

/**
 * dx of lrnRef given dy. With d[j] = k + a·Σ_{window(j)} x² and window(j) = [j − ⌊size/2⌋,
 * j + ⌊(size−1)/2⌋]: dx[c] = dy[c]·d[c]^−β − 2aβ·x[c]·Σ_{j : c ∈ window(j)} dy[j]·x[j]·d[j]^(−β−1).
 */
export function lrnBackwardRef(
  x: Float64Array, dy: ArrayLike<number>, [N, C, H, W]: Img,
  o: { size: number; alpha: number; beta: number; k: number; alphaScale: 'sum' | 'average' },
): Float64Array {
  const a = o.alphaScale === 'average' ? o.alpha / o.size : o.alpha;
  const before = Math.floor(o.size / 2);
  const after = Math.floor((o.size - 1) / 2);
  const HW = H * W;
  const d = lrnDenominators(x, [N, C, H, W], o);
  const dx = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < HW; s++) {
        const i = (n * C + c) * HW + s;
        let acc = 0;
        for (let j = Math.max(0, c - after); j <= Math.min(C - 1, c + before); j++) {
          const t = (n * C + j) * HW + s;
          acc += dy[t]! * x[t]! * d[t]! ** (-o.beta - 1);
        }
        dx[i] = dy[i]! * d[i]! ** -o.beta - 2 * a * o.beta * x[i]! * acc;
      }
    }
  }
  return dx;
}

/** Batch statistics per channel of x [N, C, ...spatial] (HW = product of spatial dims, 1 for 2-D). */
export function channelStats(x: Float64Array, N: number, C: number, HW: number): { mean: Float64Array; varBiased: Float64Array } {
  const m = N * HW;
  const mean = new Float64Array(C);
  const varBiased = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let j = 0; j < HW; j++) s += x[(n * C + c) * HW + j]!;
    mean[c] = s / m;
    let v = 0;
    for (let n = 0; n < N; n++) for (let j = 0; j < HW; j++) v += (x[(n * C + c) * HW + j]! - mean[c]!) ** 2;
    varBiased[c] = v / m;
  }
  return { mean, varBiased };
}

/** y = (x - mean) / sqrt(var + eps) * w + b per channel; batch stats (training) or the given ones. */
export function batchNormRef(
  x: Float64Array, w: Float64Array, b: Float64Array, N: number, C: number, HW: number,
  stats: { mean: ArrayLike<number>; variance: ArrayLike<number> } | null, eps = 1e-5,
): Float64Array {
  const st = stats ?? (() => {
    const s = channelStats(x, N, C, HW);
    return { mean: s.mean, variance: s.varBiased };
  })();
  const y = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const inv = 1 / Math.sqrt(st.variance[c]! + eps);
      for (let j = 0; j < HW; j++) {
        const i = (n * C + c) * HW + j;
        y[i] = (x[i]! - st.mean[c]!) * inv * w[c]! + b[c]!;
      }
    }
  }
  return y;
}

/**
 * dx of training-mode batch norm (batch statistics), optionally of relu(batch norm):
 * g = dy (times y > 0 with relu), dx = w invstd (g - mean(g) - xhat mean(g xhat)) per channel.
 */
export function batchNormBackwardRef(
  x: Float64Array, w: Float64Array, b: Float64Array, dy: ArrayLike<number>, N: number, C: number, HW: number,
  relu: boolean, eps = 1e-5,
): Float64Array {
  const { mean, varBiased } = channelStats(x, N, C, HW);
  const dx = new Float64Array(x.length);
  const m = N * HW;
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(varBiased[c]! + eps);
    const xhat = (i: number) => (x[i]! - mean[c]!) * inv;
    const g = (i: number) => (relu && !(xhat(i) * w[c]! + b[c]! > 0) ? 0 : dy[i]!);
    let sg = 0;
    let sgx = 0;
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < HW; j++) {
        const i = (n * C + c) * HW + j;
        sg += g(i);
        sgx += g(i) * xhat(i);
      }
    }
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < HW; j++) {
        const i = (n * C + c) * HW + j;
        dx[i] = w[c]! * inv * (g(i) - sg / m - xhat(i) * sgx / m);
      }
    }
  }
  return dx;
}

// ---- dropout mask: the hash of init/random.wgsl and dropout/dropout.wgsl, in u32 arithmetic

function pcg(v: number): number {
  const state = (Math.imul(v, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> (((state >>> 28) + 4) >>> 0)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

export function hash2(seed: number, i: number): number {
  return pcg((pcg(i >>> 0) ^ ((Math.imul(seed, 0x9e3779b9) + 0x632be5ab) >>> 0)) >>> 0);
}

/** 1 where dropout keeps element i, 0 where it drops it. */
export function dropoutMask(n: number, p: number, seed: number): Uint8Array {
  const threshold = Math.round(p * 2 ** 24);
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = hash2(seed >>> 0, i) >>> 8 >= threshold ? 1 : 0;
  return m;
}

// ---- softmax and losses ------------------------------------------------------------------

/** softmax or log_softmax along axis of a tensor of `shape`. */
export function softmaxRef(x: Float64Array, shape: number[], axis: number, log: boolean): Float64Array {
  const a = axis < 0 ? axis + shape.length : axis;
  const outer = shape.slice(0, a).reduce((p, q) => p * q, 1);
  const R = shape[a]!;
  const inner = shape.slice(a + 1).reduce((p, q) => p * q, 1);
  const y = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const at = (r: number) => (o * R + r) * inner + j;
      let m = -Infinity;
      for (let r = 0; r < R; r++) m = Math.max(m, x[at(r)]!);
      let s = 0;
      for (let r = 0; r < R; r++) s += Math.exp(x[at(r)]! - m);
      for (let r = 0; r < R; r++) y[at(r)] = log ? x[at(r)]! - m - Math.log(s) : Math.exp(x[at(r)]! - m) / s;
    }
  }
  return y;
}

/** Mean cross-entropy of logits [N, C] against labels or target rows, with label smoothing eps. */
export function crossEntropyRef(logits: Float64Array, N: number, C: number, target: Int32Array | Float64Array, eps = 0): number {
  const ls = softmaxRef(logits, [N, C], 1, true);
  let total = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const t = target instanceof Int32Array ? (target[n] === c ? 1 : 0) : target[n * C + c]!;
      total -= ((1 - eps) * t + eps / C) * ls[n * C + c]!;
    }
  }
  return total / N;
}

/** Mean of max(x,0) - x t + log(1 + e^-|x|). */
export function bceWithLogitsRef(x: Float64Array, t: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.max(x[i]!, 0) - x[i]! * t[i]! + Math.log1p(Math.exp(-Math.abs(x[i]!)));
  return s / x.length;
}
