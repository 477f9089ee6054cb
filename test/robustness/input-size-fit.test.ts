// Issue 14 point 7: an input size whose tensors cannot fit the adapter is refused with the
// figures before any work (exit 2 naming --input-size), from shapes computed without building
// the model; those shapes are checked against built models here so the two cannot drift apart.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { gpu } from '../helpers/gpu.js';
import { alexnet, alexnetTensorShapes, ALEXNET_PRESETS } from '../../src/models/alexnet.js';
import { summary } from '../../src/layers/summary.js';
import { main } from '../../src/node/cli.js';
import type { CliIO } from '../../src/node/commands/common.js';
import { checkInputFits, inputFit } from '../../src/node/commands/input-fit.js';
import { writeSyntheticSet } from '../../src/node/demo.js';

const LAVAPIPE = { maxBufferSize: 2 ** 32 - 1, maxBinding: 2 ** 27 };

describe('alexnetTensorShapes (no GPU)', () => {
  it('the largest tensors of keras-bn at 100000 px are far over any buffer; at 227 they fit', () => {
    const huge = inputFit({ preset: 'keras-bn', inputSize: 100000, numClasses: 2 }, 32, LAVAPIPE);
    expect(huge.largest.bytes).toBeGreaterThan(1e12);
    const ok = inputFit({ preset: 'keras-bn', inputSize: 227, numClasses: 1000 }, 32, LAVAPIPE);
    // fc6: 4096 x 9216 floats; conv1 output: 96 x 55 x 55 per image
    expect(ok.largest).toEqual({ name: 'classifier.0.weight', bytes: 4096 * 9216 * 4 });
    expect(ok.largestImage).toEqual({ name: 'features.0 output', bytes: 96 * 55 * 55 * 4 });
  });
});

describe.skipIf(!gpu)('input sizes against the adapter', () => {
  it('alexnetTensorShapes matches the built model (every weight of rank >= 2, every layer output)', () => {
    const cases = ALEXNET_PRESETS.flatMap((preset) => [
      { preset, inputSize: preset === 'torchvision' ? 63 : 67, width: 1 },
      { preset, inputSize: 99, width: 0.25 },
      { preset, inputSize: 227, width: 0.125 },
    ]);
    for (const c of cases) {
      const m = alexnet({ ...c, numClasses: 3, init: 'none' });
      try {
        const shapes = new Map(alexnetTensorShapes({ ...c, numClasses: 3 }).map((s) => [s.name, s.shape]));
        const weights = m.namedParameters().filter(([, t]) => t.shape.length >= 2);
        for (const [name, t] of weights) expect([c, name, shapes.get(name)]).toEqual([c, name, [...t.shape]]);
        expect(weights.length).toBe([...shapes.keys()].filter((k) => k.endsWith('.weight')).length);
        const rows = summary(m, [1, 3, c.inputSize, c.inputSize]).rows;
        for (const [name, shape] of shapes) {
          if (!name.endsWith(' output')) continue;
          const row = rows.find((r) => r.name === name.slice(0, -' output'.length));
          expect([c, name, row?.outputShape]).toEqual([c, name, shape]);
        }
      } finally {
        m.dispose();
      }
    }
  });

  it('a feature map over one storage binding is refused, naming the limit (forced small limit)', () => {
    const d = gpu!;
    d.setBindingLimitForTesting(2 ** 20);
    try {
      // conv1 output of one 227-px image: 96 x 55 x 55 floats = 1.11 MiB
      expect(() => checkInputFits(d, { preset: 'keras-bn', inputSize: 227, numClasses: 2 }, 1)).toThrow(
        /--input-size 227 is too large for this adapter .*features\.0 output would take 1161600 bytes .* maxStorageBufferBindingSize 1048576 bytes \(1\.0 MiB\); at most 218 fits with these options$/,
      );
      // 218: conv1 output 96 x 52 x 52 floats (1,038,336 bytes) plus one alignment unit fit; 219 does not
      expect(() => checkInputFits(d, { preset: 'keras-bn', inputSize: 218, numClasses: 2 }, 1)).not.toThrow();
      expect(() => checkInputFits(d, { preset: 'keras-bn', inputSize: 219, numClasses: 2 }, 1)).toThrow(/at most 218 fits/);
    } finally {
      d.setBindingLimitForTesting(0);
    }
  });

  describe('the CLI', () => {
    const root = mkdtempSync(join(tmpdir(), 'alexnet-input-fit-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    async function run(argv: string[]) {
      const io: CliIO & { out: string; err: string } = {
        out: '',
        err: '',
        isTTY: false,
        stdout: (s: string) => void (io.out += s),
        stderr: (s: string) => void (io.err += s),
      };
      const code = await main(argv, io);
      return { code, out: io.out, err: io.err };
    }

    it('summary --input-size 100000: exit 2 with the figure, nothing else printed', async () => {
      const r = await run(['summary', '--model', 'keras-bn', '--input-size', '100000']);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/--input-size 100000 is too large for this adapter .* would take \d+ bytes \(\d+ MiB\).*maxBufferSize \d+ bytes/);
      expect(r.err).toMatch(/; at most 10\d\d fits with these options\n/);
      expect(r.err.split('\n').length).toBeLessThan(6);
    });

    it('train --input-size 100000: exit 2 before the run folder is written', async () => {
      const set = writeSyntheticSet(join(root, 'data'), { size: 24, perClass: { train: 2, validation: 2, test: 0 }, seed: 2 });
      const out = join(root, 'run');
      const r = await run(['train', '--data', set.train, '--val', set.validation, '--out', out, '--model', 'keras-bn', '--input-size', '100000', '--epochs', '1', '--workers', '0']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--input-size 100000 is too large for this adapter/);
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    });
  });
});
