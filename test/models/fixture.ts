// The PyTorch fixtures of whole models and optimizers (scripts/make-fixtures.py,
// scripts/fixtures/{models,optim}.py, docs/weights.md): reading them, the rule that gives every
// parameter and BatchNorm buffer its value on both sides, and the error measures.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hashInit } from '../../src/io/hashinit.js';
import { parseSafetensors, toFloat32, toInt32, type STTensor } from '../../src/io/safetensors.js';
import type { Module } from '../../src/layers/module.js';

const DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function loadFixture(file: string) {
  const { tensors, metadata } = parseSafetensors(readFileSync(DIR + file), file);
  const get = (n: string): STTensor => {
    const t = tensors.get(n);
    if (!t) throw new Error(`${file}: no tensor ${n}`);
    return t;
  };
  return {
    file,
    f32: (n: string) => toFloat32(get(n), n, file),
    i32: (n: string) => toInt32(get(n), n, file),
    f64: (n: string) => new DataView(get(n).data.buffer, get(n).data.byteOffset, 8).getFloat64(0, true),
    shape: (n: string) => get(n).shape,
    has: (n: string) => tensors.has(n),
    names: () => [...tensors.keys()],
    meta: metadata,
    json: <T>(key: string): T => {
      const v = metadata[key];
      if (v === undefined) throw new Error(`${file}: no metadata ${key}`);
      return JSON.parse(v) as T;
    },
  };
}
export type Fixture = ReturnType<typeof loadFixture>;

/**
 * The fixtures' value of a parameter or BatchNorm buffer (scripts/fixtures/models.py init_value):
 * weights hashInit(name, n, sqrt(6 / fan_in)); a rank-1 `.weight` (BatchNorm's gamma)
 * 1 + hashInit(name, n, 0.25); other rank-1 tensors (biases) hashInit(name, n, 0.05);
 * `.running_mean` hashInit(name, n, 0.5); `.running_var` 1 + hashInit(name, n, 0.5).
 */
export function initValue(name: string, shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const plusOne = (v: Float32Array) => v.map((x) => 1 + x); // one float32 rounding, as numpy's
  if (name.endsWith('.running_mean')) return hashInit(name, n, 0.5);
  if (name.endsWith('.running_var')) return plusOne(hashInit(name, n, 0.5));
  if (shape.length >= 2) return hashInit(name, n, Math.sqrt(6 / shape.slice(1).reduce((a, b) => a * b, 1)));
  if (name.endsWith('.weight')) return plusOne(hashInit(name, n, 0.25));
  return hashInit(name, n, 0.05);
}

/** Every parameter and BatchNorm running statistic of `model` by the fixtures' rule. */
export function initState(model: Module): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map([...model.stateDict()].map(([n, t]) => [n, { shape: [...t.shape], data: initValue(n, t.shape) }]));
}

/** The spacing of float32 values around v. */
export function ulp(v: number): number {
  return v === 0 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
}

/** max_i |a_i - e_i| / max(|e_i|, floor). */
export function relErr(a: ArrayLike<number>, e: ArrayLike<number>, floor: number): number {
  if (a.length !== e.length) throw new Error(`relErr: ${a.length} values against ${e.length}`);
  let m = 0;
  for (let i = 0; i < e.length; i++) m = Math.max(m, Math.abs(a[i]! - e[i]!) / Math.max(Math.abs(e[i]!), floor));
  return m;
}

/** The logits' error measure: relErr with a floor of 1 % of the largest expected logit. */
export function logitsErr(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < e.length; i++) max = Math.max(max, Math.abs(e[i]!));
  return relErr(a, e, 1e-2 * max);
}
