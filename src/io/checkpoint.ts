// SPDX-License-Identifier: MIT
// A model (and optionally its optimizer's state) as the bytes of one safetensors file, and back.
// Pure: no file system. The Node edge (src/node/model-io.ts) writes these bytes to a file; the
// browser edge (src/web/checkpoint.ts) offers them as a download and keeps them in IndexedDB, so
// a checkpoint written by either loads in the other. The layout:
//
//   <state_dict name>        F32   parameters and buffers, PyTorch names and layouts
//   optim.<i>.<state name>   F32   optimizer state of parameter i (momentum_buffer, exp_avg, ...)
//   __metadata__:
//     preset, class_names (JSON), input_size, preprocessing (JSON)   docs/weights.md
//     model_config   JSON AlexNetConfig {preset, numClasses, inputSize, dropout, width}
//     optim_state    JSON {type, hyper, steps}, when an optimizer was saved
//     any other key given in `metadata` (strings as is, other values as JSON)
//
// A file written by PyTorch (`safetensors.torch.save_file(model.state_dict(), path)`) loads
// with `loadWeightsFromBytes` (same names and layouts); PyTorch's `num_batches_tracked` is
// ignored. Loading validates the whole file (header, dtypes, every name and shape) before it
// uploads anything, so an error never leaves a half-loaded model; every error names the source.

import { CheckpointError, checkMetadata, FILE_KEY, metadataFields } from './checkpoint-meta.js';
import { parseSafetensors, SafetensorsError, serializeSafetensors, toFloat32, type STTensor, type STTensorInput } from './safetensors.js';
import { alexnet, ALEXNET_PRESETS, type AlexNet, type AlexNetConfig, type AlexNetPreset } from '../models/alexnet.js';
import type { Module, TensorLike } from '../layers/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/index.js';

