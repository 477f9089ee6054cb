import { describe, expect, it } from 'vitest';
import {
  channelNorm,
  composeAffine,
  imageToChw,
  mixSeed,
  mulberry32,
  randomAffine,
  resizeAffine,
  sampleAffine,
  type AugmentOptions,
  type RgbImage,
} from '../../src/node/data/index.js';

/** Deterministic pseudo-random RGB image. */
function noiseImage(w: number, h: number, seed = 1): RgbImage {
  const rng = mulberry32(seed);
  return { width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rng() * 256)) };
}

/** Float64 bilinear resize written out the way PyTorch does it (align_corners=False), CHW output. */
function referenceResize(img: RgbImage, outH: number, outW: number): Float64Array {
  const out = new Float64Array(3 * outH * outW);
  const axis = (i: number, inSize: number, outSize: number) => {
    const src = Math.max((i + 0.5) * (inSize / outSize) - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    return { i0, i1: Math.min(i0 + 1, inSize - 1), l1: src - i0 };
  };
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < outH; i++) {
      const { i0: y0, i1: y1, l1: ly } = axis(i, img.height, outH);
      for (let j = 0; j < outW; j++) {
        const { i0: x0, i1: x1, l1: lx } = axis(j, img.width, outW);
        const p = (y: number, x: number) => img.data[(y * img.width + x) * 3 + c]!;
        out[(c * outH + i) * outW + j] =
          (1 - ly) * ((1 - lx) * p(y0, x0) + lx * p(y0, x1)) + ly * ((1 - lx) * p(y1, x0) + lx * p(y1, x1));
      }
    }
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('resize', () => {
  it('upsamples a 2x2 image like torch interpolate(bilinear, align_corners=False)', () => {
    const img: RgbImage = { width: 2, height: 2, data: Uint8Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]) };
    const out = imageToChw(img, 4, 4);
    // torch.nn.functional.interpolate(torch.tensor([[[[0., 1.], [2., 3.]]]]), size=4, mode='bilinear')
    const expected = [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3];
    for (let c = 0; c < 3; c++) expect(Array.from(out.subarray(c * 16, c * 16 + 16))).toEqual(expected);
  });

  it.each([
    [37, 23, 8, 11],
    [9, 7, 20, 30],
    [64, 48, 64, 48],
    [7, 5, 3, 11],
  ])('matches a float64 reference for %ix%i -> %ix%i', (w, h, outH, outW) => {
    const img = noiseImage(w, h);
    expect(maxAbsDiff(imageToChw(img, outH, outW), referenceResize(img, outH, outW))).toBeLessThan(1e-4);
  });

  it('center-crop scales the shorter side and keeps the middle', () => {
    // 4 wide x 2 high, column values 10, 20, 30, 40. A 2x2 crop at scale 1 keeps columns 1 and 2.
    const img: RgbImage = { width: 4, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => 10 * (Math.floor(i / 3) % 4) + 10) };
    expect(Array.from(imageToChw(img, 2, 2, { resizeMode: 'center-crop' }).subarray(0, 4))).toEqual([20, 30, 20, 30]);
    // Same as stretching the central 2x2 window.
    const wide = noiseImage(40, 20, 3);
    const centre: RgbImage = { width: 20, height: 20, data: new Uint8Array(20 * 20 * 3) };
    for (let y = 0; y < 20; y++) centre.data.set(wide.data.subarray((y * 40 + 10) * 3, (y * 40 + 30) * 3), y * 60);
    expect(maxAbsDiff(imageToChw(wide, 8, 8, { resizeMode: 'center-crop' }), imageToChw(centre, 8, 8))).toBeLessThan(1e-4);
  });

  it('applies rescale, then mean and std per channel', () => {
    const img: RgbImage = { width: 1, height: 1, data: Uint8Array.from([255, 0, 51]) };
    const out = imageToChw(img, 1, 1, { rescale: 1 / 255, mean: [0.5, 0.5, 0.2], std: [0.5, 0.25, 0.1] });
    expect(Array.from(out).map((v) => +v.toFixed(5))).toEqual([1, -2, 0]);
  });
});

