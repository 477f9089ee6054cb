// The demo's synthetic image set: deterministic, decodable, the layout the CLI expects; and the
// demo command's verdict: a model that did not learn is an error (exit status 1), so CI's
// `alexnet demo` run catches a broken backward pass or optimizer.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { exitStatusOf } from '../../src/node/commands/exit-status.js';
import { checkImageFolder } from '../../src/node/commands/images.js';
import { decodeImage } from '../../src/node/data/index.js';
import { demoCommand, DEMO_MIN_VAL_ACCURACY, drawSynthetic, SYNTHETIC_CLASSES, writeSyntheticSet, type DemoOptions, type DemoResult } from '../../src/node/demo.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-demo-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('synthetic two-class image set', () => {
  it('writes train/validation/test class folders of PNG and JPEG files, the same for the same seed', () => {
    const perClass = { train: 3, validation: 2, test: 1 };
    const a = writeSyntheticSet(join(root, 'a'), { size: 24, perClass, seed: 5 });
    const b = writeSyntheticSet(join(root, 'b'), { size: 24, perClass, seed: 5 });
    for (const split of ['train', 'validation', 'test'] as const) {
      expect(checkImageFolder(a[split], split)).toEqual([...SYNTHETIC_CLASSES]);
      for (const c of SYNTHETIC_CLASSES) {
        const files = readdirSync(join(a[split], c)).sort();
        expect(files).toHaveLength(perClass[split]);
        expect(readdirSync(join(b[split], c)).sort()).toEqual(files);
        for (const f of files) {
          const bytes = readFileSync(join(a[split], c, f));
          expect(bytes.equals(readFileSync(join(b[split], c, f)))).toBe(true);
          const img = decodeImage(bytes, f);
          expect([img.width, img.height]).toEqual([24, 24]);
        }
      }
    }
    expect(a.testFiles.map((t) => t.label)).toEqual(['circles', 'stripes']);
    const extensions = new Set(readdirSync(join(a.train, 'circles')).concat(readdirSync(join(a.train, 'stripes'))).map((f) => f.split('.').pop()));
    expect(extensions).toEqual(new Set(['png', 'jpg']));
  });

  it('draws different images for different seeds', () => {
    expect(Buffer.from(drawSynthetic(0, 16, 1)).equals(Buffer.from(drawSynthetic(0, 16, 2)))).toBe(false);
    expect(Buffer.from(drawSynthetic(1, 16, 1)).equals(Buffer.from(drawSynthetic(1, 16, 1)))).toBe(true);
  });
});

describe('alexnet demo: the verdict', () => {
  const io = { stdout: () => {}, stderr: () => {}, isTTY: false };
  /** a demo job that "trained" to this accuracy, recording the options it was given */
  const job = (bestValAccuracy: number, seen: DemoOptions[] = []) => async (_io: unknown, o: DemoOptions = {}): Promise<DemoResult> => {
    seen.push(o);
    return { bestValAccuracy, testAccuracy: bestValAccuracy, seconds: 1, out: join(root, 'demo-out'), predictions: [] };
  };

  it('exits 0 when the model learned (best validation accuracy above 0.85), with the parsed options', async () => {
    const seen: DemoOptions[] = [];
    expect(await demoCommand(['--epochs', '3', '--seed', '9'], { io, autotune: false }, job(0.99, seen))).toBe(0);
    expect(seen).toEqual([{ out: undefined, epochs: 3, seed: 9 }]);
    expect(DEMO_MIN_VAL_ACCURACY).toBe(0.85);
  });

  for (const acc of [0.5, 0.85, Number.NaN]) {
    it(`fails with exit status 1 naming the accuracy and the outputs when it did not (${acc})`, async () => {
      const err = await demoCommand([], { io, autotune: false }, job(acc)).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(new RegExp(`^the model did not learn: best validation accuracy ${Number.isNaN(acc) ? 'nan' : acc.toFixed(4)}, expected above 0\\.85 \\(outputs in .*demo-out\\)$`));
      expect(exitStatusOf(err)).toBe(1);
    });
  }
});
