// The `alexnet` CLI end to end, in-process through main(argv, io), on a tiny generated image
// folder and an eighth-width keras-bn AlexNet at 67 px (the smallest input the preset takes).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasGpu } from '../helpers/adapter.js';
import { main } from '../../src/node/cli.js';
import type { CliIO } from '../../src/node/commands/common.js';
import { writeSyntheticSet } from '../../src/node/demo.js';


function capture(): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    isTTY: false,
    stdout: (s: string) => void (io.out += s),
    stderr: (s: string) => void (io.err += s),
  };
  return io;
}

async function run(...argv: string[]) {
  const io = capture();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

const root = mkdtempSync(join(tmpdir(), 'alexnet-cli-test-'));
const set = writeSyntheticSet(join(root, 'data'), { size: 32, perClass: { train: 8, validation: 4, test: 2 }, seed: 3 });
const out = join(root, 'run');
const tiny = ['--model', 'keras-bn', '--input-size', '67', '--width', '0.125', '--batch-size', '8', '--seed', '1', '--workers', '0'];

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('alexnet: bad arguments exit with status 2 and a clear message', () => {
  const cases: [string[], RegExp][] = [
    [[], /Usage: alexnet/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['train'], /--data DIR is required/],
    [['train', '--data', join(root, 'nope')], /no such folder/],
    [['train', '--data', set.train, '--epochs', 'two'], /--epochs must be an integer >= 1, got 'two'/],
    [['train', '--data', set.train, '--model', 'vgg'], /--model must be one of paper, keras-bn, torchvision, got 'vgg'/],
    [['train', '--data', set.train, '--optimizer', 'rmsprop'], /--optimizer must be sgd, adam or adamw/],
    [['train', '--data', set.train, '--validation-split', '1.5'], /--validation-split must be a fraction in \(0, 1\)/],
    [['train', '--data', set.train, '--val', set.validation, '--validation-split', '0.2'], /either --val DIR or --validation-split/],
    [['train', '--data', set.train, '--bogus'], /Unknown option '--bogus'/],
    [['train', '--data', set.train, '--verbose', '3'], /--verbose must be 0, 1 or 2/],
    [['profile', '--batch-size', '0'], /--batch-size must be an integer >= 1/],
    [['train', '--data', join(set.train, 'circles')], /found 0 class folder/],
    [['predict', join(root, 'missing.safetensors')], /usage: alexnet predict MODEL IMAGE/],
    [['predict', join(root, 'missing.safetensors'), set.testFiles[0]!.file], /missing.safetensors: no such model file/],
  ];
  for (const [argv, message] of cases) {
    it(`alexnet ${argv.join(' ').replaceAll(root, '<tmp>') || '(nothing)'}`, async () => {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      expect(r.out + r.err).toMatch(message);
    });
  }

  it('a folder with a single class', async () => {
    const one = join(root, 'one-class');
    mkdirSync(join(one, 'cats'), { recursive: true });
    writeFileSync(join(one, 'cats', 'a.png'), readFileSync(set.testFiles[0]!.file));
    const r = await run('train', '--data', one);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/found 1 class folder\(s\) \(cats\); a classifier needs at least 2/);
  });
});

