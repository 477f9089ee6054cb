// The browser edge's data set, run in Node on images decoded by Node's decoder: labelled,
// split, shuffled and augmented exactly as Node's imageDataset does with the same seed (the
// only browser-specific step is decoding). Plus the pure helpers of src/web.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSyntheticSet } from '../../src/node/demo.js';
import { imageDataset } from '../../src/node/data/dataset.js';
import { decodeImage } from '../../src/node/data/decode.js';
import { labelFiles, WebImageDataset } from '../../src/web/dataset.js';
import { rgbaToRgb } from '../../src/web/decode.js';
import { browserOf, webgpuAdvice } from '../../src/web/device.js';

const AUGMENT = { rotationRange: 40, widthShiftRange: 0.2, heightShiftRange: 0.2, shearRange: 0.2, zoomRange: 0.2, horizontalFlip: true };

async function collect(ds: { batches(b: number, o: { epoch: number }): AsyncIterable<{ x: Float32Array; y: Int32Array }> }, epoch: number) {
  const xs: number[] = [];
  const ys: number[] = [];
  for await (const b of ds.batches(5, { epoch })) {
    xs.push(...b.x);
    ys.push(...b.y);
  }
  return { x: Float32Array.from(xs), y: ys };
}

describe('WebImageDataset', () => {
  it("gives Node's imageDataset samples, labels and split for the same seed (augmented, two epochs)", async () => {
    const root = mkdtempSync(join(tmpdir(), 'webds-'));
    const set = writeSyntheticSet(root, { size: 24, perClass: { train: 7, validation: 0, test: 0 }, seed: 5, jpegFraction: 0.5 });
    const opts = { imageSize: [19, 21] as const, seed: 11, rescale: 1 / 255, resizeMode: 'stretch' as const };
    const node = imageDataset(set.train, { ...opts, augment: AUGMENT, validationSplit: 0.3, workers: 0 });

    const files = readdirSync(set.train).flatMap((cls) => readdirSync(join(set.train, cls)).map((f) => ({ file: new Blob([]), path: `train/${cls}/${f}` })));
    const labelled = labelFiles([...files].reverse()); // order of the picked files does not matter
    expect(labelled.classNames).toEqual(['circles', 'stripes']);
    const images = labelled.files.map((f) => decodeImage(readFileSync(join(set.root, f.path)), f.path));
    const web = new WebImageDataset(images, labelled.labels, labelled.classNames, { ...opts, augment: AUGMENT }).split(0.3);

    for (const part of ['train', 'validation'] as const) {
      expect(web[part].length).toBe(node[part].length);
      for (const epoch of [0, 1]) {
        const a = await collect(node[part], epoch);
        const b = await collect(web[part], epoch);
        expect(b.y).toEqual(a.y);
        expect(b.x.length).toBe(a.x.length);
        let worst = 0;
        for (let i = 0; i < a.x.length; i++) worst = Math.max(worst, Math.abs(a.x[i]! - b.x[i]!));
        expect(worst, `${part} epoch ${epoch}`).toBe(0);
      }
    }
  });

  it('labelFiles: class = the folder holding the image; non-images, hidden files and loose files are left out; fewer than 2 classes is an error', () => {
    const f = (path: string) => ({ file: new Blob([]), path });
    const l = labelFiles([f('pets/dogs/b.jpg'), f('pets/cats/a.PNG'), f('pets/readme.txt'), f('pets/.git/x.png'), f('loose.png'), f('pets/cats/._c.jpg')]);
    expect(l.classNames).toEqual(['cats', 'dogs']);
    expect(l.files.map((x) => x.path)).toEqual(['pets/cats/a.PNG', 'pets/dogs/b.jpg']);
    expect([...l.labels]).toEqual([0, 1]);
    expect(l.ignored.sort()).toEqual(['loose.png', 'pets/.git/x.png', 'pets/cats/._c.jpg', 'pets/readme.txt']);
    expect(() => labelFiles([f('cats/a.png'), f('cats/b.png')])).toThrow(/1 class folder\(s\) \(cats\).*at least 2 classes/);
  });

  it('checks its inputs before any work', () => {
    expect(() => new WebImageDataset([null], new Int32Array(2), ['a', 'b'], { imageSize: [4, 4] })).toThrow(/1 images but 2 labels/);
    expect(() => new WebImageDataset([], new Int32Array(0), ['a', 'b'], { imageSize: [0, 4] })).toThrow(/imageSize must be two positive integers/);
    const one = new WebImageDataset([{ width: 1, height: 1, data: new Uint8Array(3) }], new Int32Array(1), ['a', 'b'], { imageSize: [2, 2] });
    expect(() => one.split(0.5)).toThrow(/leaves one side empty/);
  });
});

describe('web edge helpers', () => {
  it('rgbaToRgb drops alpha and checks the size', () => {
    const img = rgbaToRgb(Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 0]), 2, 1);
    expect([...img.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => rgbaToRgb(new Uint8Array(7), 2, 1)).toThrow(/7 bytes for a 2x1 RGBA image, expected 8/);
  });

  it('names the flag or pref for each browser', () => {
    expect(browserOf('Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0')).toBe('firefox');
    expect(browserOf('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36')).toBe('chromium');
    expect(browserOf('Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15')).toBe('safari');
    expect(webgpuAdvice('firefox', 'no-api')).toMatch(/dom\.webgpu\.enabled/);
    expect(webgpuAdvice('firefox', 'no-adapter')).toMatch(/gfx\.webgpu\.ignore-blocklist/);
    expect(webgpuAdvice('chromium', 'no-adapter')).toMatch(/--enable-unsafe-webgpu/);
  });
});
