// The decoded-image cache: batches identical to the uncached pipeline's, each file decoded
// once, the size bound respected, unreadable files still skipped every epoch.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageDataset, type Batch, type ImageDataset } from '../../src/node/data/index.js';
import { DecodedImageCache } from '../../src/node/data/decode-cache.js';
import { mulberry32 } from '../../src/data/index.js';

let root: string;

function noiseJpeg(seed: number, w = 40, h = 30): Buffer {
  const rng = mulberry32(seed);
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : Math.floor(rng() * 256);
  return jpeg.encode({ width: w, height: h, data }, 90).data;
}

async function collect(ds: ImageDataset, epoch: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of ds.batches(4, { epoch })) out.push(b);
  return out;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'decode-cache-'));
  for (const [c, cls] of ['cats', 'dogs'].entries()) {
    mkdirSync(join(root, cls));
    for (let i = 0; i < 5; i++) writeFileSync(join(root, cls, `${i}.jpg`), noiseJpeg(10 * c + i));
  }
  writeFileSync(join(root, 'dogs', 'broken.jpg'), Buffer.from('not a jpeg'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('decoded-image cache', () => {
  const options = {
    imageSize: [12, 12] as const, rescale: 1 / 255, seed: 5, workers: 0, warn: () => {},
    augment: { horizontalFlip: true, randomResizedCrop: { scale: [0.4, 1] as const } },
  };

  it('gives the uncached batches, bit for bit, decoding each file once', async () => {
    const plain = imageDataset(root, options);
    const cached = imageDataset(root, { ...options, cacheMB: 64 });
    const cache = (cached as unknown as { opts: { cache: DecodedImageCache } }).opts.cache;
    for (const epoch of [0, 1, 2]) {
      const a = await collect(plain, epoch);
      const b = await collect(cached, epoch);
      expect(b.map((x) => x.files)).toEqual(a.map((x) => x.files));
      b.forEach((batch, k) => expect(batch.x).toEqual(a[k]!.x));
    }
    expect(cache.size).toBe(10);
    expect(cache.bytes).toBe(10 * 40 * 30 * 3);
    // 11 files an epoch: 10 decoded once, the broken one tried once (a failed file is not read again)
    expect(cache.misses).toBe(10 + 1);
    expect(cache.hits).toBe(2 * 10);
    // the broken file is skipped every epoch, as without the cache
    expect(cached.skipped.count).toBe(3);
  });

  it('keeps no more than its bound and still serves every image', async () => {
    const cache = new DecodedImageCache(3 * 40 * 30 * 3 + 10);
    const files = [0, 1, 2, 3, 4].map((i) => join(root, 'cats', `${i}.jpg`));
    for (const f of [...files, ...files]) expect(cache.load(f).width).toBe(40);
    expect(cache.size).toBe(3);
    expect(cache.hits).toBe(3);
    expect(cache.misses).toBe(7);
  });

  it('rejects a negative size', () => {
    expect(() => imageDataset(root, { ...options, cacheMB: -1 })).toThrow(/cacheMB/);
  });
});
