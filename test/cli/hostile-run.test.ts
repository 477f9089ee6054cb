// Issue 24, end to end on tiny generated data: exit statuses as docs/cli.md's table says (each
// checkpoint problem names the file and the field or tensor), the run folder (locked by its run,
// history and checkpoints that agree after any kill, no mixing of two models), stop signals sent
// to the bin alone, and file names printed without terminal escapes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { destroyDevice, initDevice } from '../../src/node/device.js';
import { hasGpu } from '../helpers/adapter.js';
import { main } from '../../src/node/cli.js';
import type { CliIO } from '../../src/node/commands/common.js';
import { buildModel, checkpointSaver, DEFAULT_PREPROCESSING } from '../../src/node/commands/checkpoint.js';
import { writeSyntheticSet } from '../../src/node/demo.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../src/node/weights-file.js';
import type { STTensorInput } from '../../src/io/safetensors.js';
import { StopOnSignal } from '../../src/node/commands/train-callbacks.js';
import { StoppedBySignal, type StopSignal } from '../../src/node/stop-signals.js';


async function run(argv: string[]) {
  const io: CliIO & { out: string; err: string } = { out: '', err: '', isTTY: false, stdout: (s) => void (io.out += s), stderr: (s) => void (io.err += s) };
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

const root = mkdtempSync(join(tmpdir(), 'alexnet-hostile-run-'));
const set = writeSyntheticSet(join(root, 'data'), { size: 32, perClass: { train: 8, validation: 4, test: 2 }, seed: 5 });
const tiny = ['--model', 'keras-bn', '--input-size', '67', '--width', '0.125', '--batch-size', '8', '--seed', '1', '--workers', '0'];
const trainArgs = (out: string, ...more: string[]) => ['train', '--data', set.train, '--val', set.validation, '--out', out, ...tiny, ...more];
const bin = join(process.cwd(), 'dist/src/node/bin/alexnet.js');
const built = existsSync(bin) && existsSync(join(process.cwd(), 'dist/src/node/stop-signals.js'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of `from` with its metadata and tensors edited. */
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

/** A copy of run folder `from` in a new folder, with `edit` applied to its history.json. */
function copyRun(from: string, name: string, files = ['best.safetensors', 'last.safetensors', 'history.json', 'history.csv']): string {
  const out = join(root, name);
  mkdirSync(out);
  for (const f of files) writeFileSync(join(out, f), readFileSync(join(from, f)));
  return out;
}

/** The lock file of a run folder (src/node/out-folder.ts). */
const LOCK_NAME = '.alexnet-run.lock';

const metaOf = async (path: string) => (await readSafetensorsFile(path)).metadata;

/** Whether this machine lets a test mount a small tmpfs in its own user and mount namespace. */
const canMount =
  process.platform === 'linux' && spawnSync('unshare', ['-rm', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d" && rmdir "$d"'], { stdio: 'ignore' }).status === 0;

/** Runs the bin in a namespace where `dir` is a fresh tmpfs (`opts`: e.g. size=4m, ro). */
function binOnTmpfs(dir: string, opts: string, argv: string[]) {
  mkdirSync(dir, { recursive: true });
  const script = 'mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"';
  return spawnSync('unshare', ['-rm', 'sh', '-c', script, 'sh', opts, dir, process.execPath, bin, ...argv], { encoding: 'utf8' });
}

describe.skipIf(!hasGpu)('issue 24: the run folder, signals and exit statuses', () => {
  const run1 = join(root, 'run1');
  beforeAll(async () => {
    const r = await run(trainArgs(run1, '--epochs', '2'));
    expect(r.code, r.err).toBe(0);
  }, 180_000);

  describe('every checkpoint problem exits 3 and names the file and the field or tensor', () => {
    const image = () => set.testFiles[0]!.file;
    const cases: [string, (m: Record<string, string>) => void, ((t: Record<string, STTensorInput>) => void) | undefined, RegExp][] = [
      ['an I32 weight tensor', () => {}, (t) => void (t['features.0.weight'] = { ...t['features.0.weight']!, dtype: 'I32', data: new Int32Array(12 * 3 * 11 * 11).fill(3) }), /tensor 'features\.0\.weight': dtype I32; weights are F32/],
      ['a missing weight tensor', () => {}, (t) => void delete t['classifier.6.bias'], /tensor 'classifier\.6\.bias': missing; a 'keras-bn' AlexNet \(width 0\.125, 2 classes, input 67\) has it/],
      ['an extra weight tensor', () => {}, (t) => void (t['features.99.weight'] = { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }), /tensor 'features\.99\.weight': belongs to no layer of a 'keras-bn' AlexNet/],
      ['a weight of the wrong shape', () => {}, (t) => void (t['classifier.6.bias'] = { dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) }), /tensor 'classifier\.6\.bias': shape \[3\] in the file, \[2\] in a 'keras-bn' AlexNet/],
      ['a metadata preset that does not match the tensors', (m) => {
        m['preset'] = 'paper';
        m['model_config'] = m['model_config']!.replace('"keras-bn"', '"paper"');
      }, undefined, /metadata field 'preset': the tensors are not those of a 'paper' AlexNet/],
      ['input_size 10', (m) => {
        m['input_size'] = '10';
        m['model_config'] = m['model_config']!.replace(/"inputSize":\d+/, '"inputSize":10');
      }, undefined, /metadata field 'model_config': inputSize 10 is smaller than the 67 px the 'keras-bn' preset takes/],
    ];
    for (const [what, edit, editTensors, message] of cases) {
      it(`predict: ${what}`, { timeout: 20_000 }, async () => {
        const path = await variant(join(run1, 'best.safetensors'), `bad-${what.replace(/\W+/g, '-')}.safetensors`, edit, editTensors);
        const r = await run(['predict', path, image()]);
        expect(r.err).toContain(`alexnet predict: error: ${path}: `);
        expect(r.err).toMatch(message);
        expect(r.code, r.err).toBe(3);
        expect(r.out).toBe('');
      });
    }

    it('--resume: an optimizer tensor of the wrong shape names the file and the tensor', { timeout: 20_000 }, async () => {
      const path = await variant(join(run1, 'last.safetensors'), 'optim-shape.safetensors', () => {}, (t) => {
        t['optim.0.momentum_buffer'] = { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) };
      });
      const r = await run(trainArgs(join(root, 'optim-shape'), '--epochs', '3', '--resume', path));
      expect(r.code, r.err).toBe(3);
      expect(r.err).toContain(`${path}: optimizer state: tensor 'optim.0.momentum_buffer' (features.0.weight) has shape [2], the parameter [12, 3, 11, 11]`);
    });
  });

  describe('--out and --batch-size', () => {
    it("--out '', --out under a file, demo --out FILE: exit 2 naming the flag, no raw ENOTDIR", async () => {
      const file = join(root, 'a-file');
      writeFileSync(file, 'x');
      for (const argv of [trainArgs(''), trainArgs(join(file, 'sub')), ['demo', '--out', file], ['demo', '--out', join(file, 'sub')], ['demo', '--out', '']]) {
        const r = await run(argv);
        expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(2);
        expect(r.err).toMatch(/--out (''|\S+): (an empty path|not a folder|\S+ is a regular file, not a folder)/);
        expect(r.err).not.toMatch(/ENOTDIR|ENOENT|EEXIST/);
      }
    });

    it.skipIf(!canMount || !built)('a new --out folder on a read-only file system: exit 1, "read-only file system", not "ENOENT … mkdir"', { timeout: 30_000 }, () => {
      const ro = join(root, 'ro');
      const r = binOnTmpfs(ro, 'ro,size=64k', trainArgs(join(ro, 'new', 'sub'), '--epochs', '1'));
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(`alexnet train: error: --out ${join(ro, 'new', 'sub')}: cannot create the folder ${join(ro, 'new')}: read-only file system (EROFS)`);
    });

    it.skipIf(!canMount || !built)('a full disk: exit 1 naming the file, the previous checkpoints intact', { timeout: 60_000 }, async () => {
      // room for epoch 1's best and last checkpoints, not for a third copy during epoch 2's writes
      const full = join(root, 'full');
      mkdirSync(full);
      const size = `${Math.ceil((2.5 * statSync(join(run1, 'last.safetensors')).size) / 1024)}k`;
      // after the run, in the same namespace: each checkpoint parsed whole (header, sizes, every tensor) and its epoch
      const check = `for (const f of ['best', 'last']) { const r = await (await import(process.env.WF)).readSafetensorsFile(process.env.OUT + '/' + f + '.safetensors'); console.log(f + ': readable, epoch ' + r.metadata.epoch); }`;
      const script =
        `mount -t tmpfs -o size=${size} tmpfs "$OUT" && "$NODE" "$BIN" train --data "$DATA" --val "$VAL" --out "$OUT" ${tiny.join(' ')} --epochs 2 --verbose 0; s=$?; ` +
        '"$NODE" --input-type=module -e "$CHECK"; ls -A "$OUT"; exit $s';
      const weightsFile = pathToFileURL(join(process.cwd(), 'dist/src/node/weights-file.js')).href;
      const env = { ...process.env, NODE: process.execPath, BIN: bin, OUT: full, DATA: set.train, VAL: set.validation, WF: weightsFile, CHECK: check };
      const r = spawnSync('unshare', ['-rm', 'sh', '-c', script], { encoding: 'utf8', env });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/alexnet train: error: \S+\/(best|last)\.safetensors: cannot write the weights file: no space left on the device \(ENOSPC\); the previous file, if any, is unchanged/);
      // epoch 1's checkpoints load; nothing else but its history and the plots' absence
      expect(r.stdout).toContain('best: readable, epoch 1\nlast: readable, epoch 1\n');
      expect(r.stdout.split('\n').filter((f) => f.startsWith('.'))).toEqual([]); // no temporary file, no lock
    });

    it('--batch-size 100000 on 16 images trains on one batch of all of them, as Keras does', { timeout: 30_000 }, async () => {
      const r = await run(trainArgs(join(root, 'huge-batch'), '--epochs', '1', '--batch-size', '100000'));
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^1\/1 \[/m);
    });
  });

  describe('the run folder', () => {
    it('is locked by the run that writes it: a second run fails at once, naming the folder and the process', { timeout: 30_000 }, async () => {
      const out = join(root, 'locked');
      mkdirSync(out);
      const other = spawn('sleep', ['30']);
      try {
        writeFileSync(join(out, LOCK_NAME), `${other.pid}\n${hostname()}\n2024-01-01T00:00:00.000Z\nalexnet train\n0\n`);
        const t = Date.now();
        const r = await run(trainArgs(out, '--epochs', '1'));
        expect(r.code).toBe(2);
        expect(r.err).toContain(`alexnet train: --out ${out}: in use by another run (alexnet train, process ${other.pid}, started 2024-01-01T00:00:00.000Z)`);
        expect(Date.now() - t).toBeLessThan(5000);
        expect(readdirSync(out)).toEqual([LOCK_NAME]);
      } finally {
        other.kill('SIGKILL');
      }
      await new Promise((r) => other.on('exit', r));
      // its process gone (kill -9), the lock is replaced, and removed at the end
      const r = await run(trainArgs(out, '--epochs', '1'));
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`Removed the lock of process ${other.pid}, which no longer runs`);
      expect(existsSync(join(out, LOCK_NAME))).toBe(false);
      expect(readFileSync(join(out, 'history.csv'), 'utf8').match(/^epoch,/gm)).toHaveLength(1);
    });

    it('killed between the checkpoint and history writes, a resumed run keeps that epoch\'s row', { timeout: 30_000 }, async () => {
      const out = copyRun(run1, 'between');
      // what the files look like when the run died after last.safetensors (epoch 2), before the history writes
      const h = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
      const epoch2 = Object.fromEntries(Object.entries(h.history as Record<string, number[]>).map(([k, v]) => [k, v[1]]));
      writeFileSync(join(out, 'history.json'), JSON.stringify({ epoch: [0], history: Object.fromEntries(Object.entries(h.history as Record<string, number[]>).map(([k, v]) => [k, [v[0]]])) }));
      writeFileSync(join(out, 'history.csv'), readFileSync(join(out, 'history.csv'), 'utf8').split('\n').slice(0, 2).join('\n') + '\n');
      const r = await run(trainArgs(out, '--epochs', '3', '--lr', '1e-12', '--resume', join(out, 'last.safetensors')));
      expect(r.code, r.err).toBe(0);
      const after = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
      expect(after.epoch).toEqual([0, 1, 2]);
      expect(after.history.val_accuracy[1]).toBe(epoch2['val_accuracy']);
      expect(after.history.loss[1]).toBe(epoch2['loss']);
      expect(readFileSync(join(out, 'history.csv'), 'utf8').trim().split('\n').map((l) => l.split(',')[0])).toEqual(['epoch', '0', '1', '2']);
    });

    it('after a resume, the summary names the epoch and value best.safetensors holds', { timeout: 30_000 }, async () => {
      const out = copyRun(run1, 'summary');
      // a history that claims a better epoch than the one best.safetensors holds
      const h = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
      h.history.val_accuracy = h.history.val_accuracy.map(() => 0.999);
      writeFileSync(join(out, 'history.json'), JSON.stringify(h));
      const best = await metaOf(join(out, 'best.safetensors'));
      const r = await run(trainArgs(out, '--epochs', '3', '--lr', '1e-12', '--resume', join(out, 'last.safetensors')));
      expect(r.code, r.err).toBe(0);
      const after = await metaOf(join(out, 'best.safetensors'));
      const line = /^Best val_accuracy (\d\.\d{4}) \(epoch (\d+)\)/m.exec(r.out);
      expect(line, r.out).not.toBeNull();
      expect([Number(line![1]), Number(line![2])]).toEqual([Number(Number(after['valAccuracy']).toFixed(4)), Number(after['epoch'])]);
      if (after['epoch'] === best['epoch']) expect(r.out).not.toContain('0.9990');
    });

    it('resuming with a checkpoint of another preset is refused, naming both', { timeout: 30_000 }, async () => {
      const out = copyRun(run1, 'mixed');
      const other = join(root, 'paper-last.safetensors');
      await initDevice();
      try {
        const m = buildModel({ preset: 'paper', numClasses: 2, inputSize: 67, seed: 1, width: 0.125 });
        await checkpointSaver(m, { preset: 'paper', classNames: ['circles', 'stripes'], inputSize: 67, preprocessing: DEFAULT_PREPROCESSING, width: 0.125 })(other, { epoch: 0, logs: {} });
        m.dispose();
      } finally {
        destroyDevice();
      }
      const before = readFileSync(join(out, 'best.safetensors'));
      const r = await run(trainArgs(out, '--epochs', '3', '--resume', other));
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--resume ${other} is a 'paper' model (width 0.125, input 67, classes circles, stripes), but ${join(out, 'best.safetensors')} is a 'keras-bn' model`);
      expect(readFileSync(join(out, 'best.safetensors')).equals(before)).toBe(true);
      expect(readFileSync(join(out, 'history.json'), 'utf8')).toBe(readFileSync(join(run1, 'history.json'), 'utf8'));
    });
  });

  describe.skipIf(!built)('stop signals sent to the bin alone', () => {
    for (const [signal, status] of [['SIGINT', 130], ['SIGHUP', 129]] as const) {
      it(`${signal}: stops after the current step, the checkpoints and history of the last completed epoch agree, exit ${status}`, { timeout: 90_000 }, async () => {
        const out = join(root, `signal-${signal}`);
        const child = spawn(process.execPath, [bin, ...trainArgs(out, '--epochs', '20')], { stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        let err = '';
        child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        try {
          await new Promise<void>((resolve) => {
            child.stdout.on('data', (d: Buffer) => {
              text += d.toString();
              if (/^Epoch 2\/20$/m.test(text)) resolve(); // one epoch completed, the second running
            });
            void exited.then(() => resolve());
          });
          const t = Date.now();
          child.kill(signal); // the bin's pid alone, not its group
          const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 30_000))]);
          expect(code, `${text}\n${err}`).toBe(status);
          expect(Date.now() - t).toBeLessThan(30_000);
        } finally {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }
        expect(text).toMatch(new RegExp(`Stopped by ${signal} after \\d+ completed epoch\\(s\\)`));
        const h = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
        const last = await metaOf(join(out, 'last.safetensors'));
        const best = await metaOf(join(out, 'best.safetensors'));
        expect(Number(last['epoch'])).toBe(h.epoch.length);
        expect(Number(best['epoch'])).toBeLessThanOrEqual(Number(last['epoch']));
        expect(readFileSync(join(out, 'history.csv'), 'utf8').trim().split('\n')).toHaveLength(h.epoch.length + 1);
        expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]); // no temporary file, no lock
        if (signal === 'SIGINT') {
          const again = await run(trainArgs(out, '--epochs', String(h.epoch.length + 1), '--resume', join(out, 'last.safetensors')));
          expect(again.code, again.err).toBe(0);
        }
      });
    }
  });

  describe('file names with terminal escapes and newlines are printed quoted', () => {
    const evil = 'x\u001b[2J\u001b]0;owned\u0007\ny';
    it('predict, a warning and an error', { timeout: 30_000 }, async () => {
      const file = join(root, `${evil}.png`);
      writeFileSync(file, readFileSync(set.testFiles.find((t) => t.file.endsWith('.png'))!.file));
      const p = await run(['predict', join(run1, 'best.safetensors'), file]);
      expect(p.code, p.err).toBe(0);
      expect(p.out).toMatch(/^".*x\\u001b\[2J\\u001b\]0;owned\\u0007\\ny\.png": (circles|stripes) [01]\.\d\d\n$/);
      const missing = await run(['predict', join(run1, 'best.safetensors'), join(root, `${evil}-missing.jpg`)]);
      expect(missing.code).toBe(2);
      // an unreadable image in a data folder: warned about, quoted
      const data = join(root, 'evil-data');
      for (const c of ['circles', 'stripes']) {
        mkdirSync(join(data, c), { recursive: true });
        writeFileSync(join(data, c, 'ok.png'), readFileSync(set.testFiles.find((t) => t.label === c && t.file.endsWith('.png'))?.file ?? set.testFiles[0]!.file));
      }
      writeFileSync(join(data, 'circles', `${evil}.jpg`), 'not a JPEG');
      const e = await run(['evaluate', join(run1, 'best.safetensors'), data]);
      expect(e.code, e.err).toBe(0);
      expect(e.err).toContain('x\\u001b[2J');
      for (const r of [p, missing, e]) {
        expect(r.out + r.err).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
        expect((r.out + r.err).split('\n').filter((l) => l.startsWith('y.'))).toEqual([]); // no forged line
      }
    });
  });
});

describe('a stop signal during the validation pass', () => {
  it('stops it at its next batch: StopOnSignal checks before each validation batch too', () => {
    // fit.test.ts shows that a throw from onTestBatchBegin ends the pass and fit at once
    const listener: { signal: StopSignal | undefined; dispose(): void } = { signal: undefined, dispose() {} };
    const cb = new StopOnSignal(listener);
    expect(() => cb.onTestBatchBegin()).not.toThrow();
    listener.signal = 'SIGTERM';
    expect(() => cb.onTestBatchBegin()).toThrow(StoppedBySignal);
  });
});
