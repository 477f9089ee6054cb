// The recipe flags of `alexnet train` end to end on a tiny generated folder: the per-step
// schedule reaches the history, the moving average and random crops run, bad values exit 2.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { gpu } from '../helpers/gpu.js';
import { main } from '../../src/node/cli.js';
import type { CliIO } from '../../src/node/commands/common.js';
import { writeSyntheticSet } from '../../src/node/demo.js';
import { warmupCosineLr } from '../../src/optim/warmup-cosine.js';
import { recipeAugment, recipeCallbacks } from '../../src/node/commands/recipe.js';
import { StepLRSchedule } from '../../src/train/lr-schedule.js';

async function run(...argv: string[]) {
  const io: CliIO & { out: string; err: string } = {
    out: '', err: '', isTTY: false,
    stdout: (s: string) => void (io.out += s),
    stderr: (s: string) => void (io.err += s),
  };
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

const root = mkdtempSync(join(tmpdir(), 'alexnet-recipe-test-'));
const set = writeSyntheticSet(join(root, 'data'), { size: 32, perClass: { train: 8, validation: 4, test: 2 }, seed: 3 });
const tiny = ['--model', 'keras-bn', '--input-size', '67', '--width', '0.125', '--batch-size', '8', '--seed', '1', '--workers', '0'];
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('recipe pieces', () => {
  const model = { forward: (x: never) => x, parameters: () => [] };
  it('warm-up alone holds the rate at --lr after the warm-up steps', () => {
    const [cb] = recipeCallbacks({ warmupEpochs: 2 }, { model, peakLr: 0.1, epochs: 5, stepsPerEpoch: 4 });
    const s = cb as StepLRSchedule;
    expect(s).toBeInstanceOf(StepLRSchedule);
    expect([0, 3, 7, 8, 19].map((k) => s.lrAt(k))).toEqual([0.1 / 8, 0.05, 0.1, 0.1, 0.1]);
  });
  it('adds nothing without the flags', () => {
    expect(recipeCallbacks({}, { model, peakLr: 0.1, epochs: 5, stepsPerEpoch: 4 })).toEqual([]);
  });
  it('random crops come with the mirror, and keep the Keras transforms with --augment', () => {
    expect(recipeAugment(undefined, { randomCropScale: 0.3 })).toEqual({ horizontalFlip: true, randomResizedCrop: { scale: [0.3, 1] } });
    expect(recipeAugment({ rotationRange: 40 }, { randomCropScale: 0.3 })).toEqual({ rotationRange: 40, horizontalFlip: true, randomResizedCrop: { scale: [0.3, 1] } });
    expect(recipeAugment({ rotationRange: 40 }, {})).toEqual({ rotationRange: 40 });
  });
});

describe('alexnet train: recipe flags', () => {
  const bad: [string[], RegExp][] = [
    [['--schedule', 'linear'], /--schedule must be constant or cosine/],
    [['--ema', '1'], /--ema must be a decay in \(0, 1\)/],
    [['--decay-weights-only'], /--decay-weights-only needs --weight-decay/],
    [['--random-crop', '0'], /--random-crop must be a minimum area fraction/],
    [['--label-smoothing', '1'], /--label-smoothing must be in \[0, 1\)/],
    [['--cache-mb', '1.5'], /--cache-mb must be an integer >= 0/],
    [['--mixup', '0'], /--mixup must be an alpha > 0/],
    [['--cutmix', 'x'], /--cutmix must be an alpha > 0/],
    [['--schedule', 'cosine', '--warmup-epochs', '5', '--epochs', '2'], /--warmup-epochs 5 leaves no epochs/],
  ];
  for (const [flags, message] of bad) {
    it(`rejects ${flags.join(' ')}`, async () => {
      const r = await run('train', '--data', set.train, '--val', set.validation, ...tiny, '--out', join(root, 'bad'), ...flags);
      expect(r.code).toBe(2);
      expect(r.out + r.err).toMatch(message);
    });
  }

  it.skipIf(!gpu)('trains with all of them: per-step warm-up and cosine in the history, checkpoints of the average', async () => {
    const out = join(root, 'run');
    const r = await run(
      'train', '--data', set.train, '--val', set.validation, ...tiny, '--epochs', '3', '--out', out, '--patience', '10',
      '--optimizer', 'sgd', '--lr', '0.05', '--weight-decay', '5e-4', '--decay-weights-only', '--label-smoothing', '0.1',
      '--schedule', 'cosine', '--warmup-epochs', '1', '--ema', '0.9', '--random-crop', '0.35', '--cache-mb', '64',
      '--mixup', '0.2', '--cutmix', '1',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Recipe: weight decay 0.0005 \(weights only\), label smoothing 0.1, cosine schedule, warm-up 1 epochs, EMA 0.9, random crop \[0.35, 1\] \+ mirror, mixup 0.2, CutMix 1 \(half the batches each\), decoded-image cache 64 MiB/);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as { history: Record<string, number[]> };
    // 16 training images at batch 8: 2 steps an epoch; the logged lr is the last step's
    const lrs = history.history['lr']!;
    [1, 3, 5].forEach((step, e) => expect(lrs[e]).toBeCloseTo(warmupCosineLr(step, { peakLr: 0.05, warmupSteps: 2, totalSteps: 6 }), 6));
    expect(history.history['val_accuracy']!.every(Number.isFinite)).toBe(true);
    expect(existsSync(join(out, 'best.safetensors'))).toBe(true);
    // evaluate --tta: the mirror-averaged score, with its confusion matrix
    const e = await run('evaluate', join(out, 'best.safetensors'), set.validation, '--tta');
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/8 images, each averaged with its mirror \(--tta\)\nloss: \d\.\d{4} - accuracy: \d\.\d{4}/);
    expect(e.out).toMatch(/true\\pred/);
    // predict --tta: probabilities that sum to 1, generally not those without it
    const file = set.testFiles[0]!.file;
    const plain = JSON.parse((await run('predict', join(out, 'best.safetensors'), file, '--json')).out) as { probabilities: Record<string, number> }[];
    const tta = JSON.parse((await run('predict', join(out, 'best.safetensors'), file, '--json', '--tta')).out) as { probabilities: Record<string, number> }[];
    const sum = Object.values(tta[0]!.probabilities).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 5);
    expect(tta[0]!.probabilities).not.toEqual(plain[0]!.probabilities);
  });
});
