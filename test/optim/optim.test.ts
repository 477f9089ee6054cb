// Optimizers against the float64 references of PyTorch's update rules
// (src/tensor/reference/optim.ts), over several steps with fresh gradients each step; state
// dicts resume exactly; clipping; schedules.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { expectClose, randomArray } from '../helpers/check.js';
import { keep, Tensor } from '../../src/tensor/index.js';
import {
  Adam, AdamW, clipGradNorm, CosineAnnealingLR, ExponentialLR, SGD, StepLR, type Optimizer,
} from '../../src/optim/index.js';
import { adamRef, sgdRef, type AdamH, type SgdH } from '../../src/tensor/reference/optim.js';

const f32 = (x: Float64Array) => Float64Array.from(Float32Array.from(x));

// ---- helpers -----------------------------------------------------------------------------------

// 6272 elements through the vec4 kernels (1568 vec4s: 784 invocations of 2 vec4s, a stride of 1024
// vec4s, so both of an invocation's vec4s are used), 3 through the scalar ones
const N = 6275;
const STEPS = 4;
const init = f32(randomArray(N, 11, -1, 1));
// gradients of varied magnitude (some tiny, so eps matters for Adam)
const gradSeq = Array.from({ length: STEPS }, (_, k) => f32(randomArray(N, 100 + k, -1, 1).map((v, i) => (i % 7 === 0 ? v * 1e-6 : v))));

function param(values: Float64Array): Tensor {
  return keep(Tensor.fromArray(Float32Array.from(values), [values.length])).requiresGrad_();
}

/**
 * Sets p's gradient: into its slot of the optimizer's gradient arena when it has one (as
 * backward() does), else as a tensor of its own (which sends a flat optimizer down its
 * per-parameter path).
 */
function setGrad(p: Tensor, g: Float64Array): void {
  p.grad?.dispose();
  const slot = p.gradSlot;
  if (slot) {
    slot.device.upload(slot.buffer, Float32Array.from(g), slot.byteOffset);
    p.grad = keep(slot.alias());
  } else {
    p.grad = keep(Tensor.fromArray(Float32Array.from(g), p.shape));
  }
}

// the N values as three parameters: in a flat arena they sit at aligned offsets with zero gaps
const PIECES = [6200, 37, 38];
function split(v: Float64Array): Float64Array[] {
  let at = 0;
  return PIECES.map((n) => v.slice(at, (at += n)));
}

async function run(make: (ps: Tensor[], flat: boolean) => Optimizer, grads: Float64Array[], flat = true): Promise<Float32Array> {
  const ps = split(init).map(param);
  const opt = make(ps, flat);
  expect(opt.isFlat).toBe(flat);
  grads.forEach((g, k) => {
    split(g).forEach((gi, i) => setGrad(ps[i]!, gi));
    opt.step();
    // flat: one vec4 range and the scalar rest over the arena; per parameter: 2 + 1 + 1
    // (from the second step: the first also creates the state)
    if (k > 0) expect(opt.lastStepDispatches).toBe(flat ? 2 : 4);
  });
  const out = new Float32Array(N);
  let at = 0;
  for (const p of ps) {
    out.set(await p.data(), at);
    at += p.size;
  }
  opt.dispose();
  for (const p of ps) {
    expect(p.gradSlot).toBeNull();
    p.grad?.dispose();
    p.dispose();
  }
  return out;
}

