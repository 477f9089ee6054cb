import { describe, expect, it } from 'vitest';
import {
  cropResizeAffine,
  mulberry32,
  preprocessImage,
  randomCropBox,
  resizeAffine,
  sampleAffine,
  channelNorm,
  type RgbImage,
} from '../../src/data/index.js';
import { checkAugmentOptions } from '../../src/data/augment.js';

function noiseImage(w: number, h: number, seed = 1): RgbImage {
  const rng = mulberry32(seed);
  return { width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rng() * 256)) };
}

/** The sub-image rows top..top+h, cols left..left+w. */
function cropOf(img: RgbImage, top: number, left: number, h: number, w: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < h; i++) data.set(img.data.subarray(((top + i) * img.width + left) * 3, ((top + i) * img.width + left + w) * 3), i * w * 3);
  return { width: w, height: h, data };
}

describe('randomCropBox (torchvision RandomResizedCrop.get_params)', () => {
  it('stays inside the image, within the scale and ratio ranges (up to rounding)', () => {
    const rng = mulberry32(7);
    const [h, w] = [374, 500];
    const scale = [0.35, 1] as const;
    const ratio = [3 / 4, 4 / 3] as const;
    let fractionSum = 0;
    for (let k = 0; k < 2000; k++) {
      const [top, left, ch, cw] = randomCropBox(rng, { scale, ratio }, h, w);
      expect(top).toBeGreaterThanOrEqual(0);
      expect(left).toBeGreaterThanOrEqual(0);
      expect(top + ch).toBeLessThanOrEqual(h);
      expect(left + cw).toBeLessThanOrEqual(w);
      const frac = (ch * cw) / (h * w);
      fractionSum += frac;
      // rounding each side by up to 1/2 pixel moves the area by about (ch + cw)/2
      const slack = (ch + cw) / (h * w);
      const isFallback = frac > scale[1] + slack;
      if (!isFallback) {
        expect(frac).toBeGreaterThanOrEqual(scale[0] - slack);
        expect(cw / ch).toBeGreaterThanOrEqual(ratio[0] * (1 - 2 / Math.min(ch, cw)));
        expect(cw / ch).toBeLessThanOrEqual(ratio[1] * (1 + 2 / Math.min(ch, cw)));
      }
    }
    // most draws succeed; their mean area fraction is below the mean of the range (large crops fail more often)
    expect(fractionSum / 2000).toBeGreaterThan(0.45);
    expect(fractionSum / 2000).toBeLessThan(0.7);
  });

  it('falls back to a centred crop clamped to the ratio range when no draw fits', () => {
    // a 10 x 100 strip cannot hold a square of 90% of its area: every try fails
    expect(randomCropBox(mulberry32(1), { scale: [0.9, 1], ratio: [1, 1] }, 10, 100)).toEqual([0, 45, 10, 10]);
    expect(randomCropBox(mulberry32(1), { scale: [0.9, 1], ratio: [1, 1] }, 100, 10)).toEqual([45, 0, 10, 10]);
  });

  it('is a function of the seed', () => {
    const a = randomCropBox(mulberry32(3), { scale: [0.2, 1] }, 200, 300);
    const b = randomCropBox(mulberry32(3), { scale: [0.2, 1] }, 200, 300);
    expect(a).toEqual(b);
  });

  it('rejects nonsense ranges', () => {
    expect(() => checkAugmentOptions({ randomResizedCrop: { scale: [0.5, 0.2] } })).toThrow(/scale/);
    expect(() => checkAugmentOptions({ randomResizedCrop: { scale: [0.5, 1.5] } })).toThrow(/scale/);
    expect(() => checkAugmentOptions({ randomResizedCrop: { ratio: [0, 1] } })).toThrow(/ratio/);
  });
});

describe('cropResizeAffine', () => {
  it('samples exactly what resizing the cut-out sub-image gives', () => {
    const img = noiseImage(61, 47, 5);
    const box = [9, 13, 30, 41] as const;
    const norm = channelNorm(1);
    const viaCrop = new Float32Array(3 * 20 * 24);
    sampleAffine(img, cropResizeAffine(box, 20, 24), 20, 24, norm, viaCrop);
    const sub = cropOf(img, ...box);
    const reference = new Float32Array(3 * 20 * 24);
    sampleAffine(sub, resizeAffine(sub.height, sub.width, 20, 24, 'stretch'), 20, 24, norm, reference);
    for (let i = 0; i < reference.length; i++) expect(viaCrop[i]).toBeCloseTo(reference[i]!, 3);
  });
});

describe('preprocessImage with randomResizedCrop', () => {
  const img = noiseImage(80, 60, 9);
  const config = { imageSize: [16, 16] as const, resizeMode: 'stretch' as const, rescale: 1 / 255, seed: 4, augment: { randomResizedCrop: { scale: [0.3, 1] as const } } };
  const run = (epoch: number, index: number) => {
    const out = new Float32Array(3 * 16 * 16).fill(NaN);
    preprocessImage(img, config, epoch, index, out, 0);
    return out;
  };

  it('writes every value, the same for the same (seed, epoch, index), differently otherwise', () => {
    const a = run(0, 3);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(run(0, 3)).toEqual(a);
    expect(run(1, 3)).not.toEqual(a);
    expect(run(0, 4)).not.toEqual(a);
  });

  it('leaves the affine draws as they were (the crop has its own stream)', () => {
    const flipOnly = { ...config, augment: { horizontalFlip: true } };
    const both = { ...config, augment: { horizontalFlip: true, randomResizedCrop: { scale: [1, 1] as const, ratio: [80 / 60, 80 / 60] as const } } };
    // scale 1 at the image's own ratio is the whole image: the same as the plain resize
    for (let index = 0; index < 6; index++) {
      const a = new Float32Array(3 * 256);
      const b = new Float32Array(3 * 256);
      preprocessImage(img, flipOnly, 0, index, a, 0);
      preprocessImage(img, both, 0, index, b, 0);
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
    }
  });
});
