// SPDX-License-Identifier: MIT
// Keras-format progress output and the number formatting shared by the training callbacks.
// Browser-safe: output goes through an injected `write`, time through an injected clock.

import type { Logs } from './logs.js';

/**
 * The exact decimal value of a finite double as `digits × 10^exp10`. Every double is a dyadic
 * rational, so this is always finite; it lets us round half-to-even on the true value like
 * Python's `%.5f` does (JS `toFixed` rounds ties upwards: 0.515625 → "0.51563" not "0.51562").
 */
function exactDecimal(x: number): { digits: bigint; exp10: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exp2 = (biased === 0 ? 1 : biased) - 1075;
  if (exp2 >= 0) return { digits: mantissa << BigInt(exp2), exp10: 0 };
  // m / 2^k = m * 5^k / 10^k
  return { digits: mantissa * 5n ** BigInt(-exp2), exp10: exp2 };
}

/** Divides by 10^drop rounding half to even. */
function roundDrop(digits: bigint, drop: number): bigint {
  if (drop <= 0) return digits * 10n ** BigInt(-drop);
  const divisor = 10n ** BigInt(drop);
  let quotient = digits / divisor;
  const twice = (digits % divisor) * 2n;
  if (twice > divisor || (twice === divisor && quotient % 2n === 1n)) quotient += 1n;
  return quotient;
}

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return undefined;
}

/** Python's `f"{x:.{precision}f}"`, including `inf`, `nan` and half-to-even rounding. */
export function formatFixed(x: number, precision: number): string {
  const special = nonFinite(x);
  if (special !== undefined) return special;
  const { digits, exp10 } = exactDecimal(x);
  const text = roundDrop(digits, -exp10 - precision).toString().padStart(precision + 1, '0');
  const body = precision === 0 ? text : `${text.slice(0, -precision)}.${text.slice(-precision)}`;
  return (x < 0 || Object.is(x, -0) ? '-' : '') + body;
}

/** Python's `f"{x:.{precision}e}"`: `1.2346e-05` (exponent has at least two digits). */
export function formatExponential(x: number, precision: number): string {
  const special = nonFinite(x);
  if (special !== undefined) return special;
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const { digits, exp10 } = exactDecimal(x);
  let mantissa = 0n;
  let exponent = 0;
  if (digits !== 0n) {
    const length = digits.toString().length;
    mantissa = roundDrop(digits, length - precision - 1);
    exponent = length - 1 + exp10;
    if (mantissa.toString().length > precision + 1) {
      // Rounding carried into a new digit (9.99 → 10.0): renormalise.
      mantissa /= 10n;
      exponent += 1;
    }
  }
  const text = mantissa.toString().padStart(precision + 1, '0');
  const body = precision === 0 ? text : `${text[0]}.${text.slice(1)}`;
  const expSign = exponent < 0 ? '-' : '+';
  return `${sign}${body}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/**
 * Python's `repr(float)`: the shortest round-trip digits (the same digits JS picks), in
 * positional notation for exponents -4..15 and scientific otherwise, always with a `.0` or
 * an exponent so that it reads as a float: `0.001`, `1e-05`, `2.0`.
 */
export function reprFloat(x: number): string {
  const special = nonFinite(x);
  if (special !== undefined) return special;
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exponent = Number(expText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const body = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    return `${sign}${body}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}

/** A metric value as Keras prints it: 4 decimals, or `e` notation when |x| <= 1e-3. */
export function formatNumber(x: number): string {
  return Math.abs(x) > 1e-3 ? formatFixed(x, 4) : formatExponential(x, 4);
}

/** `loss: 0.6931 - accuracy: 0.5000`: the logs in insertion order, Keras-formatted. */
export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([name, value]) => `${name}: ${formatNumber(value)}`)
    .join(' - ');
}

/** Remaining time as Keras prints it: `1:02:03`, `1:05` or `9s` (truncated to whole seconds). */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number): string => String(n).padStart(2, '0');
  if (s > 3600) return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  if (s > 60) return `${Math.floor(s / 60)}:${two(s % 60)}`;
  return `${s}s`;
}

