// The JPEG kinds a photo folder holds beyond jpeg-js's own output — progressive, greyscale
// (baseline and progressive), Adobe CMYK — from small committed files written by libjpeg
// (test/fixtures/jpeg/, scripts/fixtures/jpeg.py), each against libjpeg's own decoding of it, so
// that a fresh clone tests them without the photo set in ../shared.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeImage, jpegInfo, type RgbImage } from '../../src/node/data/index.js';

const DIR = fileURLToPath(new URL('../fixtures/jpeg/', import.meta.url));

/** max and mean |a - b| over every channel of every pixel */
function diff(a: RgbImage, b: RgbImage): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.data.length };
}

/** The spread of an image's values: a decoder that returns a flat or black image fails it. */
function spread(img: RgbImage): number {
  let lo = 255;
  let hi = 0;
  for (const v of img.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi - lo;
}

const CASES = [
  // tolerances: IDCT and colour conversion rounding (measured max 3, 1, 1, 2; means 0.53, 0.06,
  // 0.06, 0.31). The colour one is 4:4:4, as libjpeg's interpolating chroma upsampling would
  // differ by up to 75 at the disc's edge.
  { name: 'progressive', progressive: true, components: 3, max: 4, mean: 1 },
  { name: 'grey', progressive: false, components: 1, max: 2, mean: 0.2 },
  { name: 'grey-progressive', progressive: true, components: 1, max: 2, mean: 0.2 },
  { name: 'cmyk', progressive: false, components: 4, max: 3, mean: 0.5 },
] as const;

describe('decodeImage: JPEG kinds from libjpeg, against libjpeg', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.progressive ? 'progressive' : 'baseline'}, ${c.components} component(s), the size its header says, libjpeg's pixels`, () => {
      const bytes = readFileSync(DIR + `${c.name}.jpg`);
      const info = jpegInfo(bytes)!;
      expect(info.progressive).toBe(c.progressive);
      expect(info.componentIds.length).toBe(c.components);
      if (c.components === 4) expect(info.adobeTransform).toBe(0);
      const img = decodeImage(bytes, `${c.name}.jpg`);
      const ref = decodeImage(readFileSync(DIR + `${c.name}.png`), `${c.name}.png`);
      expect([img.width, img.height]).toEqual([info.width, info.height]);
      expect([img.width, img.height]).toEqual([ref.width, ref.height]);
      expect(spread(ref)).toBeGreaterThan(100);
      if (c.components === 1) {
        for (let i = 0; i < img.data.length; i += 3) {
          if (img.data[i] !== img.data[i + 1] || img.data[i] !== img.data[i + 2]) throw new Error(`${c.name}: not grey at pixel ${i / 3}`);
        }
      }
      const d = diff(img, ref);
      console.log(`${c.name}.jpg: ${img.width}x${img.height}, |ours - libjpeg| max ${d.max}, mean ${d.mean.toFixed(3)}`);
      expect(d.max).toBeLessThanOrEqual(c.max);
      expect(d.mean).toBeLessThanOrEqual(c.mean);
    });
  }
});
