import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { deflateSync, crc32 } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage, ImageDecodeError, jpegInfo, type RgbImage } from '../../src/node/data/index.js';

const SHARED = fileURLToPath(new URL('../../../shared/data/cats-vs-dogs/', import.meta.url));
const hasShared = existsSync(SHARED);

function pixel(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

function expectColour(actual: number[], expected: number[], tol: number): void {
  actual.forEach((v, c) => expect(Math.abs(v - expected[c]!), `channel ${c}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol));
}

/** 32x32 RGBA image with four solid quadrants. */
const QUADS = [
  [220, 30, 40],
  [30, 200, 60],
  [40, 50, 210],
  [250, 250, 250],
];
function quadrantRgba(size = 32): Buffer {
  const data = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const q = QUADS[(y < size / 2 ? 0 : 2) + (x < size / 2 ? 0 : 1)]!;
      data.set([...q, 255], (y * size + x) * 4);
    }
  }
  return data;
}
function expectQuadrants(img: RgbImage, tol: number): void {
  expect([img.width, img.height]).toEqual([32, 32]);
  expectColour(pixel(img, 8, 8), QUADS[0]!, tol);
  expectColour(pixel(img, 24, 8), QUADS[1]!, tol);
  expectColour(pixel(img, 8, 24), QUADS[2]!, tol);
  expectColour(pixel(img, 24, 24), QUADS[3]!, tol);
}

/**
 * A minimal baseline JPEG of one solid colour, for the component layouts jpeg-js cannot encode
 * (grey, CMYK, YCCK, RGB). Quantisation is all ones and only DC coefficients are coded, so each
 * component decodes to its given value exactly (up to IDCT rounding).
 */
function solidJpeg(w: number, h: number, values: number[], opts: { adobe?: number; ids?: number[] } = {}): Uint8Array {
  const n = values.length;
  const ids = opts.ids ?? values.map((_, i) => i + 1);
  const bytes: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]) => bytes.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body);
  if (opts.adobe !== undefined) segment(0xee, [...Buffer.from('Adobe'), 0, 100, 0, 0, 0, 0, opts.adobe]);
  segment(0xdb, [0, ...new Array<number>(64).fill(1)]);
  segment(0xc0, [8, h >> 8, h & 255, w >> 8, w & 255, n, ...ids.flatMap((id) => [id, 0x11, 0])]);
  // DC table: categories 0..11, all 4-bit codes, so code == category. AC table: only EOB, code '0'.
  segment(0xc4, [0x00, 0, 0, 0, 12, ...new Array<number>(12).fill(0), ...Array.from({ length: 12 }, (_, i) => i)]);
  segment(0xc4, [0x10, 1, ...new Array<number>(15).fill(0), 0x00]);
  segment(0xda, [n, ...ids.flatMap((id) => [id, 0x00]), 0, 63, 0]);
  let acc = 0;
  let nbits = 0;
  const put = (value: number, len: number) => {
    for (let i = len - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++nbits === 8) {
        bytes.push(acc);
        if (acc === 0xff) bytes.push(0); // byte stuffing
        acc = nbits = 0;
      }
    }
  };
  const blocks = Math.ceil(w / 8) * Math.ceil(h / 8);
  for (let b = 0; b < blocks; b++) {
    for (const v of values) {
      const diff = b === 0 ? 8 * (v - 128) : 0; // DC of a flat block is 8 x the level-shifted value
      const cat = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      put(cat, 4);
      if (cat > 0) put(diff > 0 ? diff : diff + (1 << cat) - 1, cat);
      put(0, 1); // EOB
    }
  }
  if (nbits > 0) put(0xff, 8 - nbits);
  bytes.push(0xff, 0xd9);
  return Uint8Array.from(bytes);
}

/** libjpeg's YCbCr -> RGB (JFIF). */
function ycc(y: number, cb: number, cr: number): number[] {
  return [y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128), y + 1.772 * (cb - 128)];
}

function pngChunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** Palette PNG (pngjs cannot write one): 2x1 pixels, index 0 red (half transparent), index 1 teal. */
function palettePng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr.set([8, 3, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('PLTE', Uint8Array.from([200, 10, 20, 0, 128, 128])),
    pngChunk('tRNS', Uint8Array.from([128])),
    pngChunk('IDAT', deflateSync(Uint8Array.from([0, 0, 1]))),
    pngChunk('IEND', new Uint8Array()),
  ]);
}

describe('decodeImage: JPEG', () => {
  it('decodes a jpeg-js baseline 4:2:0 JPEG to the right colours', () => {
    const bytes = jpeg.encode({ width: 32, height: 32, data: quadrantRgba() }, 95).data;
    expectQuadrants(decodeImage(bytes, 'q.jpg'), 6);
  });

  it('decodes 1-component (grey) JPEGs to R=G=B', () => {
    const img = decodeImage(solidJpeg(16, 8, [77]), 'grey.jpg');
    expect([img.width, img.height]).toEqual([16, 8]);
    expectColour(pixel(img, 9, 3), [77, 77, 77], 1);
  });

  it('decodes Adobe inverted CMYK (transform=0, as Photoshop/Pillow write it)', () => {
    // Stored values are 255 - C etc.; R = 255 (1 - C)(1 - K) = stored_C * stored_K / 255.
    const stored = [204, 128, 26, 230];
    const img = decodeImage(solidJpeg(8, 8, stored, { adobe: 0 }), 'cmyk.jpg');
    expectColour(pixel(img, 4, 4), [204 * 230 / 255, 128 * 230 / 255, 26 * 230 / 255], 2);
  });

  it('decodes Adobe YCCK (transform=2)', () => {
    // libjpeg: YCC -> RGB gives inverted C, M, Y; then R = (255 - R_ycc) * stored_K / 255.
    const img = decodeImage(solidJpeg(8, 8, [100, 90, 160, 200], { adobe: 2 }), 'ycck.jpg');
    expectColour(pixel(img, 1, 1), ycc(100, 90, 160).map((v) => ((255 - v) * 200) / 255), 2);
  });

  it('reads 3-component data as RGB with Adobe transform=0 or R,G,B component ids, else as YCbCr', () => {
    expectColour(pixel(decodeImage(solidJpeg(8, 8, [200, 30, 90], { adobe: 0 }), 'a.jpg'), 0, 0), [200, 30, 90], 1);
    expectColour(pixel(decodeImage(solidJpeg(8, 8, [200, 30, 90], { ids: [82, 71, 66] }), 'b.jpg'), 0, 0), [200, 30, 90], 1);
    expectColour(pixel(decodeImage(solidJpeg(8, 8, [100, 90, 160]), 'c.jpg'), 0, 0), ycc(100, 90, 160), 1);
  });

  it('rejects a 4-component JPEG without an Adobe marker by name', () => {
    expect(() => decodeImage(solidJpeg(8, 8, [1, 2, 3, 4]), 'odd.jpg')).toThrow(/odd\.jpg: 4-component JPEG without an Adobe/);
  });

  it('decodes a progressive JPEG with a restart interval to the pixels of the same image without one', () => {
    // libjpeg-turbo's `cjpeg -progressive -restart 2B` (and without -restart) of one 72x52 noisy
    // 4:2:0 image: restart markers do not change the coefficients, so the pixels must be equal.
    // Upstream jpeg-js 0.4.4 refuses the first ("unexpected marker: ffc4"): issue 24.
    const fixture = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))));
    const withRestarts = fixture('progressive-restart.jpg');
    const without = fixture('progressive.jpg');
    const hasDri = (b: Uint8Array) => b.some((v, i) => v === 0xff && b[i + 1] === 0xdd);
    expect([jpegInfo(withRestarts)?.progressive, hasDri(withRestarts), jpegInfo(without)?.progressive, hasDri(without)]).toEqual([true, true, true, false]);
    const a = decodeImage(withRestarts, 'progressive-restart.jpg');
    const b = decodeImage(without, 'progressive.jpg');
    expect([a.width, a.height]).toEqual([72, 52]);
    expect(new Set(a.data).size).toBeGreaterThan(100); // a noisy photo, not a blank
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
  });

  it('reports header facts with jpegInfo', () => {
    expect(jpegInfo(solidJpeg(24, 16, [1, 2, 3, 4], { adobe: 2 }))).toEqual({
      progressive: false,
      width: 24,
      height: 16,
      componentIds: [1, 2, 3, 4],
      adobeTransform: 2,
      sampling: [1, 2, 3, 4].map(() => ({ h: 1, v: 1 })),
    });
  });
});

describe('decodeImage: PNG', () => {
  const encode = (opts: { colorType: 0 | 2 | 4 | 6; bitDepth?: 8 | 16 }, rgba: Buffer, size = 32) => {
    const png = new PNG({ width: size, height: size });
    png.data = rgba;
    return PNG.sync.write(png, { ...opts, inputHasAlpha: true });
  };

  it('decodes RGB and RGBA (alpha dropped, not composited)', () => {
    expectQuadrants(decodeImage(encode({ colorType: 2 }, quadrantRgba()), 'rgb.png'), 0);
    const rgba = quadrantRgba();
    for (let i = 3; i < rgba.length; i += 4) rgba[i] = 0; // fully transparent
    expectQuadrants(decodeImage(encode({ colorType: 6 }, rgba), 'rgba.png'), 0);
  });

  it('decodes grey and grey+alpha', () => {
    const grey = Buffer.alloc(4 * 4 * 4, 99);
    for (let i = 3; i < grey.length; i += 4) grey[i] = 255; // pngjs would blend translucent input into the grey
    expectColour(pixel(decodeImage(encode({ colorType: 0 }, grey, 4), 'g.png'), 1, 1), [99, 99, 99], 0);
    expectColour(pixel(decodeImage(encode({ colorType: 4 }, grey, 4), 'ga.png'), 2, 3), [99, 99, 99], 0);
  });

  it('decodes 16-bit RGB to 8 bits', () => {
    const px = new Uint16Array(4 * 4 * 4);
    for (let i = 0; i < px.length; i += 4) px.set([65535, 32896, 257 * 10, 65535], i);
    const img = decodeImage(encode({ colorType: 6, bitDepth: 16 }, Buffer.from(px.buffer), 4), 'deep.png');
    expectColour(pixel(img, 3, 3), [255, 128, 10], 1);
  });

  it('decodes palette PNGs with transparency', () => {
    const img = decodeImage(palettePng(), 'pal.png');
    expect([img.width, img.height]).toEqual([2, 1]);
    expect(pixel(img, 0, 0)).toEqual([200, 10, 20]);
    expect(pixel(img, 1, 0)).toEqual([0, 128, 128]);
  });
});

describe('decodeImage: errors', () => {
  const good = jpeg.encode({ width: 32, height: 32, data: quadrantRgba() }, 90).data;
  it.each([
    ['truncated JPEG', good.subarray(0, good.length >> 1), /corrupt or unsupported JPEG/],
    ['random bytes', Uint8Array.from({ length: 500 }, (_, i) => (i * 7919 + 13) & 255), /neither JPEG nor PNG/],
    ['text named .jpg', new TextEncoder().encode('this is not a picture'), /neither JPEG nor PNG/],
    ['empty file', new Uint8Array(), /empty file/],
    ['GIF', new TextEncoder().encode('GIF89a......'), /GIF/],
    ['truncated PNG', palettePng().subarray(0, 40), /corrupt or unsupported PNG/],
  ])('%s -> ImageDecodeError naming the file', (_, bytes, message) => {
    let err: unknown;
    try {
      decodeImage(bytes, 'some/dir/x.jpg');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as ImageDecodeError).file).toBe('some/dir/x.jpg');
    expect((err as Error).message).toMatch(/^some\/dir\/x\.jpg: /);
    expect((err as Error).message).toMatch(message);
  });
});

describe.skipIf(!hasShared)('decodeImage: real cats-vs-dogs files of each JPEG kind', () => {
  // Find the odd files by their headers rather than trusting a list.
  const kinds = { progressive: [] as string[], grey: [] as string[], cmyk: [] as string[] };
  if (hasShared) {
    for (const split of ['train', 'validation']) {
      for (const cls of ['cats', 'dogs']) {
        const dir = `${SHARED}${split}/${cls}/`;
        for (const f of readdirSync(dir)) {
          const info = jpegInfo(readFileSync(dir + f));
          if (info?.progressive) kinds.progressive.push(dir + f);
          if (info?.componentIds.length === 1) kinds.grey.push(dir + f);
          if (info?.componentIds.length === 4) kinds.cmyk.push(dir + f);
        }
      }
    }
  }

  /** A wrongly decoded photo is noise or flat; a right one is smooth with a sensible range. */
  function expectPhotoLike(img: RgbImage): void {
    let sum = 0;
    let sq = 0;
    let step = 0;
    for (let i = 0; i < img.data.length; i++) {
      const v = img.data[i]!;
      sum += v;
      sq += v * v;
      if (i % (img.width * 3) >= 3) step += Math.abs(v - img.data[i - 3]!);
    }
    const n = img.data.length;
    const mean = sum / n;
    const sd = Math.sqrt(sq / n - mean * mean);
    expect(mean).toBeGreaterThan(25);
    expect(mean).toBeLessThan(230);
    expect(sd).toBeGreaterThan(10);
    // Neighbours of independent noise differ by ~1.13 sd on average; photos (even of grass) by much less.
    expect(step / n).toBeLessThan(0.75 * sd);
  }

  it('finds progressive, grey and CMYK files', () => {
    expect(kinds.progressive.length).toBeGreaterThan(0);
    expect(kinds.grey.length).toBeGreaterThan(0);
    expect(kinds.cmyk.length).toBeGreaterThan(0);
  });

  it('decodes progressive JPEGs', () => {
    for (const f of kinds.progressive.slice(0, 8)) {
      const bytes = readFileSync(f);
      const img = decodeImage(bytes, f);
      const info = jpegInfo(bytes)!;
      expect([img.width, img.height]).toEqual([info.width, info.height]);
      expectPhotoLike(img);
    }
  });

  it('decodes grey JPEGs to R=G=B', () => {
    for (const f of kinds.grey) {
      const img = decodeImage(readFileSync(f), f);
      expectPhotoLike(img);
      for (let i = 0; i < img.data.length; i += 3) {
        if (img.data[i] !== img.data[i + 1] || img.data[i] !== img.data[i + 2]) throw new Error(`${f}: not grey at ${i / 3}`);
      }
    }
  });

  it('decodes CMYK JPEGs to a plausible (not inverted, not noise) photo', () => {
    for (const f of kinds.cmyk) expectPhotoLike(decodeImage(readFileSync(f), f));
  });
});
