import { describe, expect, it } from 'vitest';

import {
  epochHeader,
  formatEta,
  formatExponential,
  formatFixed,
  formatLogs,
  formatNumber,
  formatTimePerStep,
  ProgressBar,
  reprFloat,
} from '../../src/train/progress.js';

describe('number formatting (expected values from Python 3)', () => {
  it('formats fixed and exponential like Python, rounding half to even on the exact value', () => {
    expect(formatFixed(0.515625, 5)).toBe('0.51562');
    expect(formatFixed(0.55625, 4)).toBe('0.5563');
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(1.5, 0)).toBe('2');
    expect(formatFixed(-0.25, 1)).toBe('-0.2');
    expect(formatFixed(-Infinity, 5)).toBe('-inf');
    expect(formatExponential(1.23456e-7, 4)).toBe('1.2346e-07');
    expect(formatExponential(9.9996, 3)).toBe('1.000e+01');
    expect(formatExponential(0, 4)).toBe('0.0000e+00');
  });

  it('prints floats like Python repr', () => {
    expect(reprFloat(0.123456)).toBe('0.123456');
    expect(reprFloat(1e-5)).toBe('1e-05');
    expect(reprFloat(1.5e-5)).toBe('1.5e-05');
    expect(reprFloat(-0.0001)).toBe('-0.0001');
    expect(reprFloat(100)).toBe('100.0');
    expect(reprFloat(1e16)).toBe('1e+16');
    expect(reprFloat(123456789012345.6)).toBe('123456789012345.6');
    expect(reprFloat(NaN)).toBe('nan');
  });

  it('formats metrics like Keras: 4 decimals, e notation for tiny values', () => {
    expect(formatNumber(0.6931471805599453)).toBe('0.6931');
    expect(formatNumber(12.5)).toBe('12.5000');
    expect(formatNumber(1e-5)).toBe('1.0000e-05');
    expect(formatNumber(0)).toBe('0.0000e+00');
    expect(formatNumber(NaN)).toBe('nan');
    expect(formatNumber(Infinity)).toBe('inf');
    expect(formatLogs({ loss: 0.69314718, accuracy: 0.5, lr: 0.0001 })).toBe(
      'loss: 0.6931 - accuracy: 0.5000 - lr: 1.0000e-04',
    );
    expect(formatLogs({})).toBe('');
  });

  it('formats ETAs and step times like Keras', () => {
    expect(formatEta(3723.9)).toBe('1:02:03');
    expect(formatEta(65)).toBe('1:05');
    expect(formatEta(60)).toBe('60s');
    expect(formatEta(9.9)).toBe('9s');
    expect(formatTimePerStep(2)).toBe('2s/step');
    expect(formatTimePerStep(0.19)).toBe('190ms/step');
    expect(formatTimePerStep(0.00085)).toBe('850us/step');
    expect(formatTimePerStep(0)).toBe('0s/step');
  });

  it('prints 1-based epoch headers', () => {
    expect(epochHeader(2, 10)).toBe('Epoch 3/10');
  });
});

describe('ProgressBar', () => {
  const train = { loss: 0.6931471805599453, accuracy: 0.5 };
  const final = { ...train, val_loss: 0.69291, val_accuracy: 0.506 };

  function makeBar(isTTY: boolean) {
    const out: string[] = [];
    let clock = 0;
    const bar = new ProgressBar({ total: 63, isTTY, write: (s) => out.push(s), now: () => clock });
    return { bar, out, at: (ms: number) => (clock = ms) };
  }

  it('redraws in place on a TTY and ends with the final line', () => {
    const { bar, out, at } = makeBar(true);
    at(1000);
    bar.update(1, train); // the first step took 1 s: ETA 62 × 1 s
    at(3090);
    bar.update(12, train); // later steps take 190 ms: ETA 51 × 0.19 s
    at(3100);
    bar.update(13, train); // within 50 ms of the last redraw: skipped
    at(12400);
    bar.finish(final);
    expect(out).toEqual([
      '\r 1/63 [..............................] - ETA: 1:02 - loss: 0.6931 - accuracy: 0.5000',
      // Two spaces blank the end of the longer previous line.
      '\r12/63 [====>.........................] - ETA: 9s - loss: 0.6931 - accuracy: 0.5000  ',
      '\r63/63 [==============================] - 12s 184ms/step - loss: 0.6931 - accuracy: 0.5000' +
        ' - val_loss: 0.6929 - val_accuracy: 0.5060',
      '\n',
    ]);
  });

  it('writes only the final line when not a TTY', () => {
    const { bar, out, at } = makeBar(false);
    at(1000);
    bar.update(1, train);
    at(3090);
    bar.update(12, train);
    at(12400);
    bar.finish(final);
    bar.finish(final); // idempotent
    expect(out.join('')).toBe(
      '63/63 [==============================] - 12s 184ms/step - loss: 0.6931 - accuracy: 0.5000' +
        ' - val_loss: 0.6929 - val_accuracy: 0.5060\n',
    );
  });

  it('honours the width option and rejects an empty epoch', () => {
    const out: string[] = [];
    const bar = new ProgressBar({ total: 4, isTTY: true, width: 8, write: (s) => out.push(s), now: () => 0 });
    bar.update(2);
    expect(out).toEqual(['\r2/4 [===>....] - ETA: 0s']);
    expect(() => new ProgressBar({ total: 0, isTTY: true, write: () => {} })).toThrow('total must be a positive integer');
  });
});
