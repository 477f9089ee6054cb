// fit / evaluate / predict on a tiny in-memory problem (4 features, 2 classes).
import { describe, expect, it } from 'vitest';

import { gpu } from '../helpers/gpu.js';
import { Sequential } from '../../src/layers/sequential.js';
import { Linear } from '../../src/layers/linear.js';
import { ReLU } from '../../src/layers/activation.js';
import { SGD } from '../../src/optim/sgd.js';
import { Callback, EarlyStopping, LambdaCallback, ModelCheckpoint, type Logs } from '../../src/train/callbacks.js';
import { arrayDataset, compile, evaluate, fit, FIT_TUNING, predict, type FitOptions } from '../../src/train/index.js';
import { fill_, type Tensor } from '../../src/tensor/index.js';

const FEATURES = 4;

/** n points; class 1 when x0 + x1 > 0. Deterministic. */
function makeData(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  const x = new Float32Array(n * FEATURES);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < FEATURES; j++) x[i * FEATURES + j] = 4 * rand();
    y[i] = x[i * FEATURES]! + x[i * FEATURES + 1]! > 0 ? 1 : 0;
  }
  return { x, y };
}

function makeModel(seed = 7) {
  const model = new Sequential(new Linear(FEATURES, 16, { seed }), new ReLU(), new Linear(16, 2, { seed: seed + 1 }));
  const optimizer = new SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9 });
  compile(model, { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return { model, optimizer };
}

const trainSet = makeData(96, 1);
const valSet = makeData(40, 2);
const train = () => arrayDataset({ ...trainSet, sampleShape: [FEATURES] }, { seed: 3 });
const val = () => arrayDataset({ ...valSet, sampleShape: [FEATURES] }, { shuffle: false });

function quiet(extra: FitOptions = {}): FitOptions {
  return { batchSize: 16, verbose: 0, seed: 11, validationData: val(), ...extra };
}

async function cpuState(tensors: Iterable<[string, Tensor]>) {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, t] of tensors) out.set(k, { shape: [...t.shape], data: (await t.data()).slice() });
  return out;
}

