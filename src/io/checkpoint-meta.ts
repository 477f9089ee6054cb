// SPDX-License-Identifier: MIT
// Checking a checkpoint's metadata before anything uses it. Every field a reader relies on is
// validated (type, range, enum) and then checked against the model and the optimizer it
// describes; a problem is a CheckpointError that names the file and the field as stored in the
// file (docs/weights.md), e.g.
//
//   runs/a/best.safetensors: metadata field 'input_size': 'abc' is not a positive integer
//
// Pure (no file system, no GPU): the Node CLI and the browser edge share it. Fields that are
// absent are left to the reader's defaults; only present ones are checked.

import { ALEXNET_PRESETS } from '../models/alexnet.js';
import type { OptimizerState } from '../optim/optimizer.js';

/** A checkpoint that cannot be used: names the file (`source`) and the metadata field or tensor. */
export class CheckpointError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${source}: ${field.startsWith('tensor ') || field === 'optimizer state' ? field : `metadata field '${field}'`}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

export const RESIZE_MODES = ['stretch', 'center-crop'] as const;
export const OPTIMIZER_NAMES = ['sgd', 'adam', 'adamw'] as const;
/** The largest input side accepted from a file (a 8192x8192 image is 200 M floats per sample). */
export const MAX_INPUT_SIZE = 8192;

/** camelCase key (as parseMetadata returns it) → the key in the file (docs/weights.md). */
export const FILE_KEY: Record<string, string> = { classNames: 'class_names', inputSize: 'input_size', numClasses: 'num_classes' };

