// Parity with PyTorch (test/fixtures/alexnet_{torchvision,paper}.safetensors, docs/weights.md):
// the same hashInit weights and input give the same logits and loss, the same gradient of
// every parameter (sum, sum of squares, 64 sampled values; whole biases), and the same
// weights after one SGD(lr .01, momentum .9, wd 5e-4) step and one Adam(lr 1e-3) step.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { parseSafetensors, toFloat32, toInt32, type STTensor } from '../../src/io/safetensors.js';
import { hashInit, hashInitScale } from '../../src/io/hashinit.js';
import { alexnet, type AlexNetPreset } from '../../src/models/alexnet.js';
import { Adam, SGD } from '../../src/optim/index.js';
import { keep, Tensor, tidy } from '../../src/tensor/index.js';
import { softmaxCrossEntropy } from '../../src/tensor/ops/softmax.js';

function loadFixture(preset: AlexNetPreset) {
  const path = `test/fixtures/alexnet_${preset}.safetensors`;
  const { tensors, metadata } = parseSafetensors(readFileSync(path), path);
  const get = (n: string): STTensor => {
    const t = tensors.get(n);
    if (!t) throw new Error(`${path}: no tensor ${n}`);
    return t;
  };
  return {
    f32: (n: string) => toFloat32(get(n), n, path),
    i32: (n: string) => toInt32(get(n), n, path),
    f64: (n: string) => new DataView(get(n).data.buffer, get(n).data.byteOffset, 8).getFloat64(0, true),
    has: (n: string) => tensors.has(n),
    meta: metadata,
  };
}

/** The spacing of float32 values around v. */
function ulp(v: number): number {
  return v === 0 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
}

/** |a - e| / max(|e|, floor), maximised. */
function relErr(a: ArrayLike<number>, e: ArrayLike<number>, floor: number): number {
  let m = 0;
  for (let i = 0; i < e.length; i++) m = Math.max(m, Math.abs(a[i]! - e[i]!) / Math.max(Math.abs(e[i]!), floor));
  return m;
}

const ADAM_LR = 1e-3;
const ADAM_EPS = 1e-8;
const results: string[] = [];

