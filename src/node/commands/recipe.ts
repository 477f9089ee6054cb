// SPDX-License-Identifier: MIT
// The training-recipe flags of `alexnet train` (one row each: parsed here, applied in train.ts):
// weight decay (on weights only when asked), label smoothing, the per-step learning-rate
// schedule (warm-up, cosine), a moving average of the weights, random resized crops, mixup and
// CutMix, and the decoded-image cache. Defaults leave training as it was without them.

import type { AugmentOptions } from '../data/index.js';
import type { MixOptions } from '../../data/mix.js';
import type { Callback } from '../../train/callbacks.js';
import { StepLRSchedule } from '../../train/lr-schedule.js';
import { WeightsEMA } from '../../train/ema.js';
import type { TrainableModel } from '../../train/model.js';
import { checkWarmupCosine, warmupCosineLr } from '../../optim/warmup-cosine.js';
import { parseInteger, parseNumber, UsageError } from './common.js';

export const RECIPE_OPTIONS = {
  'weight-decay': { type: 'string' },
  'decay-weights-only': { type: 'boolean' },
  'label-smoothing': { type: 'string' },
  schedule: { type: 'string' },
  'warmup-epochs': { type: 'string' },
  ema: { type: 'string' },
  'random-crop': { type: 'string' },
  mixup: { type: 'string' },
  cutmix: { type: 'string' },
  'cache-mb': { type: 'string' },
} as const;

export const RECIPE_USAGE = `            [--weight-decay X [--decay-weights-only]] [--label-smoothing X]
            [--schedule constant|cosine] [--warmup-epochs N] [--ema DECAY]
            [--random-crop MIN_SCALE] [--mixup ALPHA] [--cutmix ALPHA] [--cache-mb N]`;

export interface RecipeOptions {
  /** L2 (SGD, Adam) or decoupled (AdamW) weight decay. Default 0. */
  weightDecay?: number;
  /** Decay only weights of 2+ dimensions, not biases nor BatchNorm's scale and shift. */
  decayWeightsOnly?: boolean;
  /** Label smoothing of the cross-entropy. Default 0. */
  labelSmoothing?: number;
  /** 'cosine': decay per step to 0 at the last epoch; 'constant' (default): keep --lr. */
  schedule?: 'constant' | 'cosine';
  /** Linear warm-up from ~0 to --lr over this many epochs, stepped per batch. Default 0. */
  warmupEpochs?: number;
  /** Validate and checkpoint a moving average of the weights with this decay per step. */
  emaDecay?: number;
  /** Random resized crops with area fraction in [minScale, 1] (ratio 3/4..4/3), plus mirror. */
  randomCropScale?: number;
  /** Mixup with λ ~ Beta(α, α) per batch (src/data/mix.ts). */
  mixupAlpha?: number;
  /** CutMix with λ ~ Beta(α, α) per batch; with --mixup too, each batch uses one of them at random. */
  cutmixAlpha?: number;
  /** Keep decoded images in memory up to this many MiB (each photo decoded once). Default 0. */
  cacheMB?: number;
}

