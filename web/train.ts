// SPDX-License-Identifier: MIT
// The Train tab: a picked/dropped folder or the generated circles-vs-stripes set, the model and
// training options, fit() with the core's callbacks (best checkpoint, early stopping), Keras
// progress, live charts, stop and resume. Checkpoints go to IndexedDB and to downloads.
import {
  Adam,
  SGD,
  EarlyStopping,
  LambdaCallback,
  ModelCheckpoint,
  SYNTHETIC_CLASSES,
  alexnet,
  compile,
  drawSynthetic,
  fit,
  getDevice,
  syntheticImageSeed,
  type AlexNet,
  type AlexNetPreset,
  type AugmentOptions,
  type Logs,
  type Optimizer,
  type RgbImage,
  type TrainableModel,
} from '../src/index.js';
import {
  WebImageDataset,
  decodeImages,
  downloadBytes,
  droppedFiles,
  getStoredCheckpoint,
  labelFiles,
  loadCheckpointBytes,
  pickedFiles,
  rgbaToRgb,
  storeCheckpoint,
  webCheckpointBytes,
  type PickedFile,
  type WebCheckpointMeta,
} from '../src/web/index.js';
import { drawChart } from './charts.js';
import { terminal } from './log.js';
import { $, adapterLabel, setState } from './ui.js';

/** The augmentation of `alexnet train --augment` (src/node/commands/train.ts). */
const TUTORIAL_AUGMENT: AugmentOptions = { rotationRange: 40, widthShiftRange: 0.2, heightShiftRange: 0.2, shearRange: 0.2, zoomRange: 0.2, horizontalFlip: true };

interface Data {
  images: (RgbImage | null)[];
  labels: Int32Array;
  classNames: string[];
  names: string[];
  source: string;
}

/** What the Predict tab (and the tests) read. */
export interface TrainedModel {
  model: TrainableModel & AlexNet;
  meta: WebCheckpointMeta;
}

export interface TrainTab {
  current(): TrainedModel | undefined;
  onModel(fn: (m: TrainedModel) => void): void;
  /** bytes of the checkpoint kept under 'best.safetensors' or 'last.safetensors' */
  checkpoint(which: 'best' | 'last'): Uint8Array | undefined;
}

