// SPDX-License-Identifier: MIT
// summary(model, inputShape): a Keras-like table of every layer's output shape, parameter
// count and FLOPs per image, from shape inference alone (nothing runs on the GPU).

import type { Shape } from '../tensor/index.js';
import type { Module } from './module.js';

export interface SummaryRow {
  /** state_dict-style path, e.g. `features.0` */
  name: string;
  /** the layer's description, e.g. `Conv2d(3, 64, k11, s4, p2)` */
  layer: string;
  outputShape: number[];
  params: number;
  /** floating-point operations per image (multiply-add = 2) */
  flops: number;
}

export interface Summary {
  rows: SummaryRow[];
  inputShape: number[];
  outputShape: number[];
  totalParams: number;
  trainableParams: number;
  totalFlops: number;
  /** the formatted table */
  text: string;
}

function walk(prefix: string, m: Module, shape: number[], rows: SummaryRow[]): number[] {
  const seq = m.sequence();
  if (seq) {
    let cur = shape;
    for (const [n, child] of seq) cur = walk(prefix ? `${prefix}.${n}` : n, child, cur, rows);
    return cur;
  }
  const out = m.outputShape(shape);
  rows.push({ name: prefix, layer: m.describe(), outputShape: out, params: m.numParameters(), flops: m.flops(shape) });
  return out;
}

const int = (n: number) => n.toLocaleString('en-US');

/** 1234567 → "1.23M" */
export function formatFlops(n: number): string {
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']];
  for (const [v, u] of units) if (n >= v) return `${(n / v).toFixed(2)}${u}`;
  return String(n);
}

/** The summary of `model` for an input of `inputShape` (the batch dimension is shown as N). */
export function summary(model: Module, inputShape: Shape, opts: { print?: boolean } = {}): Summary {
  const rows: SummaryRow[] = [];
  const input = [...inputShape];
  const outputShape = walk('', model, input, rows);
  const shp = (s: number[]) => `[N, ${s.slice(1).join(', ')}]`;
  const head = ['Layer (type)', 'Output shape', 'Param #', 'FLOPs'];
  const body = rows.map((r) => [`${r.name} ${r.layer}`, shp(r.outputShape), int(r.params), formatFlops(r.flops)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  const params = model.parameters();
  const totalParams = params.reduce((s, t) => s + t.size, 0);
  const trainableParams = params.filter((t) => t.requiresGrad).reduce((s, t) => s + t.size, 0);
  const totalFlops = rows.reduce((s, r) => s + r.flops, 0);
  const text = [
    `Input: ${shp(input)}`,
    line(head),
    '='.repeat(total),
    ...body.map(line),
    '='.repeat(total),
    `Total params: ${int(totalParams)}`,
    `Trainable params: ${int(trainableParams)}`,
    `FLOPs per image (forward): ${formatFlops(totalFlops)} (${int(totalFlops)})`,
  ].join('\n');
  if (opts.print) console.log(text);
  return { rows, inputShape: input, outputShape, totalParams, trainableParams, totalFlops, text };
}
