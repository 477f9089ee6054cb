// SPDX-License-Identifier: MIT
// The float64 CPU oracles of the optimizers: PyTorch's update rules (torch.optim, the
// single-tensor code path), applied for one step per gradient in `grads` from fresh state.
// Used by test/optim/optim.test.ts and by the benchmark (bench/optim.ts).

/** SGD hyper-parameters as torch.optim.SGD names them (wd: weight_decay). */
export interface SgdH { lr: number; momentum: number; dampening: number; nesterov: boolean; wd: number }

/** The parameters after SGD steps with these gradients, from fresh momentum buffers. */
export function sgdRef(p: ArrayLike<number>, grads: ArrayLike<number>[], h: SgdH): Float64Array {
  const w = Float64Array.from(p);
  let buf: Float64Array | null = null; // the momentum buffer
  for (const gr of grads) {
    const g = Float64Array.from(gr, (v, i) => v + h.wd * w[i]!);
    let d: Float64Array = g;
    if (h.momentum !== 0) {
      buf = buf ? buf.map((b, i) => h.momentum * b + (1 - h.dampening) * g[i]!) : Float64Array.from(g);
      d = h.nesterov ? g.map((v, i) => v + h.momentum * buf![i]!) : buf;
    }
    for (let i = 0; i < w.length; i++) w[i] = w[i]! - h.lr * d[i]!;
  }
  return w;
}

/** Adam / AdamW hyper-parameters (decoupled: AdamW's weight decay; wd: weight_decay). */
export interface AdamH { lr: number; b1: number; b2: number; eps: number; wd: number; amsgrad: boolean; decoupled: boolean }

/** The parameters after Adam (or AdamW) steps with these gradients, from fresh moments. */
export function adamRef(p: ArrayLike<number>, grads: ArrayLike<number>[], h: AdamH): Float64Array {
  const w = Float64Array.from(p);
  const m = new Float64Array(w.length);
  const v = new Float64Array(w.length);
  const vmax = new Float64Array(w.length);
  grads.forEach((gr, k) => {
    const t = k + 1;
    for (let i = 0; i < w.length; i++) {
      let g = gr[i]!;
      if (h.decoupled) w[i] = w[i]! * (1 - h.lr * h.wd);
      else g += h.wd * w[i]!;
      m[i] = h.b1 * m[i]! + (1 - h.b1) * g;
      v[i] = h.b2 * v[i]! + (1 - h.b2) * g * g;
      let vh = v[i]!;
      if (h.amsgrad) vh = vmax[i] = Math.max(vmax[i]!, v[i]!);
      const denom = Math.sqrt(vh) / Math.sqrt(1 - h.b2 ** t) + h.eps;
      w[i] = w[i]! - (h.lr / (1 - h.b1 ** t)) * (m[i]! / denom);
    }
  });
  return w;
}
