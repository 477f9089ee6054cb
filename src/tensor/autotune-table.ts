// SPDX-License-Identifier: MIT
// The autotune table: kernel choices measured on this adapter for this exact problem, consulted by
// the selectors (selectConv2d, selectConv2dBackwardData/Weight, selectMatmul) before their
// fixed rules. Nothing is tuned unless asked: `alexnet tune` (src/node) records the problems
// of one training step, times every version that can run each one (autotune-measure.ts),
// keeps the fastest whose result matches the rule's choice, and saves the table as JSON
// keyed by the adapter (its name and driver version) and the problem. A selector that uses
// an entry says so in its reason, with the measured times; an entry for another adapter, or
// naming a version that no longer exists, is ignored. `setTuneCache(null)` (or the CLI's
// --no-autotune / WEBGPU_ALEXNET_AUTOTUNE=0) turns it off.
//
// This file holds only the table, the lookup and the recording of problems: no ops (the ops
// import it) and no files (the core also runs in a browser).
//
// Autotuning is four files, one idea each: the table (src/tensor/autotune-table.ts), the
// measuring of one problem's versions (src/tensor/autotune-measure.ts), a model's training
// step recorded and measured (src/train/autotune-step.ts), and the table on disk, Node only
// (src/node/autotune-cache.ts).

import type { Device } from './device.js';

export type TunedOp = 'conv2d' | 'conv2d.dgrad' | 'conv2d.wgrad' | 'matmul';

/** The measurements behind one choice. */
export interface TuneEntry {
  /** the version to use */
  choice: string;
  /** what the fixed rule would choose */
  rule: string;
  /** median ms of each version that ran and matched the rule's result */
  ms: Record<string, number>;
  /** versions left out, with why (cannot run this problem, or a result that differed) */
  skipped?: Record<string, string>;
}

export interface TuneCache {
  format: 1;
  /** adapter (Device.describe()) → problem key (`op|shape`) → entry */
  adapters: Record<string, Record<string, TuneEntry>>;
}

let table: TuneCache | null = null;

export function emptyTuneCache(): TuneCache {
  return { format: 1, adapters: {} };
}

/**
 * Checks a parsed cache file's shape; returns it, or throws naming the first problem.
 * (`what` names the source in the message: the file path.)
 */
export function validateTuneCache(v: unknown, what = 'autotune cache'): TuneCache {
  const bad = (why: string): never => {
    throw new Error(`${what}: ${why}`);
  };
  if (!v || typeof v !== 'object') bad('not a JSON object');
  const c = v as Partial<TuneCache>;
  if (c.format !== 1) bad(`format ${JSON.stringify(c.format)} is not 1`);
  if (!c.adapters || typeof c.adapters !== 'object') bad('no "adapters" object');
  for (const [adapter, entries] of Object.entries(c.adapters!)) {
    if (!entries || typeof entries !== 'object') bad(`adapter "${adapter}": not an object`);
    for (const [key, e] of Object.entries(entries)) {
      const ok = e && typeof e === 'object' && typeof e.choice === 'string' && typeof e.rule === 'string'
        && e.ms && typeof e.ms === 'object' && Object.values(e.ms).every((x) => typeof x === 'number');
      if (!ok) bad(`adapter "${adapter}", problem "${key}": needs choice, rule and ms`);
    }
  }
  return c as TuneCache;
}

/** Installs the table the selectors consult (null: fixed rules only). */
export function setTuneCache(c: TuneCache | null): void {
  table = c ? validateTuneCache(c) : null;
}

export function getTuneCache(): TuneCache | null {
  return table;
}

/**
 * The tuned choice for a problem on this device, if the table has one naming one of
 * `versions` (or an old name that `aliases` maps to one: a cache saved before matmul's
 * versions were named by file stem says 'vec4' for '03_vec4'); with a reason that gives the
 * measurements, under today's names.
 */
export function tunedChoice<V extends string>(
  device: Device | undefined, key: string, versions: readonly V[], aliases: Readonly<Record<string, V>> = {},
): { version: V; why: string } | null {
  if (!table || !device) return null;
  const e = table.adapters[device.describe()]?.[key];
  const name = (v: string): string => (Object.hasOwn(aliases, v) ? aliases[v]! : v);
  const choice = e ? name(e.choice) : null;
  if (!e || !versions.includes(choice as V)) return null;
  const times = Object.entries(e.ms).sort((a, b) => a[1] - b[1]).map(([v, ms]) => `${name(v)} ${ms.toFixed(2)} ms`).join(', ');
  const rule = name(e.rule) === choice ? 'the rule agrees' : `the rule would take ${name(e.rule)}`;
  return { version: choice as V, why: `${choice}: autotuned on this adapter (${times}; ${rule})` };
}

// ---- problem keys ------------------------------------------------------------------------

/** A convolution problem (conv2d's ConvShape, ops/conv2d/shape.ts). */
export interface ConvProblem {
  n: number; c: number; h: number; w: number; k: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; groups: number;
  oh: number; ow: number;
}

/** A GEMM problem: matmul's Gemm (ops/matmul/gemm.ts) without its tensors (offsets only modulo 4: alignment). */
export interface GemmProblem {
  m: number; n: number; k: number; batch: number;
  aOff: number; aSm: number; aSk: number; aSb: number;
  bOff: number; bSk: number; bSn: number; bSb: number;
  cOff: number; cSm: number; cSb: number;
  bias: boolean; relu: boolean;
}

export function convKey(op: 'conv2d' | 'conv2d.dgrad' | 'conv2d.wgrad', s: ConvProblem): string {
  return `${op}|n${s.n} c${s.c} ${s.h}x${s.w} k${s.k} ${s.kh}x${s.kw} s${s.sh},${s.sw} p${s.ph},${s.pw} d${s.dh},${s.dw} g${s.groups}`;
}

export function gemmKey(g: GemmProblem): string {
  return `matmul|${g.m}x${g.n}x${g.k} b${g.batch} A${g.aSm},${g.aSk},${g.aSb}+${g.aOff % 4} B${g.bSk},${g.bSn},${g.bSb}+${g.bOff % 4} ` +
    `C${g.cSm},${g.cSb}+${g.cOff % 4}${g.bias ? ' bias' : ''}${g.relu ? ' relu' : ''}`;
}

// ---- recording the problems of a run ---------------------------------------------------------

export type RecordedProblem =
  | { op: 'conv2d' | 'conv2d.dgrad' | 'conv2d.wgrad'; key: string; shape: ConvProblem }
  | { op: 'matmul'; key: string; gemm: GemmProblem };

let recording: Map<string, RecordedProblem> | null = null;

/** Starts collecting every problem the selectors are asked about (until stopRecording). */
export function startRecording(): void {
  recording = new Map();
}

export function stopRecording(): RecordedProblem[] {
  const out = [...(recording?.values() ?? [])];
  recording = null;
  return out;
}

/** Called by the selectors: remembers the problem while recording. */
export function noteProblem(p: RecordedProblem): void {
  if (recording && !recording.has(p.key)) recording.set(p.key, p);
}