describe.skipIf(!gpu)('fit', () => {
  it('learns, logs Keras metrics and calls the callbacks in order', async () => {
    const { model } = makeModel();
    const events: string[] = [];
    const cb = new LambdaCallback({
      onTrainBegin: () => void events.push('trainBegin'),
      onEpochBegin: (e) => void events.push(`epochBegin ${e}`),
      onBatchEnd: (b, logs) => {
        if (b === 0) events.push(`batchEnd ${b} ${Object.keys(logs).join(',')}`);
      },
      onEpochEnd: (e, logs) => void events.push(`epochEnd ${e} ${Object.keys(logs).join(',')}`),
      onTrainEnd: () => void events.push('trainEnd'),
    });
    const history = await fit(model, train(), quiet({ epochs: 6, callbacks: [cb] }));
    expect(history.epoch).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'lr', 'val_accuracy', 'val_loss']);
    const loss = history.history['loss']!;
    expect(loss[5]!).toBeLessThan(loss[0]! * 0.7);
    expect(history.history['val_accuracy']![5]!).toBeGreaterThan(0.8);
    expect(history.history['lr']).toEqual(new Array(6).fill(0.1));
    expect(history.stopReason).toBe('completed');
    expect(events[0]).toBe('trainBegin');
    expect(events[1]).toBe('epochBegin 0');
    expect(events[2]).toBe('batchEnd 0 loss,accuracy');
    expect(events).toContain('epochEnd 0 loss,accuracy,val_loss,val_accuracy,lr');
    expect(events.at(-1)).toBe('trainEnd');

    const r = await evaluate(model, val());
    expect(r.count).toBe(40);
    expect(r.loss).toBeCloseTo(history.history['val_loss']![5]!, 5);
    expect(r.accuracy).toBeCloseTo(history.history['val_accuracy']![5]!, 5);
    const probs = await predict(model, valSet.x.subarray(0, 5 * FEATURES), { sampleShape: [FEATURES] });
    expect(probs).toHaveLength(5);
    for (const p of probs) {
      expect(p).toHaveLength(2);
      expect(p[0]! + p[1]!).toBeCloseTo(1, 5);
    }
    const withConfusion = await evaluate(model, val(), { confusionMatrix: true, batchSize: 7 });
    const cm = withConfusion.confusion!;
    expect(cm.flat().reduce((a, b) => a + b, 0)).toBe(40);
    expect((cm[0]![0]! + cm[1]![1]!) / 40).toBeCloseTo(withConfusion.accuracy, 5);
  });

  it('prints Keras progress: the final line only when not a terminal, redraws on a terminal', async () => {
    for (const isTTY of [false, true]) {
      const { model } = makeModel();
      let out = '';
      await fit(model, train(), quiet({ epochs: 2, verbose: 1, isTTY, write: (s) => (out += s), now: () => 0 }));
      const lines = out.split('\n');
      expect(lines[0]).toBe('Epoch 1/2');
      const final = /^6\/6 \[={30}\] - 0s 0s\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$/;
      if (isTTY) {
        expect(out).toContain('\r');
        expect(out).toMatch(/ETA: 0s - loss: /);
        expect(lines[1]!.split('\r').at(-1)).toMatch(final);
      } else {
        expect(out).not.toContain('\r');
        expect(lines[1]).toMatch(final);
        expect(lines[2]).toBe('Epoch 2/2');
      }
    }
  });

  it('is deterministic: same seed, same data, same losses', async () => {
    const a = await fit(makeModel().model, train(), quiet({ epochs: 3 }));
    const b = await fit(makeModel().model, train(), quiet({ epochs: 3 }));
    expect(b.history['loss']).toEqual(a.history['loss']);
    expect(b.history['val_loss']).toEqual(a.history['val_loss']);
  });

  it('reads each step before the next (a CPU driver) or one step late (a GPU): the same losses, batch by batch', async () => {
    const run = async (overlap: boolean) => {
      const was = FIT_TUNING.overlapStepsOnCpu;
      FIT_TUNING.overlapStepsOnCpu = overlap;
      try {
        const batches: Array<[number, number]> = [];
        const cb = new LambdaCallback({ onBatchEnd: (b, logs) => void batches.push([b, logs['loss']!]) });
        const h = await fit(makeModel().model, train(), quiet({ epochs: 2, callbacks: [cb] }));
        return { batches, loss: h.history['loss'] };
      } finally {
        FIT_TUNING.overlapStepsOnCpu = was;
      }
    };
    const late = await run(true);
    const now = await run(false);
    // 96 samples in batches of 16: 6 steps an epoch, each reported once, in order
    expect(late.batches.map(([b]) => b)).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
    expect(now.batches).toEqual(late.batches);
    expect(now.loss).toEqual(late.loss);
  });

  it('mixes batches with mixup when asked: seeded, changes the training loss, never the validation data', async () => {
    const plain = await fit(makeModel().model, train(), quiet({ epochs: 2 }));
    const a = await fit(makeModel().model, train(), quiet({ epochs: 2, mix: { mixupAlpha: 0.4 } }));
    const b = await fit(makeModel().model, train(), quiet({ epochs: 2, mix: { mixupAlpha: 0.4 } }));
    expect(b.history['loss']).toEqual(a.history['loss']);
    expect(a.history['loss']![0]).not.toBe(plain.history['loss']![0]);
    expect(a.history['loss']!.every(Number.isFinite)).toBe(true);
    // validation is not mixed: evaluating the trained model again gives the logged val_loss
    const { model } = makeModel();
    const h = await fit(model, train(), quiet({ epochs: 1, mix: { mixupAlpha: 0.4 } }));
    const v = await evaluate(model, val(), { batchSize: 16 });
    expect(v.loss).toBeCloseTo(h.history['val_loss']![0]!, 5);
    await expect(fit(makeModel().model, train(), quiet({ mix: { mixupAlpha: -1 } }))).rejects.toThrow(/mixupAlpha must be a number >= 0/);
  });

  it('stops with a clear message when the loss becomes NaN', async () => {
    const { model } = makeModel();
    let out = '';
    const seen: number[] = [];
    // poison the output bias before the second batch of the first epoch
    const poison = new LambdaCallback({
      onBatchBegin: (b) => {
        if (b === 1) fill_(model.stateDict().get('2.bias')!, NaN);
      },
      onEpochEnd: (e) => void seen.push(e),
    });
    const history = await fit(model, train(), quiet({ epochs: 3, verbose: 1, write: (s) => (out += s), callbacks: [poison] }));
    expect(history.stopReason).toBe('nan');
    expect(out).toContain('loss became NaN at epoch 1 step 2; training stopped');
    expect(history.nanMessage).toBe('loss became NaN at epoch 1 step 2; training stopped');
    expect(history.epoch).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('calls onTestBatchBegin before each validation batch; a throw there ends the pass and fit', async () => {
    const { model } = makeModel();
    const seen: string[] = [];
    const ok = new LambdaCallback({ onTestBatchBegin: (b) => void seen.push(`test ${b}`), onEpochEnd: (e) => void seen.push(`end ${e}`) });
    // 40 validation samples in batches of 16: batches 0, 1, 2 before each epoch's end
    await fit(model, train(), quiet({ epochs: 2, callbacks: [ok] }));
    expect(seen).toEqual(['test 0', 'test 1', 'test 2', 'end 0', 'test 0', 'test 1', 'test 2', 'end 1']);

    class Stop extends Error {}
    const after: number[] = [];
    const stopper = new LambdaCallback({
      onTestBatchBegin: (b) => {
        after.push(b);
        if (b === 1) throw new Stop('stop');
      },
      onEpochEnd: () => void after.push(-1),
    });
    await expect(fit(model, train(), quiet({ epochs: 3, callbacks: [stopper] }))).rejects.toBeInstanceOf(Stop);
    expect(after).toEqual([0, 1]);  // no third batch, no epoch end
    expect(model.training).toBe(true);  // evaluate put train mode back
    // the model is still usable: the pass was not left half-submitted
    const r = await evaluate(model, val());
    expect(r.count).toBe(40);
    expect(Number.isFinite(r.loss)).toBe(true);
  });

  it('resumes from a checkpoint with the optimizer state and the epoch counter', async () => {
    const full = await fit(makeModel().model, train(), quiet({ epochs: 4 }));

    const first = makeModel();
    let saved: { epoch: number; weights: Awaited<ReturnType<typeof cpuState>>; optimizer: ReturnType<SGD['stateDict']> } | undefined;
    const saveCheckpoint = async (_path: string, info: { epoch: number; logs: Logs }) => {
      const opt = first.optimizer.stateDict();
      const tensors = await cpuState(opt.tensors as Map<string, Tensor>);
      saved = { epoch: info.epoch, weights: await cpuState(first.model.stateDict()), optimizer: { ...opt, tensors } };
    };
    const ckpt = new ModelCheckpoint({ filepath: 'mem://ckpt', verbose: 0 });
    const part1 = await fit(first.model, train(), quiet({ epochs: 2, callbacks: [ckpt], saveCheckpoint }));
    expect(part1.epoch).toEqual([0, 1]);
    expect(saved!.epoch).toBe(1);

    const second = makeModel(99); // different initial weights, overwritten by the checkpoint
    second.model.loadStateDict(saved!.weights);
    second.optimizer.loadStateDict(saved!.optimizer);
    const part2 = await fit(second.model, train(), quiet({ epochs: 4, initialEpoch: saved!.epoch + 1 }));
    expect(part2.epoch).toEqual([2, 3]);
    expect(part2.history['loss']).toEqual(full.history['loss']!.slice(2));
    expect(part2.history['val_accuracy']).toEqual(full.history['val_accuracy']!.slice(2));
  });

  it('EarlyStopping restores the best weights through GPU snapshots', async () => {
    const { model } = makeModel();
    let bestWeights: Float32Array | undefined;
    let best = -Infinity;
    class Track extends Callback {
      override async onEpochEnd(_e: number, logs: Logs) {
        if (logs['val_accuracy']! > best) {
          best = logs['val_accuracy']!;
          bestWeights = (await model.stateDict().get('0.weight')!.data()).slice();
        }
      }
    }
    const stop = new EarlyStopping({ monitor: 'val_accuracy', patience: 1, restoreBestWeights: true });
    await fit(model, train(), quiet({ epochs: 5, callbacks: [new Track(), stop] }));
    const now = await model.stateDict().get('0.weight')!.data();
    expect(Array.from(now)).toEqual(Array.from(bestWeights!));
  });

  it('rejects an uncompiled model and bad options', async () => {
    const model = new Sequential(new Linear(FEATURES, 2, { seed: 1 }));
    await expect(fit(model, train(), quiet())).rejects.toThrow(/not compiled/);
    const { model: m } = makeModel();
    await expect(fit(m, train(), quiet({ epochs: 0 }))).rejects.toThrow(/epochs must be a positive integer/);
  });
});

describe.skipIf(!gpu)('Keras-style methods on the model', () => {
  it('model.compile / model.fit / model.evaluate / model.predict', async () => {
    // importing the package entry installs the methods on Module
    await import('../../src/train/index.js');
    const model = new Sequential(new Linear(FEATURES, 16, { seed: 5 }), new ReLU(), new Linear(16, 2, { seed: 6 }));
    const optimizer = new SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9 });
    model.compile({ optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const history = await model.fit(train(), { epochs: 4, ...quiet() });
    expect(history.history.loss!.length).toBe(4);
    expect(history.history.loss![3]!).toBeLessThan(history.history.loss![0]!);
    const r = await model.evaluate(val());
    expect(r.accuracy).toBeGreaterThan(0.7);
    const probs = await model.predict(valSet.x.slice(0, 2 * FEATURES), { sampleShape: [FEATURES] });
    expect(probs.length).toBe(2);
    expect(probs[0]![0]! + probs[0]![1]!).toBeCloseTo(1, 5);
  });
});
