// The per-step warm-up + cosine schedule: closed form, edges, and as a fit() callback.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { randomArray } from '../helpers/check.js';
import { checkWarmupCosine, warmupCosineLr } from '../../src/optim/warmup-cosine.js';
import { warmupCosineSchedule } from '../../src/train/lr-schedule.js';
import { Sequential } from '../../src/layers/sequential.js';
import { Linear } from '../../src/layers/linear.js';
import { SGD } from '../../src/optim/sgd.js';
import { LambdaCallback } from '../../src/train/callbacks.js';
import { arrayDataset, compile, fit } from '../../src/train/index.js';

describe('warmupCosineLr', () => {
  const o = { peakLr: 0.1, warmupSteps: 4, totalSteps: 14, minLr: 0.001 };
  it('rises linearly to the peak, then follows the cosine to minLr, and stays there', () => {
    [0.025, 0.05, 0.075, 0.1].forEach((lr, s) => expect(warmupCosineLr(s, o)).toBeCloseTo(lr, 12));
    expect(warmupCosineLr(4, o)).toBeCloseTo(0.1, 12);
    expect(warmupCosineLr(9, o)).toBeCloseTo(0.001 + 0.099 / 2, 12);
    expect(warmupCosineLr(14, o)).toBeCloseTo(0.001, 12);
    expect(warmupCosineLr(100, o)).toBeCloseTo(0.001, 12);
    for (let s = 4; s < 14; s++) expect(warmupCosineLr(s + 1, o)).toBeLessThan(warmupCosineLr(s, o));
  });
  it('without warm-up starts at the peak', () => {
    expect(warmupCosineLr(0, { peakLr: 0.2, warmupSteps: 0, totalSteps: 10 })).toBe(0.2);
  });
  it('rejects nonsense', () => {
    expect(() => checkWarmupCosine({ peakLr: 0.1, warmupSteps: 10, totalSteps: 10 })).toThrow(/totalSteps/);
    expect(() => checkWarmupCosine({ peakLr: 0, warmupSteps: 1, totalSteps: 10 })).toThrow(/peakLr/);
    expect(() => checkWarmupCosine({ peakLr: 0.1, warmupSteps: 1, totalSteps: 10, minLr: 0.2 })).toThrow(/minLr/);
  });
});

describe.skipIf(!gpu)('warmupCosineSchedule in fit()', () => {
  it('sets the rate before every step, counting steps across epochs', async () => {
    const model = new Sequential(new Linear(4, 2, { seed: 1 }));
    const optimizer = new SGD(model.namedParameters(), { lr: 123 });
    compile(model, { optimizer });
    const x = Float32Array.from(randomArray(40 * 4, 5, -1, 1));
    const y = Int32Array.from({ length: 40 }, (_, i) => i % 2);
    const data = arrayDataset({ x, y, sampleShape: [4] }, { seed: 1 });
    const stepsPerEpoch = 5; // 40 / 8
    const schedule = warmupCosineSchedule({ peakLr: 0.05, epochs: 3, warmupEpochs: 1, stepsPerEpoch });
    const seen: number[] = [];
    const probe = new LambdaCallback({ onBatchBegin: () => void seen.push(optimizer.lr) });
    const h = await fit(model, data, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [schedule, probe] });
    const expected = Array.from({ length: 15 }, (_, s) => warmupCosineLr(s, { peakLr: 0.05, warmupSteps: 5, totalSteps: 15 }));
    seen.forEach((lr, s) => expect(lr).toBeCloseTo(expected[s]!, 12));
    expect(seen.length).toBe(15);
    expect(h.history['lr']![2]).toBeCloseTo(expected[14]!, 12);
  });
});
