// Five optimizer steps against PyTorch (test/fixtures/optim_{sgd,adam}.safetensors,
// scripts/fixtures/optim.py): SGD with momentum, dampening and weight decay, SGD with Nesterov
// momentum, Adam with (coupled) weight decay, Adam with AMSGrad, AdamW — over every parameter of
// a reduced paper AlexNet, every element of every parameter compared after every step. The
// gradients are the fixture's (hashInit('grad<t>.' + name, n, 0.1)), reached through autograd
// (loss = sum over p of sum(p * grad_t), whose gradient is grad_t exactly) into the flat
// optimizer's gradient arena, as a training step reaches it.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { hashInit } from '../../src/io/hashinit.js';
import { alexnet } from '../../src/models/alexnet.js';
import { Adam, AdamW, SGD, type Optimizer } from '../../src/optim/index.js';
import { add, keep, mul, sum, Tensor, tidy } from '../../src/tensor/index.js';
import { initState, loadFixture, ulp } from '../models/fixture.js';

/**
 * The error of a parameter after step t: max over elements of
 * max(0, |w - e| - 4 ulp(e)) / max(|e - w0|, 1 % of the largest |e - w0|), i.e. against the
 * total update so far, less a few roundings of the weight itself. Measured on lavapipe: SGD
 * 5e-7; Adam 1.5e-4 (an element whose updates nearly cancel, where Adam's normalisation
 * magnifies float32 differences). A skipped step costs 0.18 or more (asserted below).
 */
const TOL = { SGD: 1e-5, Adam: 1e-3, AdamW: 1e-3 };

function updateErr(w: Float32Array, e: Float32Array, w0: Float32Array): number {
  let maxUpdate = 0;
  for (let i = 0; i < e.length; i++) maxUpdate = Math.max(maxUpdate, Math.abs(e[i]! - w0[i]!));
  const floor = 1e-2 * maxUpdate;
  let err = 0;
  for (let i = 0; i < e.length; i++) {
    const off = Math.max(0, Math.abs(w[i]! - e[i]!) - 4 * ulp(e[i]!));
    err = Math.max(err, off / Math.max(Math.abs(e[i]! - w0[i]!), floor));
  }
  return err;
}

interface Hyper {
  type: 'SGD' | 'Adam' | 'AdamW';
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weight_decay?: number;
  betas?: [number, number];
  eps?: number;
  amsgrad?: boolean;
}

function optimizer(h: Hyper, params: [string, Tensor][]): Optimizer {
  if (h.type === 'SGD') {
    return new SGD(params, { lr: h.lr, momentum: h.momentum, dampening: h.dampening, nesterov: h.nesterov, weightDecay: h.weight_decay });
  }
  const o = { lr: h.lr, betas: h.betas, eps: h.eps, weightDecay: h.weight_decay, amsgrad: h.amsgrad };
  return h.type === 'Adam' ? new Adam(params, o) : new AdamW(params, o);
}

describe.skipIf(!gpu)('optimizers against PyTorch: five steps, every element of every parameter', () => {
  for (const file of ['optim_sgd.safetensors', 'optim_adam.safetensors']) {
    const fx = loadFixture(file);
    const steps = Number(fx.meta['steps']);
    const shapes = fx.json<Record<string, number[]>>('parameters');
    for (const [key, h] of Object.entries(fx.json<Record<string, Hyper>>('optimizers'))) {
      it(`${key}: ${JSON.stringify(h)}`, { timeout: 300_000 }, async () => {
        expect(steps).toBe(5);
        const model = alexnet({ preset: 'paper', width: 1 / 32, inputSize: 67, numClasses: 10, init: 'none' });
        const named = model.namedParameters();
        expect(named.map(([n, p]) => [n, [...p.shape]])).toEqual(Object.entries(shapes));
        const init = initState(model);
        model.loadStateDict(init);
        const opt = optimizer(h, named);
        expect(opt.isFlat).toBe(true);
        const lines: string[] = [];
        try {
          let previous = new Map([...init].map(([n, v]) => [n, v.data]));
          for (let t = 1; t <= steps; t++) {
            const grads = named.map(([name, p]) => keep(Tensor.fromArray(hashInit(`grad${t}.${name}`, p.size, 0.1), p.shape)));
            await tidy(async () => {
              let loss: Tensor | null = null;
              named.forEach(([, p], i) => {
                const term = sum(mul(p, grads[i]!));
                loss = loss ? add(loss, term) : term;
              });
              loss!.backward();
            });
            if (t === 1) {
              // the gradient the optimizer sees is the fixture's, exactly, in the arena
              const [name, p] = named[0]!;
              expect(await p.grad!.data()).toEqual(hashInit(`grad1.${name}`, p.size, 0.1));
              expect(Array.from(fx.f32(`grad1.${name}.val`))).toEqual(Array.from(fx.i32(`init.${name}.idx`), (i) => hashInit(`grad1.${name}`, p.size, 0.1)[i]!));
            }
            opt.step();
            expect(opt.lastStepDispatches, 'the flat path: a few dispatches over the arena, not one per parameter').toBeLessThan(named.length);
            opt.zeroGrad();
            grads.forEach((g) => g.dispose());
            let worst = 0;
            let skipped = Infinity;
            for (const [name, p] of named) {
              const e = fx.f32(`${key}.step${t}.${name}`);
              const err = updateErr(await p.data(), e, init.get(name)!.data);
              worst = Math.max(worst, err);
              expect(err, `${key} step ${t}: ${name}`).toBeLessThan(TOL[h.type]);
              // the fixture sees this step: a skipped one (the previous weights) misses by far
              skipped = Math.min(skipped, updateErr(previous.get(name)!, e, init.get(name)!.data));
              previous.set(name, e);
            }
            expect(skipped, `${key} step ${t}: a skipped step must fail`).toBeGreaterThan(100 * TOL[h.type]);
            lines.push(`${key} step ${t}: max rel err ${worst.toExponential(2)} (a skipped step: ${skipped.toExponential(2)})`);
          }
        } finally {
          console.log(lines.join('\n'));
          opt.dispose();
          model.dispose();
        }
      });
    }
  }
});
