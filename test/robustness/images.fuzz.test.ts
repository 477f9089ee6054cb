// Fuzz: seeded mutations of real JPEG and PNG files (bits flipped, truncated, frame/IHDR sizes
// rewritten, segments inserted), each decoded with decodeImage. Acceptable: an image of exactly
// the size its header says (JPEG: the frame header; PNG: IHDR), RGB, or an ImageDecodeError
// naming the file. A header that claims more than the documented limits (docs/data.md: 25 MP
// for JPEG, 40 MP for PNG) is refused from the header, with that reason, before any decoding.
// No crash, no memory growth beyond a bound.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

import { decodeImage, ImageDecodeError, jpegInfo } from '../../src/node/data/index.js';
import { JPEG_MAX_MEGAPIXELS, PNG_MAX_MEGAPIXELS } from '../../src/node/data/decode.js';
import { badError, FUZZ_SEED, fuzzCases, fuzzTimeout, replay, reportFuzzCases, Rng } from './fuzz.js';

const NAME = 'fuzzed-image';
const LONG = fuzzCases(1) > 1;

function baseImages(): Uint8Array[] {
  const w = 40;
  const h = 30;
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([(i * 7) & 255, (i * 3) & 255, (i * 11) & 255, 255], i * 4);
  const png = new PNG({ width: w, height: h });
  png.data.set(rgba);
  return [new Uint8Array(jpeg.encode({ data: rgba, width: w, height: h }, 80).data), new Uint8Array(PNG.sync.write(png))];
}

/** Offset of the first JPEG SOF marker's segment, or of PNG's IHDR width. */
function sizeFieldOffset(b: Uint8Array): number {
  if (b[0] === 0x89) return 16;
  for (let i = 2; i + 9 < b.length; i++) if (b[i] === 0xff && b[i + 1]! >= 0xc0 && b[i + 1]! <= 0xc2) return i + 5;
  return -1;
}

/** The size a file's header claims: JPEG's first frame header, PNG's IHDR (null: none readable). */
function headerSize(b: Uint8Array): { width: number; height: number; format: 'JPEG' | 'PNG' } | null {
  if (b[0] === 0xff) {
    const info = jpegInfo(b);
    return info ? { width: info.width, height: info.height, format: 'JPEG' } : null;
  }
  if (b.length < 24) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20), format: 'PNG' };
}

/** `sizeOnly`: only the header's size changed, so a size over the limits is the one reason to refuse it. */
type Mutation = (r: Rng, b: Uint8Array) => { what: string; bytes: Uint8Array; sizeOnly?: boolean };
const MUTATIONS: Mutation[] = [
  (r, b) => {
    const c = b.slice();
    const n = r.int(1, 8);
    for (let i = 0; i < n; i++) c[r.chance(0.6) ? r.int(0, Math.min(c.length - 1, 700)) : r.int(0, c.length - 1)] ^= 1 << r.int(0, 7);
    return { what: `${n} bit(s) flipped`, bytes: c };
  },
  (r, b) => {
    const n = r.int(0, b.length - 1);
    return { what: `truncated to ${n}`, bytes: b.subarray(0, n) };
  },
  (r, b) => {
    const c = b.slice();
    const o = sizeFieldOffset(c);
    const v = new DataView(c.buffer);
    // sizes: zero, tiny, ordinary, over the limits; the longer run also claims up to 24 MP (slow to fail)
    const side = () => r.pick(LONG ? [0, 1, 7, 640, 4000, 6000, 9000, 65535] : [0, 1, 7, 640, 9000, 65535]);
    const [w, h] = [side(), side()];
    if (c[0] === 0x89) {
      v.setUint32(o, r.chance(0.2) ? 2 ** 31 : w);
      v.setUint32(o + 4, h);
    } else {
      v.setUint16(o, h);
      v.setUint16(o + 2, w);
    }
    return { what: `size ${w}x${h}`, bytes: c, sizeOnly: true };
  },
  (r, b) => {
    // a random segment/chunk-like blob inserted after the signature
    const junk = Uint8Array.from({ length: r.int(1, 64) }, () => r.int(0, 255));
    if (r.chance(0.5)) junk[0] = 0xff;
    const at = r.int(2, Math.min(b.length, 200));
    const c = new Uint8Array(b.length + junk.length);
    c.set(b.subarray(0, at));
    c.set(junk, at);
    c.set(b.subarray(at), at + junk.length);
    return { what: `${junk.length} bytes inserted at ${at}`, bytes: c };
  },
];

describe('fuzz: image mutations decode or fail naming the file', () => {
  const n = fuzzCases(1000);
  it(`${n} seeded mutations of a JPEG and a PNG (seed ${FUZZ_SEED}): the header's size, or refused naming the file`, { timeout: fuzzTimeout(600_000) }, () => {
    const r = new Rng(FUZZ_SEED ^ 0x1a6e);
    const bases = baseImages();
    for (const b of bases) expect(decodeImage(b, NAME).width).toBe(40);
    const rssBefore = process.memoryUsage().rss;
    const problems: string[] = [];
    const outcomes = { decoded: 0, refused: 0, tooLarge: 0, bySize: 0 };
    for (let i = 0; i < n; i++) {
      const { what, bytes, sizeOnly } = r.pick(MUTATIONS)(r, r.pick(bases));
      const claimed = headerSize(bytes);
      const limit = claimed?.format === 'PNG' ? PNG_MAX_MEGAPIXELS : JPEG_MAX_MEGAPIXELS;
      const tooLarge = claimed !== null && (claimed.width * claimed.height) / 1e6 > limit;
      if (tooLarge) outcomes.tooLarge++;
      if (tooLarge && sizeOnly) outcomes.bySize++;
      try {
        const img = decodeImage(bytes, NAME);
        outcomes.decoded++;
        if (!claimed) problems.push(`case ${i} (${what}): decoded ${img.width}x${img.height} from a file whose header names no size`);
        else if (img.width !== claimed.width || img.height !== claimed.height) problems.push(`case ${i} (${what}): decoded ${img.width}x${img.height}, the header says ${claimed.width}x${claimed.height}`);
        if (img.data.length !== img.width * img.height * 3) problems.push(`case ${i} (${what}): ${img.width}x${img.height} with ${img.data.length} bytes`);
        if (tooLarge) problems.push(`case ${i} (${what}): decoded, though its header claims more than ${limit} MP`);
      } catch (e) {
        outcomes.refused++;
        const bad = badError(e, NAME) ?? (e instanceof ImageDecodeError ? null : `not an ImageDecodeError: ${(e as Error).message}`);
        if (bad) problems.push(`case ${i} (${what}): ${bad}`);
        // refused from the header, by the documented limit, not by running out of memory in the decoder
        else if (tooLarge && sizeOnly && !new RegExp(`exceeds the ${limit} MP this loader decodes`).test((e as Error).message)) {
          problems.push(`case ${i} (${what}): a header over ${limit} MP refused for another reason: ${(e as Error).message}`);
        }
      }
    }
    reportFuzzCases('images', n);
    console.log(`images fuzz: ${n} cases, ${outcomes.decoded} decoded, ${outcomes.refused} refused (${outcomes.tooLarge} claimed too many pixels) (seed ${FUZZ_SEED})`);
    expect(problems, replay('test/robustness/images.fuzz.test.ts')).toEqual([]);
    expect(outcomes.decoded).toBeGreaterThan(n / 20);
    expect(outcomes.bySize).toBeGreaterThan(0);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(1024 * 2 ** 20);
  });
});
