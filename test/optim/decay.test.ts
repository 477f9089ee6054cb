// Weight decay on the weights only (decayOnlyWeights): biases and 1-D parameters (BatchNorm's
// scale and shift) take the update without decay, the matrices with it, against float64
// references of PyTorch's rules (coupled for SGD and Adam, decoupled for AdamW).
import { describe, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { expectClose, randomArray } from '../helpers/check.js';
import { keep, Tensor } from '../../src/tensor/index.js';
import { Adam, AdamW, SGD, type Optimizer } from '../../src/optim/index.js';

const f32 = (x: Float64Array) => Float64Array.from(Float32Array.from(x));
const SHAPES = [[40, 50], [37], [3, 4, 5, 6]] as const;
const sizes = SHAPES.map((s) => s.reduce((a, b) => a * b, 1));
const inits = sizes.map((n, i) => f32(randomArray(n, 20 + i, -1, 1)));
const grads = [0, 1, 2].map((k) => sizes.map((n, i) => f32(randomArray(n, 50 + 10 * k + i, -1, 1))));

/** One step rule per element, with this parameter's decay. */
type Rule = (w: Float64Array, g: Float64Array, wd: number, state: Float64Array[], t: number) => void;

const sgdRule = (lr: number, momentum: number): Rule => (w, g, wd, [buf], t) => {
  for (let i = 0; i < w.length; i++) {
    const d = g[i]! + wd * w[i]!;
    buf![i] = t === 1 ? d : momentum * buf![i]! + d;
    w[i] = w[i]! - lr * buf![i]!;
  }
};

const adamRule = (lr: number, decoupled: boolean): Rule => (w, g, wd, [m, v], t) => {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  for (let i = 0; i < w.length; i++) {
    let gi = g[i]!;
    if (decoupled) w[i] = w[i]! * (1 - lr * wd);
    else gi += wd * w[i]!;
    m![i] = b1 * m![i]! + (1 - b1) * gi;
    v![i] = b2 * v![i]! + (1 - b2) * gi * gi;
    w[i] = w[i]! - (lr / (1 - b1 ** t)) * (m![i]! / (Math.sqrt(v![i]!) / Math.sqrt(1 - b2 ** t) + eps));
  }
};

function reference(rule: Rule, wd: number): Float64Array[] {
  return inits.map((init, p) => {
    const w = Float64Array.from(init);
    const state = [new Float64Array(w.length), new Float64Array(w.length)];
    const decay = SHAPES[p]!.length > 1 ? wd : 0;
    grads.forEach((g, k) => rule(w, g[p]!, decay, state, k + 1));
    return w;
  });
}

async function run(make: (ps: Tensor[]) => Optimizer): Promise<Float32Array[]> {
  const ps = inits.map((v, i) => keep(Tensor.fromArray(Float32Array.from(v), [...SHAPES[i]!])).requiresGrad_());
  const opt = make(ps);
  for (const g of grads) {
    ps.forEach((p, i) => {
      p.grad?.dispose();
      const slot = p.gradSlot;
      if (slot) {
        slot.device.upload(slot.buffer, Float32Array.from(g[i]!), slot.byteOffset);
        p.grad = keep(slot.alias());
      } else {
        p.grad = keep(Tensor.fromArray(Float32Array.from(g[i]!), p.shape));
      }
    });
    opt.step();
  }
  const out = await Promise.all(ps.map((p) => p.data()));
  opt.dispose();
  for (const p of ps) {
    p.grad?.dispose();
    p.dispose();
  }
  return out;
}

describe.skipIf(!gpu)('weight decay on weights only (biases and BatchNorm parameters skipped)', () => {
  for (const flat of [true, false]) {
    it(`SGD momentum, coupled decay (flat ${flat})`, async () => {
      const got = await run((ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, weightDecay: 0.05, decayOnlyWeights: true, flat }));
      reference(sgdRule(0.05, 0.9), 0.05).forEach((r, i) => expectClose(got[i]!, r, { atol: 1e-5, rtol: 1e-5, name: `SGD param ${i}` }));
    });

    it(`Adam, coupled decay (flat ${flat})`, async () => {
      const got = await run((ps) => new Adam(ps, { lr: 1e-2, weightDecay: 0.1, decayOnlyWeights: true, flat }));
      reference(adamRule(1e-2, false), 0.1).forEach((r, i) => expectClose(got[i]!, r, { atol: 1e-5, rtol: 1e-5, name: `Adam param ${i}` }));
    });

    it(`AdamW, decoupled decay (flat ${flat})`, async () => {
      const got = await run((ps) => new AdamW(ps, { lr: 1e-2, weightDecay: 0.5, decayOnlyWeights: true, flat }));
      reference(adamRule(1e-2, true), 0.5).forEach((r, i) => expectClose(got[i]!, r, { atol: 1e-5, rtol: 1e-5, name: `AdamW param ${i}` }));
    });
  }

  it('the skipped parameter really differs from decaying everything', async () => {
    const masked = await run((ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, weightDecay: 0.5, decayOnlyWeights: true }));
    const all = await run((ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, weightDecay: 0.5 }));
    // the matrices agree, the bias does not
    expectClose(masked[0]!, all[0]!, { atol: 1e-6, rtol: 1e-6, name: 'weight' });
    const diff = Math.max(...masked[1]!.map((v, i) => Math.abs(v - all[1]![i]!)));
    if (!(diff > 1e-3)) throw new Error(`bias: decay-all and weights-only differ by only ${diff}`);
  });
});
