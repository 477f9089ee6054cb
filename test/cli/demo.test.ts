// The demo's synthetic image set: deterministic, decodable, the layout the CLI expects.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { checkImageFolder } from '../../src/node/commands/images.js';
import { decodeImage } from '../../src/node/data/index.js';
import { drawSynthetic, SYNTHETIC_CLASSES, writeSyntheticSet } from '../../src/node/demo.js';

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