/** Time per step as Keras prints it: `2s/step`, `190ms/step` or `850us/step`. */
export function formatTimePerStep(seconds: number, unit = 'step'): string {
  if (seconds >= 1 || seconds === 0) return `${formatFixed(seconds, 0)}s/${unit}`;
  if (seconds >= 1e-3) return `${formatFixed(seconds * 1e3, 0)}ms/${unit}`;
  return `${formatFixed(seconds * 1e6, 0)}us/${unit}`;
}

/** The line printed before each epoch's bar; `epoch` is 0-based, printed 1-based: `Epoch 3/10`. */
export function epochHeader(epoch: number, epochs: number): string {
  return `Epoch ${epoch + 1}/${epochs}`;
}

export interface ProgressBarOptions {
  /** Steps (batches) in the epoch. */
  total: number;
  /** On a terminal the bar redraws in place; otherwise only the epoch's final line is written. */
  isTTY: boolean;
  write: (s: string) => void;
  /** Characters between the brackets. */
  width?: number;
  /** Millisecond clock; injectable so that tests get exact output. */
  now?: () => number;
  /** Minimum milliseconds between two redraws on a terminal (the final line is always drawn). */
  intervalMs?: number;
}

/**
 * Keras' `Progbar` (verbose=1). Logs are printed as given, so `fit()` should pass running means.
 * TTY:     `12/63 [====>.........................] - ETA: 9s - loss: 0.6931`
 * finish:  `63/63 [==============================] - 12s 190ms/step - loss: 0.6931 - val_loss: 0.6929`
 */
export class ProgressBar {
  private readonly total: number;
  private readonly isTTY: boolean;
  private readonly write: (s: string) => void;
  private readonly width: number;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly start: number;
  /** The first step includes pipeline compilation and warm-up, so Keras times steps after it. */
  private timeAfterFirstStep: number | undefined;
  private lastDraw = -Infinity;
  private previousLength = 0;
  private finished = false;

  constructor(options: ProgressBarOptions) {
    if (!Number.isInteger(options.total) || options.total < 1) {
      throw new Error(`ProgressBar: total must be a positive integer, got ${options.total}`);
    }
    this.total = options.total;
    this.isTTY = options.isTTY;
    this.write = options.write;
    this.width = options.width ?? 30;
    this.now = options.now ?? (() => Date.now());
    this.intervalMs = options.intervalMs ?? 50;
    this.start = this.now();
  }

  /** `step` batches are done (1-based, like Keras' `current`). */
  update(step: number, logs: Logs = {}): void {
    const now = this.now();
    if (step === 1) this.timeAfterFirstStep = now;
    if (!this.isTTY || this.finished || now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    const eta = this.secondsPerStep(step, now) * (this.total - step);
    this.draw(`${this.bar(step)} - ETA: ${formatEta(eta)}${suffix(logs)}`);
  }

  /** Writes the epoch's final line (with the validation metrics) and a newline. */
  finish(logs: Logs = {}): void {
    if (this.finished) return;
    this.finished = true;
    const now = this.now();
    const elapsed = (now - this.start) / 1000;
    const perStep = formatTimePerStep(this.secondsPerStep(this.total, now));
    const line = `${this.bar(this.total)} - ${formatFixed(elapsed, 0)}s ${perStep}${suffix(logs)}`;
    if (this.isTTY) this.draw(line);
    else this.write(line);
    this.write('\n');
  }

  private secondsPerStep(step: number, now: number): number {
    if (step > 1 && this.timeAfterFirstStep !== undefined) {
      return (now - this.timeAfterFirstStep) / 1000 / (step - 1);
    }
    return step > 0 ? (now - this.start) / 1000 / step : 0;
  }

  private bar(step: number): string {
    const digits = String(this.total).length;
    const done = Math.floor((this.width * Math.min(step, this.total)) / this.total);
    let inner = '';
    if (done > 0) inner = '='.repeat(done - 1) + (step < this.total ? '>' : '=');
    inner += '.'.repeat(this.width - done);
    return `${String(step).padStart(digits)}/${this.total} [${inner}]`;
  }

  /** Redraws in place, blanking what is left of a longer previous line. */
  private draw(line: string): void {
    const padding = ' '.repeat(Math.max(0, this.previousLength - line.length));
    this.previousLength = line.length;
    this.write(`\r${line}${padding}`);
  }
}

function suffix(logs: Logs): string {
  const text = formatLogs(logs);
  return text === '' ? '' : ` - ${text}`;
}