export function setupTrain(workerUrl: URL): TrainTab {
  const out = terminal($('progress'));
  let data: Data | undefined;
  let trained: TrainedModel | undefined;
  const listeners: ((m: TrainedModel) => void)[] = [];
  const kept: Record<'best' | 'last', Uint8Array | undefined> = { best: undefined, last: undefined };
  let stopRequested = false;
  let running = false;
  const num = (id: string) => Number(($(id) as HTMLInputElement).value);
  const status = (s: string) => ($('data-status').textContent = s);

  const setData = (d: Data) => {
    data = d;
    const counts = d.classNames.map((c, k) => `${c} ${d.labels.filter((l) => l === k).length}`).join(', ');
    status(`${d.images.filter(Boolean).length} images in ${d.classNames.length} classes (${counts}) from ${d.source}`);
    refreshButtons();
  };

  const refreshButtons = () => {
    ($('train') as HTMLButtonElement).disabled = running || !data;
    ($('stop') as HTMLButtonElement).disabled = !running;
    ($('resume') as HTMLButtonElement).disabled = running || !data || !kept.last;
    ($('download-best') as HTMLButtonElement).disabled = !kept.best;
    ($('download-last') as HTMLButtonElement).disabled = !kept.last;
  };

  const loadFiles = async (files: PickedFile[], source: string) => {
    try {
      const l = labelFiles(files);
      status(`decoding ${l.files.length} images…`);
      const { images, failures } = await decodeImages(l.files, {
        workerUrl,
        onProgress: (done, total) => done % 16 === 0 && status(`decoding ${done}/${total}…`),
      });
      setData({ images, labels: l.labels, classNames: l.classNames, names: l.files.map((f) => f.path), source });
      if (failures.length) out.write(`skipped ${failures.length} file(s) the browser cannot decode, e.g. ${failures[0]!.path}: ${failures[0]!.reason}\n`);
    } catch (e) {
      status(`error: ${(e as Error).message}`);
    }
  };

  $('folder').addEventListener('change', (ev) => {
    const input = ev.target as HTMLInputElement;
    if (input.files?.length) void loadFiles(pickedFiles(input.files), 'the picked folder');
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    if (ev.dataTransfer) void droppedFiles(ev.dataTransfer.items).then((f) => loadFiles(f, 'the dropped folder'));
  });
  $('generate').addEventListener('click', () => {
    const perClass = Math.max(2, Math.floor(num('gen-count')));
    const seed = Math.floor(num('seed'));
    const images: RgbImage[] = [];
    const labels: number[] = [];
    const names: string[] = [];
    let k = 0;
    for (const [label, name] of SYNTHETIC_CLASSES.entries()) {
      for (let i = 0; i < perClass; i++) {
        images.push(rgbaToRgb(drawSynthetic(label, 64, syntheticImageSeed(seed, ++k)), 64, 64));
        labels.push(label);
        names.push(`${name}/${i}`);
      }
    }
    setData({ images, labels: Int32Array.from(labels), classNames: [...SYNTHETIC_CLASSES], names, source: 'the generator' });
  });

  const run = async (resume: boolean) => {
    if (!data || running) return;
    running = true;
    stopRequested = false;
    refreshButtons();
    setState('train', 'running');
    out.clear();
    try {
      const seed = Math.floor(num('seed'));
      const epochs = Math.floor(num('epochs'));
      const batchSize = Math.floor(num('batch'));
      let model: AlexNet;
      let meta: WebCheckpointMeta;
      let optimizer: Optimizer;
      let initialEpoch = 0;
      const history: { loss: number[]; accuracy: number[]; val_loss: number[]; val_accuracy: number[] } = { loss: [], accuracy: [], val_loss: [], val_accuracy: [] };
      if (resume) {
        const stored = await getStoredCheckpoint('last.safetensors');
        if (!stored) throw new Error('no last checkpoint is kept in this browser');
        const loaded = loadCheckpointBytes(stored.bytes, 'last.safetensors');
        if (loaded.meta.classNames.join('/') !== data.classNames.join('/')) {
          loaded.model.dispose();
          throw new Error(`the checkpoint's classes ${loaded.meta.classNames.join(', ')} differ from the data's ${data.classNames.join(', ')}`);
        }
        model = loaded.model;
        meta = loaded.meta;
        initialEpoch = meta.epoch ?? 0;
        if (initialEpoch >= epochs) throw new Error(`the checkpoint already completed ${initialEpoch} epoch(s); set epochs above ${initialEpoch}`);
        optimizer = makeOptimizer(meta.optimizer ?? 'sgd', model, num('lr'));
        if (loaded.optimizerState) optimizer.loadStateDict(loaded.optimizerState);
        const saved = stored.extra as typeof history | undefined;
        if (saved) for (const k of Object.keys(history) as (keyof typeof history)[]) history[k] = (saved[k] ?? []).slice(0, initialEpoch);
      } else {
        const preset = ($('preset') as HTMLSelectElement).value as AlexNetPreset;
        const inputSize = Math.floor(num('input-size'));
        const width = num('width');
        const optName = ($('optimizer') as HTMLSelectElement).value;
        meta = { preset, classNames: data.classNames, inputSize, preprocessing: { rescale: 1 / 255, resizeMode: 'stretch' }, width, seed, optimizer: optName };
        model = alexnet({ preset, numClasses: data.classNames.length, inputSize, seed, ...(width !== 1 ? { width } : {}) });
        optimizer = makeOptimizer(optName, model, num('lr'));
      }
      compile(model as unknown as TrainableModel, { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
      const all = new WebImageDataset(data.images, data.labels, data.classNames, {
        imageSize: [meta.inputSize, meta.inputSize],
        rescale: meta.preprocessing.rescale,
        resizeMode: meta.preprocessing.resizeMode,
        augment: ($('augment') as HTMLInputElement).checked ? TUTORIAL_AUGMENT : undefined,
        seed,
      }, data.names);
      const { train, validation } = all.split(num('val-split'));
      out.write(
        `Device: ${adapterLabel(getDevice())}\nFound ${train.length} training and ${validation.length} validation images in ${data.classNames.length} classes: ${data.classNames.join(', ')}\n` +
          `Model: AlexNet '${meta.preset}'${meta.width && meta.width !== 1 ? ` (width ×${meta.width})` : ''}, input ${meta.inputSize}x${meta.inputSize}, ` +
          `optimizer ${meta.optimizer} lr ${optimizer.lr}, batch ${batchSize}${initialEpoch ? `, resuming at epoch ${initialEpoch + 1}` : ''}\n`,
      );
      const redraw = () => {
        drawChart($('chart-loss') as unknown as SVGSVGElement, [{ name: 'loss', values: history.loss }, { name: 'val_loss', values: history.val_loss }]);
        drawChart($('chart-accuracy') as unknown as SVGSVGElement, [{ name: 'accuracy', values: history.accuracy }, { name: 'val_accuracy', values: history.val_accuracy }], { min: 0, max: 1 });
      };
      redraw();
      const checkpoint = new ModelCheckpoint({ filepath: 'best.safetensors', monitor: 'val_accuracy', saveBestOnly: true, verbose: 1 });
      const prevBest = Math.max(-Infinity, ...history.val_accuracy.filter(Number.isFinite));
      if (Number.isFinite(prevBest)) checkpoint.best = prevBest;
      const result = await fit(model as unknown as TrainableModel, train, {
        epochs,
        batchSize,
        initialEpoch,
        validationData: validation,
        seed,
        verbose: 1,
        write: out.write,
        isTTY: true,
        callbacks: [
          new LambdaCallback({
            onEpochEnd: (_e: number, logs: Logs) => {
              for (const k of Object.keys(history) as (keyof typeof history)[]) history[k].push(logs[k] ?? NaN);
              redraw();
            },
          }),
          checkpoint,
          new ModelCheckpoint({ filepath: 'last.safetensors', verbose: 0 }),
          new EarlyStopping({ monitor: 'val_loss', patience: Math.floor(num('patience')), verbose: 1 }),
          new LambdaCallback({
            onBatchEnd: function (this: LambdaCallback) {
              if (stopRequested) this.trainer.stopTraining = true;
            },
          }),
        ],
        saveCheckpoint: async (path, info) => {
          const m: WebCheckpointMeta = { ...meta, epoch: info.epoch + 1 };
          const va = info.logs['val_accuracy'];
          if (va !== undefined) m.valAccuracy = va;
          const bytes = await webCheckpointBytes(model, m, optimizer);
          const which = path.startsWith('best') ? 'best' : 'last';
          kept[which] = bytes;
          await storeCheckpoint(path, bytes, history);
        },
      });
      if (stopRequested) out.write('\nStopped; resume from the last checkpoint when you like.\n');
      const best = Math.max(...history.val_accuracy.filter(Number.isFinite));
      out.write(`\nBest val_accuracy ${best.toFixed(4)}; stopped: ${result.stopReason}. best.safetensors and last.safetensors are kept in this browser (IndexedDB); download them below.\n`);
      trained = { model: model as TrainableModel & AlexNet, meta };
      for (const fn of listeners) fn(trained);
      setState('train', 'done');
    } catch (e) {
      out.write(`\nerror: ${(e as Error).message}\n`);
      setState('train', 'error');
    } finally {
      running = false;
      refreshButtons();
    }
  };

  $('train').addEventListener('click', () => void run(false));
  $('resume').addEventListener('click', () => void run(true));
  $('stop').addEventListener('click', () => {
    stopRequested = true;
  });
  $('download-best').addEventListener('click', () => kept.best && downloadBytes(kept.best, 'best.safetensors'));
  $('download-last').addEventListener('click', () => kept.last && downloadBytes(kept.last, 'last.safetensors'));

  // a reload keeps the checkpoints: offer resume and downloads at once
  void Promise.all([getStoredCheckpoint('best.safetensors'), getStoredCheckpoint('last.safetensors')])
    .then(([b, l]) => {
      kept.best = b?.bytes;
      kept.last = l?.bytes;
      if (l) out.write(`A checkpoint from ${new Date(l.savedAt).toLocaleString()} is kept in this browser: pick the same data and press Resume, or download it.\n`);
      refreshButtons();
    })
    .catch(() => {});

  return {
    current: () => trained,
    onModel: (fn) => listeners.push(fn),
    checkpoint: (which) => kept[which],
  };
}

function makeOptimizer(name: string, model: AlexNet, lr: number): Optimizer {
  if (name === 'adam') return new Adam(model.namedParameters(), { lr: lr || 1e-3 });
  if (name === 'sgd') return new SGD(model.namedParameters(), { lr: lr || 0.01, momentum: 0.9 });
  throw new Error(`unknown optimizer "${name}" (sgd, adam)`);
}