describe.skipIf(!gpu)('optimizers match float64 references of PyTorch over several steps', () => {
  const sgdCases: [string, SgdH][] = [
    ['plain', { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, wd: 0 }],
    ['weight decay', { lr: 0.05, momentum: 0, dampening: 0, nesterov: false, wd: 0.01 }],
    ['momentum + wd', { lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, wd: 5e-4 }],
    ['momentum + dampening', { lr: 0.02, momentum: 0.8, dampening: 0.3, nesterov: false, wd: 0 }],
    ['nesterov + wd', { lr: 0.03, momentum: 0.9, dampening: 0, nesterov: true, wd: 1e-3 }],
  ];
  for (const [name, h] of sgdCases) {
    it(`SGD ${name} (flat and per parameter)`, async () => {
      for (const flat of [true, false]) {
        const got = await run((ps, f) => new SGD(ps, { lr: h.lr, momentum: h.momentum, dampening: h.dampening, nesterov: h.nesterov, weightDecay: h.wd, flat: f }), gradSeq, flat);
        expectClose(got, sgdRef(init, gradSeq, h), { atol: 1e-6, rtol: 1e-5, name: `SGD ${name}, flat ${flat}` });
      }
    });
  }

  const adamCases: [string, AdamH][] = [
    ['Adam', { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, amsgrad: false, decoupled: false }],
    ['Adam + wd', { lr: 1e-2, b1: 0.8, b2: 0.99, eps: 1e-6, wd: 0.1, amsgrad: false, decoupled: false }],
    ['Adam amsgrad', { lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.01, amsgrad: true, decoupled: false }],
    ['AdamW', { lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.05, amsgrad: false, decoupled: true }],
    ['AdamW amsgrad', { lr: 1e-2, b1: 0.9, b2: 0.99, eps: 1e-8, wd: 0.01, amsgrad: true, decoupled: true }],
  ];
  for (const [name, h] of adamCases) {
    it(`${name} (flat and per parameter)`, async () => {
      const Cls = h.decoupled ? AdamW : Adam;
      for (const flat of [true, false]) {
        const got = await run((ps, f) => new Cls(ps, { lr: h.lr, betas: [h.b1, h.b2], eps: h.eps, weightDecay: h.wd, amsgrad: h.amsgrad, flat: f }), gradSeq, flat);
        // Adam's step is ~lr·sign(g) where |g| >> eps: compare at a fraction of lr
        expectClose(got, adamRef(init, gradSeq, h), { atol: h.lr * 1e-3, rtol: 1e-5, name: `${name}, flat ${flat}` });
      }
    });
  }

  it('AMSGrad differs from Adam when v shrinks', async () => {
    const shrinking = [gradSeq[0]!, gradSeq[0]!.map((v) => v * 0.01), gradSeq[0]!.map((v) => v * 0.01)];
    const h: AdamH = { lr: 1e-2, b1: 0.9, b2: 0.5, eps: 1e-8, wd: 0, amsgrad: true, decoupled: false };
    const ams = await run((ps) => new Adam(ps, { lr: h.lr, betas: [h.b1, h.b2], amsgrad: true }), shrinking);
    const plain = await run((ps) => new Adam(ps, { lr: h.lr, betas: [h.b1, h.b2] }), shrinking);
    expectClose(ams, adamRef(init, shrinking, h), { atol: 1e-5, rtol: 1e-5, name: 'amsgrad' });
    expect(Math.abs(ams[1]! - plain[1]!)).toBeGreaterThan(1e-4);
  });

  it('parameters without a gradient are skipped; zeroGrad drops or zeroes gradients', async () => {
    const a = param(init);
    const b = param(init);
    const opt = new SGD([a, b], { lr: 0.1, momentum: 0.9 });
    setGrad(a, gradSeq[0]!);
    opt.step();
    expectClose(await b.data(), init, { atol: 0, rtol: 0, name: 'untouched b' });
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    setGrad(a, gradSeq[0]!);
    opt.zeroGrad(false);
    expect(Array.from(await a.grad!.data()).every((v) => v === 0)).toBe(true);
    opt.dispose();
    for (const t of [a, b]) {
      t.grad?.dispose();
      t.dispose();
    }
  });

  for (const kind of ['SGD', 'Adam'] as const) {
    it(`${kind}: stateDict / loadStateDict resumes exactly`, async () => {
      const make = (ps: Tensor[]): Optimizer => kind === 'SGD'
        ? new SGD(ps, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })
        : new Adam(ps, { lr: 1e-2, amsgrad: true, weightDecay: 1e-2 });
      const straight = await run(make, gradSeq);
      // two steps, snapshot to the CPU, new param + optimizer, load, two more steps
      const p = param(init);
      const opt = make([p]);
      for (const g of gradSeq.slice(0, 2)) {
        setGrad(p, g);
        opt.step();
      }
      const st = opt.stateDict();
      const cpu = new Map<string, { shape: number[]; data: Float32Array }>();
      for (const [k, t] of st.tensors) cpu.set(k, { shape: [...t.shape], data: await (t as Tensor).data() });
      const saved = { ...st, tensors: cpu };
      const pData = await p.data();
      opt.dispose();
      const p2 = keep(Tensor.fromArray(pData, [N])).requiresGrad_();
      const opt2 = make([p2]);
      opt2.lr = 123; // overwritten by the state
      opt2.loadStateDict(saved);
      expect(opt2.lr).toBe(kind === 'SGD' ? 0.01 : 1e-2);
      expect(opt2.stepCount).toBe(2);
      for (const g of gradSeq.slice(2)) {
        setGrad(p2, g);
        opt2.step();
      }
      expectClose(await p2.data(), straight, { atol: 0, rtol: 0, name: `${kind} resumed` });
      opt2.dispose();
      for (const t of [p, p2]) {
        t.grad?.dispose();
        t.dispose();
      }
    });
  }

  it('loadStateDict rejects a wrong kind or shape without loading', () => {
    const p = param(init);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    expect(() => opt.loadStateDict({ type: 'Adam', hyper: {}, steps: [1], tensors: new Map() })).toThrow(/Adam/);
    expect(() => opt.loadStateDict({
      type: 'SGD', hyper: {}, steps: [1],
      tensors: new Map([['0.momentum_buffer', { shape: [3], data: new Float32Array(3) }]]),
    })).toThrow(/shape \[3\]/);
    opt.dispose();
    p.dispose();
  });

  it('clipGradNorm scales by the global norm on the GPU and returns it', async () => {
    const g1 = f32(randomArray(300, 5, -1, 1));
    const g2 = f32(randomArray(50, 6, -2, 2));
    const norm = Math.sqrt([...g1, ...g2].reduce((s, v) => s + v * v, 0));
    const a = keep(Tensor.fromArray(new Float32Array(300), [300])).requiresGrad_();
    const b = keep(Tensor.fromArray(new Float32Array(50), [5, 10])).requiresGrad_();
    setGrad(a, g1);
    setGrad(b, g2);
    const n = clipGradNorm([a, b], 1.0);
    expect(await n.item()).toBeCloseTo(norm, 3);
    const coef = 1 / (norm + 1e-6);
    expectClose(await a.grad!.data(), g1.map((v) => v * coef), { atol: 1e-6, rtol: 1e-5, name: 'clipped a' });
    expectClose(await b.grad!.data(), g2.map((v) => v * coef), { atol: 1e-6, rtol: 1e-5, name: 'clipped b' });
    // under the limit: unchanged
    const n2 = clipGradNorm([a, b], 10);
    expect(await n2.item()).toBeCloseTo(1, 4);
    expectClose(await a.grad!.data(), g1.map((v) => v * coef), { atol: 1e-6, rtol: 1e-5, name: 'unclipped a' });
    for (const t of [n, n2, a, b]) {
      t.grad?.dispose();
      t.dispose();
    }
  });
});