type RecipeValues = { [K in keyof typeof RECIPE_OPTIONS]?: (typeof RECIPE_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** The recipe flags, checked (a UsageError names the flag). */
export function parseRecipe(v: RecipeValues): RecipeOptions {
  const opt = (name: keyof RecipeValues, check: (x: number) => boolean, what: string): number | undefined =>
    v[name] === undefined ? undefined : parseNumber(name, v[name] as string, check, what);
  const schedule = v.schedule;
  if (schedule !== undefined && schedule !== 'constant' && schedule !== 'cosine') {
    throw new UsageError(`--schedule must be constant or cosine, got '${schedule}'`);
  }
  const r: RecipeOptions = {
    weightDecay: opt('weight-decay', (x) => x >= 0, 'a number >= 0'),
    decayWeightsOnly: v['decay-weights-only'],
    labelSmoothing: opt('label-smoothing', (x) => x >= 0 && x < 1, 'in [0, 1)'),
    schedule,
    warmupEpochs: opt('warmup-epochs', (x) => x >= 0, 'a number of epochs >= 0'),
    emaDecay: opt('ema', (x) => x > 0 && x < 1, 'a decay in (0, 1), e.g. 0.998'),
    randomCropScale: opt('random-crop', (x) => x > 0 && x <= 1, 'a minimum area fraction in (0, 1]'),
    mixupAlpha: opt('mixup', (x) => x > 0, 'an alpha > 0, e.g. 0.2'),
    cutmixAlpha: opt('cutmix', (x) => x > 0, 'an alpha > 0, e.g. 1.0'),
    cacheMB: v['cache-mb'] === undefined ? undefined : parseInteger('cache-mb', v['cache-mb'], 0),
  };
  if (r.decayWeightsOnly && !r.weightDecay) throw new UsageError('--decay-weights-only needs --weight-decay X');
  return r;
}

/** The augmentation: the tutorial's transforms (--augment), random resized crops with mirror, both, or none. */
export function recipeAugment(tutorial: AugmentOptions | undefined, r: RecipeOptions | undefined): AugmentOptions | undefined {
  if (r?.randomCropScale === undefined) return tutorial;
  return { ...tutorial, horizontalFlip: true, randomResizedCrop: { scale: [r.randomCropScale, 1] } };
}

/** fit()'s batch mixing for --mixup / --cutmix, or undefined without them. */
export function recipeMix(r: RecipeOptions | undefined): MixOptions | undefined {
  if (!r?.mixupAlpha && !r?.cutmixAlpha) return undefined;
  return { mixupAlpha: r.mixupAlpha, cutmixAlpha: r.cutmixAlpha };
}

/**
 * The callbacks the recipe adds, to be listed BEFORE the checkpoint callbacks (the average must
 * be in the model when they save): the per-step schedule when warm-up or cosine is asked, and
 * the moving average. `null` entries are left out.
 */
export function recipeCallbacks(
  r: RecipeOptions | undefined,
  o: { model: TrainableModel; peakLr: number; epochs: number; stepsPerEpoch: number },
): Callback[] {
  const out: Callback[] = [];
  if (!r) return out;
  const warmupSteps = Math.round((r.warmupEpochs ?? 0) * o.stepsPerEpoch);
  const totalSteps = o.epochs * o.stepsPerEpoch;
  if (r.schedule === 'cosine') {
    const s = { peakLr: o.peakLr, warmupSteps, totalSteps };
    try {
      checkWarmupCosine(s);
    } catch (e) {
      throw new UsageError(`--warmup-epochs ${r.warmupEpochs} leaves no epochs for the cosine decay of --epochs ${o.epochs}: ${(e as Error).message}`);
    }
    out.push(new StepLRSchedule((step) => warmupCosineLr(step, s), o.stepsPerEpoch));
  } else if (warmupSteps > 0) {
    out.push(new StepLRSchedule((step) => (step < warmupSteps ? (o.peakLr * (step + 1)) / warmupSteps : o.peakLr), o.stepsPerEpoch));
  }
  if (r.emaDecay !== undefined) out.push(new WeightsEMA(o.model, { decay: r.emaDecay }));
  return out;
}

/** One line for the run's header, e.g. `wd 0.0005 (weights only), label smoothing 0.1, cosine, warm-up 3 epochs, EMA 0.998`. */
export function describeRecipe(r: RecipeOptions | undefined): string {
  if (!r) return '';
  const parts: string[] = [];
  if (r.weightDecay) parts.push(`weight decay ${r.weightDecay}${r.decayWeightsOnly ? ' (weights only)' : ''}`);
  if (r.labelSmoothing) parts.push(`label smoothing ${r.labelSmoothing}`);
  if (r.schedule === 'cosine') parts.push('cosine schedule');
  if (r.warmupEpochs) parts.push(`warm-up ${r.warmupEpochs} epochs`);
  if (r.emaDecay !== undefined) parts.push(`EMA ${r.emaDecay}`);
  if (r.randomCropScale !== undefined) parts.push(`random crop [${r.randomCropScale}, 1] + mirror`);
  if (r.mixupAlpha) parts.push(`mixup ${r.mixupAlpha}`);
  if (r.cutmixAlpha) parts.push(`CutMix ${r.cutmixAlpha}`);
  if (r.mixupAlpha && r.cutmixAlpha) parts[parts.length - 1] += ' (half the batches each)';
  if (r.cacheMB) parts.push(`decoded-image cache ${r.cacheMB} MiB`);
  return parts.join(', ');
}