describe.skipIf(!gpu)('AlexNet parity with PyTorch', () => {
  for (const preset of ['paper', 'torchvision'] as const) {
    it(`${preset}: logits, loss, every gradient, one SGD and one Adam step`, async () => {
      const fx = loadFixture(preset);
      const inputShape = JSON.parse(fx.meta['input_shape']!) as number[];
      const numClasses = Number(fx.meta['num_classes']);
      const modules = (JSON.parse(fx.meta['modules']!) as string[]).map((m) => m.split(':')[0]);
      const paramShapes = JSON.parse(fx.meta['parameters']!) as Record<string, number[]>;

      const model = alexnet({ preset, numClasses, inputSize: inputShape[2], init: 'none' });
      // the module list and parameters are the fixture's
      const leafNames = model.namedModules().filter(([, m]) => m.children.length === 0).map(([n]) => n).filter((n) => n !== 'flatten');
      expect(leafNames).toEqual(modules);
      expect(model.namedParameters().map(([n, p]) => [n, [...p.shape]])).toEqual(Object.entries(paramShapes));

      const init = new Map(model.namedParameters().map(([n, p]) => [n, { shape: [...p.shape], data: hashInit(n, p.size, hashInitScale(p.shape)) }]));
      model.loadStateDict(init);
      model.eval();
      const n = inputShape.reduce((a, b) => a * b, 1);
      const x = keep(Tensor.fromArray(hashInit('input', n, 1.0), inputShape));
      const labels = keep(Tensor.fromArray(fx.i32('labels')));
      const lines: string[] = [];
      try {
        // ---- forward + backward ----
        const { logits, loss } = await tidy(async () => {
          const y = model.forward(x);
          const l = softmaxCrossEntropy(y, labels);
          l.backward();
          return { logits: await y.data(), loss: await l.item() };
        });
        const eLogits = fx.f32('logits');
        const logitsErr = relErr(logits, eLogits, 1e-2 * Math.max(...eLogits.map(Math.abs)));
        const lossErr = Math.abs(loss - fx.f32('loss')[0]!) / Math.abs(fx.f32('loss')[0]!);
        lines.push(`${preset}: logits max rel err ${logitsErr.toExponential(2)}, loss ${loss} vs ${fx.f32('loss')[0]} (rel ${lossErr.toExponential(2)})`);
        expect(logitsErr).toBeLessThan(1e-4);
        expect(lossErr).toBeLessThan(1e-4);

        let worstSum = 0;
        let worstSumsq = 0;
        let worstVal = 0;
        for (const [name, p] of model.namedParameters()) {
          const g = await p.grad!.data();
          let s = 0;
          let sq = 0;
          for (const v of g) {
            s += v;
            sq += v * v;
          }
          const eSum = fx.f64(`grad.${name}.sum`);
          const eSq = fx.f64(`grad.${name}.sumsq`);
          // a sum of signed values may cancel: measure it against the gradient's L1-ish scale
          const sumErr = Math.abs(s - eSum) / Math.max(Math.abs(eSum), Math.sqrt(eSq * g.length) * 1e-3);
          const sqErr = Math.abs(sq - eSq) / eSq;
          const idx = fx.i32(`grad.${name}.idx`);
          const eVal = fx.f32(`grad.${name}.val`);
          const got = Array.from(idx, (i) => g[i]!);
          const scale = Math.sqrt(eSq / g.length);
          const valErr = relErr(got, eVal, 1e-2 * scale);
          if (fx.has(`grad.${name}`)) {
            const whole = fx.f32(`grad.${name}`);
            expect(relErr(g, whole, 1e-2 * scale), `${name} whole gradient`).toBeLessThan(1e-3);
          }
          worstSum = Math.max(worstSum, sumErr);
          worstSumsq = Math.max(worstSumsq, sqErr);
          worstVal = Math.max(worstVal, valErr);
          expect(sumErr, `${name} grad sum`).toBeLessThan(1e-3);
          expect(sqErr, `${name} grad sumsq`).toBeLessThan(1e-3);
          expect(valErr, `${name} grad samples`).toBeLessThan(1e-3);
        }
        lines.push(`${preset}: gradients (${model.parameters().length} tensors) max rel err: sum ${worstSum.toExponential(2)}, sumsq ${worstSumsq.toExponential(2)}, samples ${worstVal.toExponential(2)}`);

        // ---- one SGD step, then one Adam step from the same initial weights and gradients ----
        for (const kind of ['sgd', 'adam'] as const) {
          const opt = kind === 'sgd'
            ? new SGD(model.namedParameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 })
            : new Adam(model.namedParameters(), { lr: ADAM_LR, betas: [0.9, 0.999], eps: ADAM_EPS });
          opt.step();
          let worst = 0;
          let worstAbs = 0;
          for (const [name, p] of model.namedParameters()) {
            const w = await p.data();
            const idx = fx.i32(`grad.${name}.idx`);
            const e = fx.f32(`${kind}.${name}.val`);
            const eg = fx.f32(`grad.${name}.val`);
            const w0 = init.get(name)!.data;
            const gScale = Math.sqrt(fx.f64(`grad.${name}.sumsq`) / p.size);
            // compare the update (w - w0), the part the optimizer computed, less the float32
            // rounding of the new weight (one ulp), which both sides do
            const de = Array.from(idx, (i, k) => e[k]! - w0[i]!);
            const floor = 1e-2 * Math.max(...de.map(Math.abs));
            let err = 0;
            idx.forEach((i, k) => {
              let off = Math.max(0, Math.abs(w[i]! - e[k]!) - ulp(e[k]!));
              if (kind === 'adam') {
                // Adam's first step is f(g) = lr·g/(|g| + eps). The gradient checks above accept
                // δ = 1e-3·max(|g|, 1e-2·scale) per element; over [g - δ, g + δ] f moves by at
                // most lr·eps·δ/(max(0, |g| - δ) + eps)². That part of the difference is the
                // gradient's (a float32 sum that is exactly 0 in PyTorch may come out as ±1e-11
                // from another summation order, and lr·1e-11/eps is a tenth of the floor), so
                // it is taken off before the optimizer's own error is measured.
                const g = Math.abs(eg[k]!);
                const delta = 1e-3 * Math.max(g, 1e-2 * gScale);
                off = Math.max(0, off - (ADAM_LR * ADAM_EPS * delta) / (Math.max(0, g - delta) + ADAM_EPS) ** 2);
              }
              err = Math.max(err, off / Math.max(Math.abs(de[k]!), floor));
              worstAbs = Math.max(worstAbs, Math.abs(w[i]! - e[k]!));
            });
            worst = Math.max(worst, err);
            expect(err, `${kind} ${name}`).toBeLessThan(1e-3);
          }
          lines.push(`${preset}: ${kind} step: update max rel err ${worst.toExponential(2)}, weights max abs err ${worstAbs.toExponential(2)}`);
          opt.dispose();
          model.loadStateDict(init); // back to the initial weights (gradients kept)
        }
      } finally {
        results.push(...lines);
        console.log(lines.join('\n'));
        x.dispose();
        labels.dispose();
        for (const p of model.parameters()) p.grad?.dispose();
        model.dispose();
      }
    });
  }
});