describe.skipIf(!gpu)('learning-rate schedules (PyTorch closed forms) and the lr setter', () => {
  const make = () => {
    const p = param(init);
    return { p, opt: new SGD([p], { lr: 0.1 }) };
  };
  it('StepLR, ExponentialLR, CosineAnnealingLR', () => {
    const { p, opt } = make();
    const s = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
    const lrs = [1, 2, 3, 4, 5].map(() => s.step());
    expect(lrs).toEqual([0.1, 0.05, 0.05, 0.025, 0.025]);
    const { opt: o2 } = make();
    const e = new ExponentialLR(o2, { gamma: 0.9 });
    e.step();
    e.step();
    expect(o2.lr).toBeCloseTo(0.1 * 0.81, 12);
    const { opt: o3 } = make();
    const c = new CosineAnnealingLR(o3, { tMax: 10, etaMin: 0.001 });
    for (let i = 0; i < 5; i++) c.step();
    expect(o3.lr).toBeCloseTo(0.001 + (0.1 - 0.001) / 2, 12);
    for (let i = 0; i < 5; i++) c.step();
    expect(o3.lr).toBeCloseTo(0.001, 12);
    o3.lr = 0.5;
    expect(o3.hyper.lr).toBe(0.5);
    p.dispose();
  });
});
