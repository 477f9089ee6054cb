// scripts/cats-vs-dogs.sh end to end on a tiny generated folder with its real flags (only the
// number of epochs is cut), so a flag that the CLI stops accepting fails here, not an hour into
// the full run. Needs the build (dist/) and a WebGPU adapter.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { gpu } from '../helpers/gpu.js';
import { writeSyntheticSet } from '../../src/node/demo.js';

const repo = process.cwd(); // vitest runs from the repository root
const built = existsSync(join(repo, 'dist/src/node/bin/alexnet.js'));
const root = mkdtempSync(join(tmpdir(), 'alexnet-cvd-script-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function script(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('bash', [join(repo, 'scripts/cats-vs-dogs.sh'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('scripts/cats-vs-dogs.sh', () => {
  it('refuses a folder without train/ and validation/ (exit 2, naming the folder)', () => {
    const r = script([join(root, 'nowhere'), join(root, 'out-none')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no folder .*nowhere\/train \(expected DATA_DIR\/train and DATA_DIR\/validation\)/);
  });

  it.skipIf(!gpu || !built)('trains with the recipe, keeps the best checkpoint and evaluates it, with and without --tta', () => {
    const set = writeSyntheticSet(join(root, 'data'), { size: 48, perClass: { train: 8, validation: 4, test: 1 }, seed: 7 });
    const data = join(set.train, '..');
    const out = join(root, 'out');
    const r = script([data, out], { EPOCHS: '4' });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Recipe: weight decay 0.0005 \(weights only\), label smoothing 0.1, cosine schedule, warm-up 3 epochs, EMA 0.998/);
    expect(r.out).toMatch(/Epoch 4\/4/);
    expect(existsSync(join(out, 'best.safetensors'))).toBe(true);
    expect(r.out).toMatch(/8 images, each averaged with its mirror \(--tta\)\nloss: \d\.\d{4} - accuracy: \d\.\d{4}/);
    expect(r.out).toMatch(/Best checkpoint on .*:\n8 images\nloss: \d\.\d{4} - accuracy: \d\.\d{4}/);
  });
});