function show(v: unknown): string {
  const s = typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The metadata strings of a file as values: known keys in camelCase (class_names -> classNames),
 * values that look like JSON parsed; one that fails to parse stays a string (and fails its check).
 */
export function metadataFields(raw: Record<string, string>): Record<string, unknown> {
  const api: Record<string, string> = Object.fromEntries(Object.entries(FILE_KEY).map(([a, f]) => [f, a]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    let value: unknown = v;
    if (/^[[{"]/.test(v) || /^-?\d/.test(v) || v === 'true' || v === 'false' || v === 'null') {
      try {
        value = JSON.parse(v);
      } catch {
        value = v;
      }
    }
    out[api[k] ?? k] = value;
  }
  return out;
}

/** The typed, checked metadata fields a reader may use. */
export interface CheckedMetadata {
  preset?: (typeof ALEXNET_PRESETS)[number];
  classNames?: string[];
  inputSize?: number;
  preprocessing?: { rescale?: number; resizeMode?: (typeof RESIZE_MODES)[number]; mean?: number[]; std?: number[] };
  modelConfig?: { preset?: string; numClasses?: number; inputSize?: number; dropout?: number; width?: number };
  optimState?: { type: string; hyper: Record<string, number | boolean | number[]>; steps: number[] };
  optimizer?: (typeof OPTIMIZER_NAMES)[number];
  epoch?: number;
  seed?: number;
  width?: number;
  bestValAccuracy?: number;
  bestEpoch?: number;
  valAccuracy?: number;
}

/**
 * Checks every known field of `meta` (as parseMetadata returns it: camelCase keys, JSON values
 * parsed, anything that did not parse left as its string). Throws CheckpointError on the first
 * problem; returns the fields typed.
 */
export function checkMetadata(meta: Record<string, unknown>, source: string): CheckedMetadata {
  const fail = (key: string, problem: string): never => {
    throw new CheckpointError(source, FILE_KEY[key] ?? key, problem);
  };
  const out: CheckedMetadata = {};
  // a field stored as JSON null is present (and fails its check): readers would take it for an object
  const has = (k: string) => meta[k] !== undefined;
  const int = (k: string, min: number, max?: number): number | undefined => {
    if (!has(k)) return undefined;
    const v = meta[k];
    if (!isInt(v, min, max)) fail(k, `${show(v)} is not ${min === 0 ? 'a non-negative' : 'a positive'} integer${max !== undefined ? ` <= ${max}` : ''}`);
    return v as number;
  };
  // an accuracy of NaN is stored by JSON as null: read as absent (it carries no information)
  const fraction = (k: string): number | undefined => {
    if (!has(k) || meta[k] === null) return undefined;
    const v = meta[k];
    if (!isNum(v) || v < 0 || v > 1) fail(k, `${show(v)} is not a number in [0, 1]`);
    return v as number;
  };

  if (has('preset')) {
    if (!(ALEXNET_PRESETS as readonly unknown[]).includes(meta['preset'])) fail('preset', `${show(meta['preset'])} is not one of ${ALEXNET_PRESETS.join(', ')}`);
    out.preset = meta['preset'] as CheckedMetadata['preset'];
  }
  if (has('classNames')) {
    const c = meta['classNames'];
    if (!Array.isArray(c) || c.length === 0 || !c.every((x) => typeof x === 'string' && x !== '')) fail('classNames', `${show(c)} is not a JSON array of one or more non-empty strings`);
    const names = c as string[];
    const dup = names.find((x, i) => names.indexOf(x) !== i);
    if (dup !== undefined) fail('classNames', `the class '${dup}' appears twice`);
    out.classNames = names;
  }
  out.inputSize = int('inputSize', 1, MAX_INPUT_SIZE);
  if (has('preprocessing')) {
    const p = meta['preprocessing'];
    if (!isObject(p)) fail('preprocessing', `${show(p)} is not a JSON object`);
    const q = p as Record<string, unknown>;
    const pre: NonNullable<CheckedMetadata['preprocessing']> = {};
    if (q['rescale'] !== undefined) {
      if (!isNum(q['rescale']) || q['rescale'] === 0) fail('preprocessing', `rescale ${show(q['rescale'])} is not a finite non-zero number`);
      pre.rescale = q['rescale'] as number;
    }
    if (q['resizeMode'] !== undefined) {
      if (!(RESIZE_MODES as readonly unknown[]).includes(q['resizeMode'])) fail('preprocessing', `resizeMode ${show(q['resizeMode'])} is not one of ${RESIZE_MODES.join(', ')}`);
      pre.resizeMode = q['resizeMode'] as (typeof RESIZE_MODES)[number];
    }
    for (const k of ['mean', 'std'] as const) {
      if (q[k] === undefined) continue;
      const v = q[k];
      if (!Array.isArray(v) || v.length !== 3 || !v.every(isNum) || (k === 'std' && v.some((x) => x === 0))) {
        fail('preprocessing', `${k} ${show(v)} is not 3 finite numbers${k === 'std' ? ', none 0' : ''}`);
      }
      pre[k] = v as number[];
    }
    out.preprocessing = pre;
  }
  if (has('model_config')) {
    const m = meta['model_config'];
    if (!isObject(m)) fail('model_config', `${show(m)} is not a JSON object`);
    const c = m as Record<string, unknown>;
    if (c['preset'] !== undefined && !(ALEXNET_PRESETS as readonly unknown[]).includes(c['preset'])) fail('model_config', `preset ${show(c['preset'])} is not one of ${ALEXNET_PRESETS.join(', ')}`);
    if (c['numClasses'] !== undefined && !isInt(c['numClasses'], 1, 1e6)) fail('model_config', `numClasses ${show(c['numClasses'])} is not a positive integer`);
    if (c['inputSize'] !== undefined && !isInt(c['inputSize'], 1, MAX_INPUT_SIZE)) fail('model_config', `inputSize ${show(c['inputSize'])} is not a positive integer <= ${MAX_INPUT_SIZE}`);
    if (c['dropout'] !== undefined && !(isNum(c['dropout']) && c['dropout'] >= 0 && c['dropout'] < 1)) fail('model_config', `dropout ${show(c['dropout'])} is not a number in [0, 1)`);
    if (c['width'] !== undefined && !(isNum(c['width']) && c['width'] > 0 && c['width'] <= 4)) fail('model_config', `width ${show(c['width'])} is not a number in (0, 4]`);
    out.modelConfig = c as CheckedMetadata['modelConfig'];
    if (out.preset !== undefined && c['preset'] !== undefined && c['preset'] !== out.preset) fail('preset', `${show(out.preset)} differs from model_config's ${show(c['preset'])}`);
    if (out.inputSize !== undefined && c['inputSize'] !== undefined && c['inputSize'] !== out.inputSize) fail('input_size', `${out.inputSize} differs from model_config's inputSize ${show(c['inputSize'])}`);
    if (out.classNames !== undefined && c['numClasses'] !== undefined && c['numClasses'] !== out.classNames.length) {
      fail('class_names', `${out.classNames.length} name(s) for the ${show(c['numClasses'])} classes of model_config`);
    }
  }
  if (has('optim_state')) {
    const o = meta['optim_state'];
    if (typeof o === 'string') fail('optim_state', `${show(o)} is not valid JSON`);
    if (!isObject(o)) fail('optim_state', `${show(o)} is not a JSON object`);
    const s = o as Record<string, unknown>;
    if (typeof s['type'] !== 'string' || s['type'] === '') fail('optim_state', `type ${show(s['type'])} is not an optimizer name`);
    const hyper = s['hyper'];
    const okHyper = (v: unknown) => isNum(v) || typeof v === 'boolean' || (Array.isArray(v) && v.every(isNum));
    if (!isObject(hyper) || !Object.values(hyper).every(okHyper)) fail('optim_state', `hyper ${show(hyper)} is not an object of finite numbers`);
    if (!Array.isArray(s['steps']) || !s['steps'].every((x) => isInt(x, 0))) fail('optim_state', `steps ${show(s['steps'])} is not an array of non-negative integers`);
    out.optimState = s as CheckedMetadata['optimState'];
  }
  if (has('optimizer')) {
    if (!(OPTIMIZER_NAMES as readonly unknown[]).includes(meta['optimizer'])) fail('optimizer', `${show(meta['optimizer'])} is not one of ${OPTIMIZER_NAMES.join(', ')}`);
    out.optimizer = meta['optimizer'] as CheckedMetadata['optimizer'];
  }
  out.epoch = int('epoch', 0);
  out.seed = int('seed', 0);
  if (has('width')) {
    const w = meta['width'];
    if (!(isNum(w) && w > 0 && w <= 4)) fail('width', `${show(w)} is not a number in (0, 4]`);
    out.width = w as number;
  }
  out.bestValAccuracy = fraction('bestValAccuracy');
  out.valAccuracy = fraction('valAccuracy');
  out.bestEpoch = int('bestEpoch', 0);
  for (const k of Object.keys(out) as (keyof CheckedMetadata)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** What checkModelFit needs to know about the built model. */
export interface ModelShape {
  /** Outputs of the last layer (one per class). */
  numClasses: number;
}

/** Checks the metadata against the model it came with: one class name per output. */
export function checkModelFit(meta: CheckedMetadata, model: ModelShape, source: string): void {
  if (meta.classNames !== undefined && meta.classNames.length !== model.numClasses) {
    throw new CheckpointError(source, 'class_names', `${meta.classNames.length} name(s) for a model with ${model.numClasses} outputs`);
  }
}

/** The state tensors each optimizer keeps per parameter once it has taken a step. */
export function expectedStateNames(state: Pick<OptimizerState, 'type' | 'hyper'>): string[] | undefined {
  const h = state.hyper;
  if (state.type === 'SGD') return typeof h['momentum'] === 'number' && h['momentum'] !== 0 ? ['momentum_buffer'] : [];
  if (state.type === 'Adam' || state.type === 'AdamW') return h['amsgrad'] === true ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'];
  return undefined;
}

/**
 * Checks a saved optimizer state against the parameters it is about to be loaded into: the
 * optimizer kind, one step count per parameter, no tensor for a parameter or state that does
 * not exist, and no state tensor missing for a parameter that has taken steps. Tensors are named
 * as in the file (`optim.<i>.<state>`); with `paramShapes`, each state tensor must have its
 * parameter's shape. Throws CheckpointError.
 */
export function checkOptimizerState(
  state: OptimizerState,
  kind: string,
  paramNames: readonly string[],
  source: string,
  paramShapes?: readonly (readonly number[])[],
): void {
  const fail = (problem: string): never => {
    throw new CheckpointError(source, 'optimizer state', problem);
  };
  if (state.type !== kind) fail(`optim_state is for ${state.type}, the run uses ${kind} (--optimizer)`);
  if (state.steps.length !== paramNames.length) fail(`optim_state has steps for ${state.steps.length} parameters, the model has ${paramNames.length}`);
  const expected = expectedStateNames(state);
  const present = new Set<string>();
  for (const key of state.tensors.keys()) {
    const m = /^(\d+)\.(.+)$/.exec(key);
    const i = m ? Number(m[1]) : -1;
    if (!m || i >= paramNames.length) fail(`tensor 'optim.${key}' belongs to no parameter (the model has ${paramNames.length}, numbered from 0)`);
    if (expected && !expected.includes(m![2]!)) fail(`tensor 'optim.${key}' is not a ${state.type} state (${expected.join(', ') || 'none kept'})`);
    const want = paramShapes?.[i];
    const shape = state.tensors.get(key)!.shape;
    if (want && (shape.length !== want.length || shape.some((d, j) => d !== want[j]))) {
      fail(`tensor 'optim.${key}' (${paramNames[i]}) has shape [${shape.join(', ')}], the parameter [${want.join(', ')}]`);
    }
    present.add(key);
  }
  if (!expected) return;
  state.steps.forEach((steps, i) => {
    if (steps === 0) return;
    for (const name of expected) {
      if (!present.has(`${i}.${name}`)) fail(`tensor 'optim.${i}.${name}' (${paramNames[i]}) is missing; the parameter has taken ${steps} step(s)`);
    }
  });
}