describe('augmentation', () => {
  const sample = (img: RgbImage, o: AugmentOptions | undefined, seed: number, outH = 16, outW = 24) => {
    let m = resizeAffine(img.height, img.width, outH, outW, 'stretch');
    if (o) m = composeAffine(randomAffine(mulberry32(seed), o, img.height, img.width), m);
    const out = new Float32Array(3 * outH * outW);
    sampleAffine(img, m, outH, outW, channelNorm(1), out);
    return out;
  };
  const img = noiseImage(50, 40, 7);
  const all: AugmentOptions = { horizontalFlip: true, rotationRange: 30, shearRange: 10, zoomRange: 0.2, widthShiftRange: 0.1, heightShiftRange: 0.1 };

  it('is a pure function of the seed', () => {
    expect(sample(img, all, 42)).toEqual(sample(img, all, 42));
    expect(maxAbsDiff(sample(img, all, 42), sample(img, all, 43))).toBeGreaterThan(10);
    expect(mixSeed(1, 2, 3)).toBe(mixSeed(1, 2, 3));
    expect(mixSeed(1, 2, 3)).not.toBe(mixSeed(1, 3, 2));
  });

  it('with every range at zero is exactly the plain resize', () => {
    expect(sample(img, { horizontalFlip: false, zoomRange: 0 }, 5)).toEqual(sample(img, undefined, 0));
  });

  it('horizontal flip mirrors the resized image', () => {
    const plain = sample(img, undefined, 0);
    let flips = 0;
    for (let seed = 0; seed < 20; seed++) {
      const out = sample(img, { horizontalFlip: true }, seed);
      const mirrored = new Float32Array(plain.length);
      for (let r = 0; r < 3 * 16; r++) for (let j = 0; j < 24; j++) mirrored[r * 24 + j] = plain[r * 24 + 23 - j]!;
      if (maxAbsDiff(out, mirrored) < 1e-3) flips++;
      else expect(maxAbsDiff(out, plain)).toBeLessThan(1e-3);
    }
    expect(flips).toBeGreaterThan(3);
    expect(flips).toBeLessThan(17);
  });

  it('takes shear in degrees, as Keras does (0.2 is a fraction of one degree)', () => {
    for (let seed = 0; seed < 50; seed++) {
      const [a, b, , d, e] = randomAffine(mulberry32(seed), { shearRange: 0.2 }, 100, 100);
      expect(Math.abs(b)).toBeLessThanOrEqual(Math.sin((0.2 * Math.PI) / 180) + 1e-12);
      expect([a, d + 0]).toEqual([1, 0]); // + 0 turns -0 into 0
      expect(e).toBeGreaterThan(0.99999);
    }
  });

  it('rotates about the centre and zooms (>1 shows more of the image)', () => {
    const [a, b, c, d, e, f] = randomAffine(mulberry32(1), { zoomRange: [2, 2] }, 11, 21);
    expect([a, b + 0, d + 0, e]).toEqual([2, 0, 0, 2]);
    // The centre pixel (5, 10) maps to itself.
    expect([a * 5 + b * 10 + c, d * 5 + e * 10 + f]).toEqual([5, 10]);
    const r = randomAffine(mulberry32(9), { rotationRange: 90 }, 11, 21);
    expect(r[0] * 5 + r[1] * 10 + r[2]).toBeCloseTo(5, 10);
    expect(r[3] * 5 + r[4] * 10 + r[5]).toBeCloseTo(10, 10);
    expect(Math.hypot(r[0], r[3])).toBeCloseTo(1, 12);
  });

  it('shifts by a fraction of the size and fills with the nearest edge pixel', () => {
    // A 1-row ramp shifted right: the left part repeats the edge value.
    const ramp: RgbImage = { width: 10, height: 1, data: Uint8Array.from({ length: 30 }, (_, i) => 20 * Math.floor(i / 3)) };
    let m = randomAffine(() => 0, { widthShiftRange: 0.3 }, 1, 10); // rng 0 -> shift of -0.3 * 10 columns
    const out = new Float32Array(30);
    sampleAffine(ramp, m, 1, 10, channelNorm(1), out);
    expect(Array.from(out.subarray(0, 10))).toEqual([0, 0, 0, 0, 20, 40, 60, 80, 100, 120]);
    m = resizeAffine(1, 10, 1, 10, 'stretch');
    expect(m).toEqual([1, 0, 0, 0, 1, 0]);
  });

  it('rejects nonsense ranges', async () => {
    const { imageDatasetFromFiles } = await import('../../src/node/data/index.js');
    const make = (augment: AugmentOptions) => () => imageDatasetFromFiles(['a.png'], [0], ['a', 'b'], { augment });
    expect(make({ widthShiftRange: 2 })).toThrow(/fraction/);
    expect(make({ zoomRange: 1.5 })).toThrow(/zoomRange/);
    expect(make({ rotationRange: -1 })).toThrow(/rotationRange/);
  });
});
