// Issue 14, end to end through main(argv, io) on tiny generated data: a resumed run keeps the
// best checkpoint; a FIFO never hangs a command; a failure never exits 0 nor claims files it did
// not write; every checkpoint problem names the file and the field, with exit status 3.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasGpu } from '../helpers/adapter.js';
import { main } from '../../src/node/cli.js';
import type { CliIO } from '../../src/node/commands/common.js';
import { writeSyntheticSet } from '../../src/node/demo.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../src/node/weights-file.js';
import type { STTensorInput } from '../../src/io/safetensors.js';
import { metadataFields } from '../../src/io/checkpoint-meta.js';
import { readMeta } from '../../src/node/commands/checkpoint.js';

const hasMkfifo = process.platform !== 'win32';

async function run(argv: string[], onOut?: (s: string) => void) {
  const io: CliIO & { out: string; err: string } = {
    out: '',
    err: '',
    isTTY: false,
    stdout: (s: string) => {
      io.out += s;
      onOut?.(s);
    },
    stderr: (s: string) => void (io.err += s),
  };
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

const root = mkdtempSync(join(tmpdir(), 'alexnet-hostile-cli-'));
const set = writeSyntheticSet(join(root, 'data'), { size: 32, perClass: { train: 8, validation: 4, test: 2 }, seed: 5 });
const tiny = ['--model', 'keras-bn', '--input-size', '67', '--width', '0.125', '--batch-size', '8', '--seed', '1', '--workers', '0'];
const trainArgs = (out: string, ...more: string[]) => ['train', '--data', set.train, '--val', set.validation, '--out', out, ...tiny, ...more];

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of `from` with its metadata changed by `edit` and its tensors by `editTensors`. */
async function variant(from: string, name: string, edit: (m: Record<string, string>) => void, editTensors?: (t: Record<string, STTensorInput>) => void): Promise<string> {
  const { tensors, metadata } = await readSafetensorsFile(from);
  const t: Record<string, STTensorInput> = {};
  for (const [k, v] of tensors) t[k] = { dtype: v.dtype, shape: v.shape, data: v.data };
  editTensors?.(t);
  const m = { ...metadata };
  edit(m);
  const path = join(root, name);
  await writeSafetensorsFile(path, t, m);
  return path;
}

describe.skipIf(!hasGpu)('issue 14: hostile and careless input, end to end', () => {
  const run1 = join(root, 'run1');
  beforeAll(async () => {
    const r = await run(trainArgs(run1, '--epochs', '2'));
    expect(r.code, r.err).toBe(0);
  }, 60_000);

  it('history.json is written at the end of every epoch, not only when train ends', { timeout: 60_000 }, async () => {
    const out = join(root, 'run-epochs');
    let seen: number[] | undefined;
    const r = await run(trainArgs(out, '--epochs', '2'), (s) => {
      if (/^Epoch 2\/2$/m.test(s)) seen = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')).epoch;
    });
    expect(r.code).toBe(0);
    expect(seen).toEqual([0]);
  });

  const LOST = { none: '', json: ' (history.json lost: rebuilt from history.csv)', both: ' (both history files lost: the checkpoint carries the best)' };
  for (const lost of ['none', 'json', 'both'] as const) {
    it(`a resumed run keeps best.safetensors unless it beats the best so far${LOST[lost]}`, { timeout: 60_000 }, async () => {
      const out = join(root, `resume-${lost}`);
      mkdirSync(out);
      for (const f of ['best.safetensors', 'last.safetensors', 'history.json', 'history.csv']) writeFileSync(join(out, f), readFileSync(join(run1, f)));
      // the run was "interrupted" after epoch 2; pretend epoch 1 was far better than any later one
      const h = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
      const bestBefore = Math.max(...h.history.val_accuracy);
      if (lost !== 'none') rmSync(join(out, 'history.json'));
      if (lost === 'both') {
        rmSync(join(out, 'history.csv'));
        // an older checkpoint: the best value without its epoch
        const older = await variant(join(out, 'last.safetensors'), 'older-last.safetensors', (m) => void delete m['bestEpoch']);
        writeFileSync(join(out, 'last.safetensors'), readFileSync(older));
      }
      const best = readFileSync(join(out, 'best.safetensors'));
      // a learning rate so small that the resumed epoch changes nothing: it cannot beat the best
      const r = await run(trainArgs(out, '--epochs', '3', '--lr', '1e-12', '--resume', join(out, 'last.safetensors')));
      expect(r.code, r.err).toBe(0);
      expect(r.out).not.toContain('improved from -inf');
      expect(r.out).toMatch(new RegExp(`Epoch 3: val_accuracy did not improve from ${bestBefore.toFixed(5)}`));
      expect(readFileSync(join(out, 'best.safetensors')).equals(best)).toBe(true);
      const after = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
      // both lost: epoch 2's row comes back from the logs last.safetensors carries (issue 24)
      expect(after.epoch).toEqual(lost === 'both' ? [1, 2] : [0, 1, 2]);
      expect(readFileSync(join(out, 'history.csv'), 'utf8').trim().split('\n')).toHaveLength(lost === 'both' ? 3 : 4);
      // the last checkpoint carries the best value and epoch for the next resume
      const { metadata } = await readSafetensorsFile(join(out, 'last.safetensors'));
      expect(Number(metadata['bestValAccuracy'])).toBe(bestBefore);
      expect(Number(metadata['epoch'])).toBe(3);
      expect(() => readMeta(metadataFields(metadata), 'last')).not.toThrow();
    });
  }

  // the issue's own reproduction: kill -9 in the last epoch, then resume; needs the compiled bin of these sources
  const bin = join(process.cwd(), 'dist/src/node/bin/alexnet.js');
  const built = existsSync(bin) && existsSync(join(process.cwd(), 'dist/src/node/commands/run-folder.js'));
  it.skipIf(!built)('kill -9 during epoch 3, then --resume: history of the finished epochs kept, best.safetensors only replaced by a better epoch', { timeout: 90_000 }, async () => {
    const out = join(root, 'killed');
    const child = spawn(process.execPath, [bin, ...trainArgs(out, '--epochs', '3')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        if (/^Epoch 3\/3$/m.test(text)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.on('exit', resolve)));
    expect(child.signalCode, text).toBe('SIGKILL');
    const h = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(h.epoch).toEqual([0, 1]);
    const bestBefore = Math.max(...h.history.val_accuracy);
    const best = readFileSync(join(out, 'best.safetensors'));
    const r = await run(trainArgs(out, '--epochs', '3', '--lr', '1e-12', '--resume', join(out, 'last.safetensors')));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`val_accuracy did not improve from ${bestBefore.toFixed(5)}`);
    expect(readFileSync(join(out, 'best.safetensors')).equals(best)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')).epoch).toEqual([0, 1, 2]);
  });

  it('a resumed history.csv is cut back to the resumed epoch (no repeated rows)', { timeout: 60_000 }, async () => {
    const out = join(root, 'resume-csv');
    mkdirSync(out);
    for (const f of ['last.safetensors', 'history.json', 'history.csv']) writeFileSync(join(out, f), readFileSync(join(run1, f)));
    // a later epoch logged after the checkpoint (killed between the two writes)
    writeFileSync(join(out, 'history.csv'), readFileSync(join(out, 'history.csv'), 'utf8') + '2,0.5,0.7,0.01,0.5,0.7\n');
    const r = await run(trainArgs(out, '--epochs', '3', '--resume', join(out, 'last.safetensors')));
    expect(r.code, r.err).toBe(0);
    const rows = readFileSync(join(out, 'history.csv'), 'utf8').trim().split('\n').map((l) => l.split(',')[0]);
    expect(rows).toEqual(['epoch', '0', '1', '2']);
  });

  it('stale temporary files of a killed run are removed when a run starts in the folder', { timeout: 60_000 }, async () => {
    const out = join(root, 'stale');
    mkdirSync(out);
    // pid 2^22+1 is above Linux's pid_max default range: no such process
    const stale = join(out, `.best.safetensors.tmp-${2 ** 22 + 1}-abcdef`);
    const live = join(out, `.best.safetensors.tmp-${process.pid}-abcdef`);
    writeFileSync(stale, 'half');
    writeFileSync(live, 'in progress');
    const r = await run(trainArgs(out, '--epochs', '1'));
    expect(r.code, r.err).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(r.err).toContain('Removed 1 temporary file(s)');
  });

  it('a loss that becomes NaN exits 1 and the summary names only files that exist', { timeout: 60_000 }, async () => {
    const out = join(root, 'nan');
    const r = await run(trainArgs(out, '--epochs', '2', '--lr', '1e38', '--optimizer', 'sgd'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/loss became NaN at epoch 1/);
    expect(r.out).toMatch(/Training failed: loss became NaN/);
    expect(r.out).not.toMatch(/Best val_accuracy/);
    const line = /^(Wrote (.*) to .*|No file was written to .*)$/m.exec(r.out);
    expect(line).not.toBeNull();
    for (const f of line![2]?.split(', ') ?? []) expect(readFileSync(join(out, f)).length, f).toBeGreaterThan(0);
    expect(existsSync(join(out, 'best.safetensors'))).toBe(false);
    expect(line![0]).not.toContain('best.safetensors');
  });

  it('train and evaluate on folders where no image can be read exit 3 and say why', { timeout: 60_000 }, async () => {
    const bad = join(root, 'unreadable');
    for (const c of ['circles', 'stripes']) {
      mkdirSync(join(bad, c), { recursive: true });
      for (let i = 0; i < 3; i++) writeFileSync(join(bad, c, `${i}.jpg`), 'not a JPEG at all');
    }
    const out = join(root, 'unreadable-run');
    const t = await run(['train', '--data', bad, '--val', set.validation, '--out', out, '--epochs', '2', ...tiny]);
    expect(t.code).toBe(3);
    expect(t.err).toMatch(/alexnet train: error: --data .*unreadable: none of the 6 training images could be read \(e\.g\. .*\.jpg: .*\); nothing to train on/);
    expect(existsSync(join(out, 'best.safetensors'))).toBe(false);
    expect(existsSync(join(out, 'last.safetensors'))).toBe(false);
    const v = await run(['train', '--data', set.train, '--val', bad, '--out', out, '--epochs', '1', ...tiny]);
    expect(v.code).toBe(3);
    expect(v.err).toMatch(/--val .*: none of the 6 validation images could be read/);
    const e = await run(['evaluate', join(run1, 'best.safetensors'), bad]);
    expect(e.code).toBe(3);
    expect(e.err).toMatch(/alexnet evaluate: error: .*unreadable: none of the 6 images could be read .*; nothing to evaluate/);
    expect(e.out).not.toMatch(/accuracy/);
  });

  describe.skipIf(!hasMkfifo)('a FIFO named like an image never hangs a command', () => {
    beforeAll(() => {
      execFileSync('mkfifo', [join(set.validation, 'circles', 'pipe.jpg')]);
      execFileSync('mkfifo', [join(set.train, 'stripes', 'pipe.png')]);
      execFileSync('mkfifo', [join(root, 'lone.jpg')]);
      execFileSync('mkfifo', [join(root, 'model.safetensors')]);
    });
    afterAll(() => {
      rmSync(join(set.validation, 'circles', 'pipe.jpg'));
      rmSync(join(set.train, 'stripes', 'pipe.png'));
    });

    it('predict refuses a FIFO image and a FIFO model file (exit 2)', { timeout: 20_000 }, async () => {
      const p = await run(['predict', join(run1, 'best.safetensors'), join(root, 'lone.jpg')]);
      expect(p.code).toBe(2);
      expect(p.err).toMatch(/lone\.jpg: not a regular file \(a FIFO\); not read/);
      const m = await run(['predict', join(root, 'model.safetensors'), set.testFiles[0]!.file]);
      expect(m.code).toBe(2);
      expect(m.err).toMatch(/model\.safetensors: not a regular file \(a FIFO\); not read/);
      const d = await run(['predict', join(run1, 'best.safetensors'), root]);
      expect(d.code).toBe(2);
      expect(d.err).toMatch(/not a regular file \(a folder\)/);
    });

    it('FIFOs named history.json and history.csv in the run folder do not hang a resumed run', { timeout: 60_000 }, async () => {
      const out = join(root, 'fifo-history');
      mkdirSync(out);
      writeFileSync(join(out, 'last.safetensors'), readFileSync(join(run1, 'last.safetensors')));
      execFileSync('mkfifo', [join(out, 'history.json')]);
      execFileSync('mkfifo', [join(out, 'history.csv')]);
      const r = await run(trainArgs(out, '--epochs', '3', '--resume', join(out, 'last.safetensors')));
      expect(r.code, r.err).toBe(0);
      // the resumed epoch's row comes back from the logs last.safetensors carries (issue 24)
      expect(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')).epoch).toEqual([1, 2]);
    });

    it('evaluate and train skip a FIFO in a data folder with a warning', { timeout: 60_000 }, async () => {
      const e = await run(['evaluate', join(run1, 'best.safetensors'), set.validation]);
      expect(e.code, e.err).toBe(0);
      expect(e.err).toMatch(/skipping .*pipe\.jpg: not a regular file \(a FIFO\)/);
      const t = await run(trainArgs(join(root, 'fifo-run'), '--epochs', '1'));
      expect(t.code, t.err).toBe(0);
      expect(t.err).toMatch(/skipping .*pipe\.png: not a regular file \(a FIFO\)/);
      expect(t.err).toMatch(/skipping .*pipe\.jpg: not a regular file \(a FIFO\)/);
    });
  });

  describe('every checkpoint problem names the file and the field (exit 3)', () => {
    const image = () => set.testFiles[0]!.file;
    const cases: [string, (m: Record<string, string>) => void, RegExp][] = [
      ['optim_state not JSON', (m) => void (m['optim_state'] = '{"type": "SGD", "hyp'), /metadata field 'optim_state': .* is not valid JSON/],
      ['input_size abc', (m) => void (m['input_size'] = 'abc'), /metadata field 'input_size': 'abc' is not a positive integer/],
      ['epoch -5', (m) => void (m['epoch'] = '-5'), /metadata field 'epoch': -5 is not a non-negative integer/],
      ['one class name for two outputs', (m) => void (m['class_names'] = '["circles"]'), /metadata field 'class_names': 1 name\(s\) for the 2 classes of model_config/],
      ['three class names for two outputs', (m) => void (m['class_names'] = '["a","b","c"]'), /metadata field 'class_names': 3 name\(s\)/],
      ['class names not an array', (m) => void (m['class_names'] = 'cats'), /metadata field 'class_names': 'cats' is not a JSON array/],
      ['rescale not a number', (m) => void (m['preprocessing'] = '{"rescale":"x","resizeMode":"stretch"}'), /metadata field 'preprocessing': rescale 'x' is not a finite non-zero number/],
      ['resizeMode not in the enum', (m) => void (m['preprocessing'] = '{"rescale":0.00392,"resizeMode":"weird"}'), /metadata field 'preprocessing': resizeMode 'weird' is not one of stretch, center-crop/],
      ['unknown preset', (m) => void (m['preset'] = 'vgg'), /metadata field 'preset': 'vgg' is not one of paper, keras-bn, torchvision/],
      ['model_config width 0', (m) => void (m['model_config'] = m['model_config']!.replace(/"width":[0-9.]+/, '"width":0')), /metadata field 'model_config': width 0 is not a number in \(0, 4\]/],
    ];
    for (const [what, edit, message] of cases) {
      it(`predict: ${what}`, { timeout: 20_000 }, async () => {
        const path = await variant(join(run1, 'best.safetensors'), `bad-${what.replace(/\W+/g, '-')}.safetensors`, edit);
        const r = await run(['predict', path, image()]);
        expect(r.code).toBe(3);
        expect(r.err).toContain(`alexnet predict: error: ${path}: `);
        expect(r.err).toMatch(message);
        expect(r.out).toBe('');
      });
    }

    it('--resume: an unexpected optimizer tensor is named', { timeout: 20_000 }, async () => {
      const path = await variant(join(run1, 'last.safetensors'), 'extra-optim.safetensors', () => {}, (t) => {
        t['optim.99.momentum_buffer'] = { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) };
      });
      const r = await run(trainArgs(join(root, 'extra'), '--epochs', '3', '--resume', path));
      expect(r.code).toBe(3);
      expect(r.err).toMatch(new RegExp(`${path.replace(/[.]/g, '\\.')}: optimizer state: tensor 'optim\\.99\\.momentum_buffer' belongs to no parameter`));
    });

    it('--resume: a missing optimizer tensor is named, not filled silently', { timeout: 20_000 }, async () => {
      const path = await variant(join(run1, 'last.safetensors'), 'missing-optim.safetensors', () => {}, (t) => {
        delete t['optim.3.momentum_buffer'];
      });
      const r = await run(trainArgs(join(root, 'missing'), '--epochs', '3', '--resume', path));
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/optimizer state: tensor 'optim\.3\.momentum_buffer' \(features\.\S+\) is missing; the parameter has taken \d+ step\(s\)/);
    });

    it('--resume: epoch -5 is named (not fit: initialEpoch ...)', { timeout: 20_000 }, async () => {
      const path = await variant(join(run1, 'last.safetensors'), 'epoch-5.safetensors', (m) => void (m['epoch'] = '-5'));
      const r = await run(trainArgs(join(root, 'neg'), '--epochs', '3', '--resume', path));
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/metadata field 'epoch': -5 is not a non-negative integer/);
      expect(r.err).not.toMatch(/initialEpoch/);
    });

    it('a truncated file names the file (exit 3)', { timeout: 20_000 }, async () => {
      const path = join(root, 'truncated.safetensors');
      writeFileSync(path, readFileSync(join(run1, 'best.safetensors')).subarray(0, 1000));
      const r = await run(['evaluate', path, set.validation]);
      expect(r.code).toBe(3);
      expect(r.err).toContain(path);
    });
  });
});