/** Metadata saved with a model; known keys are stored under docs/weights.md's names. */
export interface ModelMetadata {
  preset?: string;
  classNames?: string[];
  inputSize?: number;
  /** how to turn an image into the input tensor (resize, rescale, mean, std, ...) */
  preprocessing?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface SaveOptions {
  metadata?: ModelMetadata;
  /** also save this optimizer's state (under `optim.` keys), to resume training exactly */
  optimizer?: Optimizer;
}

export interface LoadedModel {
  model: AlexNet;
  /** the metadata with known keys in camelCase and JSON values parsed */
  metadata: ModelMetadata;
  /** the optimizer state, when one was saved: pass it to `optimizer.loadStateDict` */
  optimizerState?: OptimizerState;
}

const OPTIM_PREFIX = 'optim.';

/** The model's state (and optionally an optimizer's) as safetensors bytes. */
export async function checkpointBytes(model: Module, opts: SaveOptions = {}): Promise<Uint8Array> {
  const tensors: Record<string, STTensorInput> = {};
  for (const [name, t] of model.stateDict()) tensors[name] = await f32(t);
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.metadata ?? {})) {
    if (v === undefined) continue;
    meta[FILE_KEY[k] ?? k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  const config = (model as { config?: AlexNetConfig }).config;
  if (config) {
    meta['model_config'] = JSON.stringify(config);
    meta['preset'] ??= config.preset;
    meta['input_size'] ??= String(config.inputSize);
  }
  if (opts.optimizer) {
    const st = opts.optimizer.stateDict();
    for (const [k, t] of st.tensors) tensors[OPTIM_PREFIX + k] = await f32(t);
    meta['optim_state'] = JSON.stringify({ type: st.type, hyper: st.hyper, steps: st.steps });
  }
  meta['format'] ??= 'webgpu-alexnet';
  return serializeSafetensors(tensors, meta);
}

async function f32(t: TensorLike): Promise<STTensorInput> {
  const data = typeof (t as Tensor).data === 'function' ? await (t as Tensor).data() : (t as { data: Float32Array }).data;
  return { dtype: 'F32', shape: [...t.shape], data };
}

/** Rebuilds the model described by the bytes' metadata and loads its weights. `source` names them in errors. */
export function modelFromCheckpoint(bytes: Uint8Array, source: string): LoadedModel {
  const { tensors, metadata } = parseSafetensors(bytes, source);
  const meta = parseMetadata(metadata);
  checkMetadata(meta, source); // every field a reader relies on, named when wrong (checkpoint-meta.ts)
  const config = configOf(meta, tensors, source);
  const weights = new Map<string, TensorLike>();
  const optimTensors = new Map<string, TensorLike>();
  const conversionProblems: string[] = [];
  for (const [name, t] of tensors) {
    if (name.startsWith(OPTIM_PREFIX)) optimTensors.set(name.slice(OPTIM_PREFIX.length), cpuTensor(t, name, source, conversionProblems));
    else weights.set(name, cpuTensor(t, name, source, conversionProblems));
  }
  if (conversionProblems.length) throw new SafetensorsError(`${source}: ${conversionProblems.join('; ')}`);
  let optimizerState: OptimizerState | undefined;
  if (metadata['optim_state']) {
    const o = JSON.parse(metadata['optim_state']) as Omit<OptimizerState, 'tensors'>;
    optimizerState = { ...o, tensors: optimTensors };
  }
  // build with undefined weights (they are about to be overwritten), check, then upload
  let model: AlexNet;
  try {
    model = alexnet({ ...config, init: 'none' });
  } catch (e) {
    // e.g. an input size too small for the preset's pools
    throw new CheckpointError(source, meta['model_config'] !== undefined ? 'model_config' : 'input_size', (e as Error).message.replace(/^alexnet: /, ''));
  }
  try {
    const mismatch = tensorMismatch(model.stateDict(), weights, config);
    if (mismatch) throw new CheckpointError(source, mismatch.field, mismatch.problem);
    model.loadStateDict(weights, { strict: true });
  } catch (e) {
    model.dispose();
    throw e instanceof CheckpointError ? e : new CheckpointError(source, 'weights', (e as Error).message.replace(/\n\s*/g, '; '));
  }
  return { model, metadata: meta, optimizerState };
}

/** Names PyTorch saves that no model of ours has (BatchNorm's step counter). */
const IGNORED_NAMES = /(^|\.)num_batches_tracked$/;

function describeConfig(c: AlexNetConfig): string {
  return `a '${c.preset}' AlexNet (width ${c.width}, ${c.numClasses} classes, input ${c.inputSize})`;
}

/**
 * The first way the file's weights do not fit the model its metadata describes, as a field of a
 * CheckpointError: names missing AND unexpected (the tensors of another preset: the metadata's
 * preset is wrong), a missing or unexpected tensor, a dtype that is not a float, a shape.
 */
function tensorMismatch(own: Map<string, Tensor>, weights: Map<string, TensorLike>, config: AlexNetConfig): { field: string; problem: string } | undefined {
  const missing = [...own.keys()].filter((k) => !weights.has(k));
  const unexpected = [...weights.keys()].filter((k) => !own.has(k) && !IGNORED_NAMES.test(k));
  const more = (n: number) => (n > 1 ? ` (and ${n - 1} more)` : '');
  if (missing.length && unexpected.length) {
    return {
      field: 'preset',
      problem: `the tensors are not those of ${describeConfig(config)}: '${missing[0]}'${more(missing.length)} missing, '${unexpected[0]}'${more(unexpected.length)} unexpected`,
    };
  }
  if (missing.length) return { field: `tensor '${missing[0]}'`, problem: `missing${more(missing.length)}; ${describeConfig(config)} has it` };
  if (unexpected.length) return { field: `tensor '${unexpected[0]}'`, problem: `belongs to no layer of ${describeConfig(config)}${more(unexpected.length)}` };
  for (const [name, target] of own) {
    const t = weights.get(name)!;
    const dtype = (t as { dtype?: string }).dtype ?? 'float32';
    if (dtype !== 'float32') return { field: `tensor '${name}'`, problem: `dtype ${dtype}; weights are F32 (or F16, BF16, F64)` };
    if (t.shape.length !== target.shape.length || t.shape.some((d, i) => d !== target.shape[i])) {
      return { field: `tensor '${name}'`, problem: `shape [${t.shape.join(', ')}] in the file, [${target.shape.join(', ')}] in ${describeConfig(config)}` };
    }
  }
  return undefined;
}

/** Loads weights (ours or PyTorch's) from safetensors bytes into an existing model; checks everything first. */
export function loadWeightsFromBytes(model: Module, bytes: Uint8Array, source: string, opts: { strict?: boolean } = {}): void {
  const { tensors } = parseSafetensors(bytes, source);
  const weights = new Map<string, TensorLike>();
  const problems: string[] = [];
  for (const [name, t] of tensors) {
    if (!name.startsWith(OPTIM_PREFIX)) weights.set(name, cpuTensor(t, name, source, problems));
  }
  if (problems.length) throw new SafetensorsError(`${source}: ${problems.join('; ')}`);
  try {
    model.loadStateDict(weights, { strict: opts.strict ?? true });
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
}

/** Floats converted to F32 on the CPU; other dtypes keep their name (rejected by loadStateDict). */
function cpuTensor(t: STTensor, name: string, source: string, problems: string[]): TensorLike {
  if (t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16' || t.dtype === 'F64') {
    return { shape: t.shape, data: toFloat32(t, name, source), dtype: 'float32' };
  }
  // a weight's dtype mismatch is reported by loadStateDict with every other mismatch
  if (name.startsWith(OPTIM_PREFIX)) problems.push(`tensor "${name}" has dtype ${t.dtype}, expected F32`);
  return { shape: t.shape, data: new Float32Array(0), dtype: t.dtype };
}

/** Known keys to camelCase; values that are JSON are parsed. */
export function parseMetadata(raw: Record<string, string>): ModelMetadata {
  return metadataFields(raw) as ModelMetadata;
}

/** The AlexNet options from `model_config`, or from preset + class names + input size. */
function configOf(meta: ModelMetadata, tensors: Map<string, STTensor>, source: string): AlexNetConfig {
  const saved = meta['model_config'] as Partial<AlexNetConfig> | undefined;
  const preset = (saved?.preset ?? meta.preset) as AlexNetPreset | undefined;
  if (!preset || !ALEXNET_PRESETS.includes(preset)) {
    throw new SafetensorsError(`${source}: the metadata names no AlexNet preset (${ALEXNET_PRESETS.join(', ')}); ` +
      'load plain weights with loadWeights(alexnet({...}), path)');
  }
  let numClasses = saved?.numClasses ?? (Array.isArray(meta.classNames) ? meta.classNames.length : undefined);
  if (numClasses === undefined) {
    // the last classifier layer's bias has one value per class
    const last = tensors.get('classifier.6.bias');
    numClasses = last?.shape[0];
  }
  if (!numClasses) throw new SafetensorsError(`${source}: cannot tell the number of classes (no model_config, class_names or classifier.6.bias)`);
  return {
    preset,
    numClasses,
    inputSize: saved?.inputSize ?? Number(meta.inputSize ?? (preset === 'torchvision' ? 224 : 227)),
    dropout: saved?.dropout ?? 0.5,
    width: saved?.width ?? 1,
  };
}