describe.skipIf(!hasGpu)('alexnet train / predict / evaluate', () => {
  beforeAll(() => {
    // one unreadable file among the training images: skipped and counted, not fatal
    writeFileSync(join(set.train, 'stripes', 'zz-corrupt.jpg'), 'this is not a JPEG');
  });

  it('train writes the best checkpoint, history and plots, and counts skipped files', async () => {
    const r = await run('train', '--data', set.train, '--val', set.validation, '--epochs', '2', '--out', out, ...tiny);
    expect(r.err).not.toMatch(/alexnet( \w+)?: error/);
    expect(r.err).not.toMatch(/earlier run/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Device: /m);
    expect(r.out).toContain('Found 17 training and 8 validation images in 2 classes: circles, stripes');
    expect(r.out).toMatch(/^Epoch 1\/2$/m);
    expect(r.out).toMatch(/^3\/3 \[=+\] - .* - loss: \d+\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d+\.\d{4} - val_accuracy: \d\.\d{4}$/m);
    expect(r.out).toContain('Epoch 1: val_accuracy improved from -inf to');
    expect(r.out).toContain('Epoch 1: skipped 1 training and 0 validation files that could not be read');
    expect(r.err).toMatch(/zz-corrupt\.jpg/);
    for (const f of ['best.safetensors', 'last.safetensors', 'history.json', 'history.csv', 'loss.png', 'loss.svg', 'accuracy.png', 'accuracy.svg']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(history.epoch).toEqual([0, 1]);
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'lr', 'val_accuracy', 'val_loss']);
    expect(readFileSync(join(out, 'history.csv'), 'utf8').split('\n')[0]).toBe('epoch,accuracy,loss,lr,val_accuracy,val_loss');
  });

  it('--resume continues from the saved epoch with the optimizer state', async () => {
    const r = await run('train', '--data', set.train, '--val', set.validation, '--epochs', '3', '--out', out, '--resume', join(out, 'last.safetensors'), ...tiny);
    expect(r.code).toBe(0);
    expect(r.out).toContain('resuming at epoch 3');
    expect(r.out).not.toMatch(/^Epoch 1\/3$/m);
    expect(r.out).toMatch(/^Epoch 3\/3$/m);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(readFileSync(join(out, 'history.csv'), 'utf8').trim().split('\n')).toHaveLength(4);
    const again = await run('train', '--data', set.train, '--epochs', '3', '--out', out, '--resume', join(out, 'last.safetensors'), ...tiny);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already completed 3 epoch\(s\)/);
  });

  it("a new run into an earlier run's folder says that it replaces its files", async () => {
    const again = join(root, 'again');
    const first = await run('train', '--data', set.train, '--val', set.validation, '--epochs', '1', '--out', again, ...tiny);
    expect(first.code).toBe(0);
    expect(first.err).not.toMatch(/earlier run/);
    const second = await run('train', '--data', set.train, '--val', set.validation, '--epochs', '1', '--out', again, ...tiny);
    expect(second.code).toBe(0);
    expect(second.err).toContain(`alexnet train: warning: ${again} holds an earlier run's best.safetensors, last.safetensors, history.json, history.csv; this new run replaces them`);
  });

  it('predict prints the top class and probability; --json', async () => {
    const files = set.testFiles.map((t) => t.file);
    const r = await run('predict', join(out, 'best.safetensors'), ...files);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(files.length);
    lines.forEach((line, i) => expect(line).toMatch(new RegExp(`^${files[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (circles|stripes) [01]\\.\\d\\d$`)));
    const j = await run('predict', join(out, 'best.safetensors'), files[0]!, '--json');
    const parsed = JSON.parse(j.out);
    expect(parsed[0].file).toBe(files[0]);
    expect(parsed[0].probabilities.circles + parsed[0].probabilities.stripes).toBeCloseTo(1, 5);
    const bad = await run('predict', join(out, 'best.safetensors'), join(root, 'nope.png'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/nope\.png: no such image file/);
  });

  it('evaluate prints loss, accuracy and a confusion matrix; --json', async () => {
    const r = await run('evaluate', join(out, 'best.safetensors'), set.validation);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^8 images\nloss: \d+\.\d{4} - accuracy: \d\.\d{4}\n/);
    expect(r.out).toMatch(/true\\pred\s+circles\s+stripes/);
    const j = JSON.parse((await run('evaluate', join(out, 'best.safetensors'), set.validation, '--json')).out);
    expect(j.count).toBe(8);
    expect(j.classNames).toEqual(['circles', 'stripes']);
    expect(j.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(8);
  });

  it('profile prints where a training step spends its time', async () => {
    const r = await run('profile', '--model', 'keras-bn', '--input-size', '67', '--width', '0.125', '--batch-size', '2', '--classes', '2', '--steps', '1');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^device: /m);
    expect(r.out).toMatch(/ms\/step/);
  });

  it('profile --kernels: one more step timed dispatch by dispatch, summed per kernel file', async () => {
    const r = await run('profile', '--model', 'keras-bn', '--input-size', '67', '--width', '0.125', '--batch-size', '2', '--classes', '2', '--steps', '1', '--kernels', '--json');
    expect(r.code).toBe(0);
    const p = JSON.parse(r.out) as { dispatchesPerStep: number; kernels: { kernel: string; dispatches: number; ms: number; share: number }[] };
    const copies = ['(buffer copy)', '(copy into an operand image)'];
    const kernels = p.kernels.filter((k) => !copies.includes(k.kernel));
    for (const k of kernels) expect(k.kernel).toMatch(/^[a-z0-9_]+\/[\w]+\.wgsl$/);
    // every dispatch of the step is there once
    expect(kernels.reduce((a, k) => a + k.dispatches, 0)).toBe(p.dispatchesPerStep);
    for (const k of p.kernels) expect(Number.isFinite(k.ms) && k.ms >= 0).toBe(true);
    expect(p.kernels.reduce((a, k) => a + k.share, 0)).toBeCloseTo(1, 6);
    expect(p.kernels.map((k) => k.ms)).toEqual([...p.kernels.map((k) => k.ms)].sort((a, b) => b - a));
    // the text form prints the table
    const t = await run('profile', '--model', 'keras-bn', '--input-size', '67', '--width', '0.125', '--batch-size', '2', '--classes', '2', '--steps', '1', '--kernels');
    expect(t.out).toMatch(/^\| kernel \| dispatches \| ms \| share \|$/m);
    expect(t.out).toMatch(/^\| conv2d\/\S+\.wgsl \| \d+ \|/m);
  });

  it('summary prints the layer table', async () => {
    const r = await run('summary', '--model', 'keras-bn', '--input-size', '67', '--width', '0.125', '--classes', '2');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/features\.0 Conv2d\(3, 12, k11, s4\)/);
  });
});

const bin = join(process.cwd(), 'dist/src/node/bin/alexnet.js');
describe.skipIf(!existsSync(bin))('the compiled bin', () => {
  it('exits with status 2 on bad arguments, 0 on help', () => {
    const r = spawnSync(process.execPath, [bin, 'train', '--epochs', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--data DIR is required/);
    expect(execFileSync(process.execPath, [bin, 'help'], { encoding: 'utf8' })).toMatch(/Usage: alexnet <command>/);
  });
});
