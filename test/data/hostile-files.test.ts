// Odd files in a data folder (issue 14): a FIFO or socket named like an image is skipped with a
// warning and never opened; a JPEG too large for the decoder is refused from its header, before
// any decoding, and never read again in later epochs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, imageDataset, imageDatasetFromFiles, ImageDecodeError, jpegDecodeBytes, jpegInfo } from '../../src/node/data/index.js';
import { notRegularFile, NotRegularFileError, readRegularFile, readRegularFileSync } from '../../src/node/read-file.js';

let root: string;
let server: Server | undefined;

function smallJpeg(rgb: [number, number, number], w = 20, h = 16): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], i * 4);
  return Buffer.from(jpeg.encode({ width: w, height: h, data }, 90).data);
}

/** A real small JPEG whose frame header claims width x height: refused from the header or corrupt, never decoded at that size. */
function jpegClaiming(width: number, height: number): Buffer {
  const b = smallJpeg([120, 30, 200]);
  const info = jpegInfo(b)!;
  // find the SOF0 marker and rewrite its size fields
  for (let i = 2; i + 9 < b.length; i++) {
    if (b[i] === 0xff && b[i + 1] === 0xc0) {
      b.writeUInt16BE(height, i + 5);
      b.writeUInt16BE(width, i + 7);
      expect(jpegInfo(b)).toMatchObject({ width, height, componentIds: info.componentIds });
      return b;
    }
  }
  throw new Error('no SOF0 in the test JPEG');
}

const hasMkfifo = process.platform !== 'win32';

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'alexnet-hostile-'));
  for (const [cls, rgb] of [['cats', [200, 20, 20]], ['dogs', [20, 20, 200]]] as const) {
    mkdirSync(join(root, 'tree', cls), { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(join(root, 'tree', cls, `${i}.jpg`), smallJpeg(rgb as [number, number, number]));
  }
  if (hasMkfifo) {
    execFileSync('mkfifo', [join(root, 'tree', 'cats', 'pipe.jpg')]);
    execFileSync('mkfifo', [join(root, 'lone.jpg')]);
    // a Unix socket named like an image
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(join(root, 'tree', 'dogs', 'sock.png'), resolve));
    server = s;
  }
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!hasMkfifo)('non-regular files', () => {
  it('readRegularFile refuses a FIFO, a socket and a folder without blocking', { timeout: 5000 }, async () => {
    expect(() => readRegularFileSync(join(root, 'lone.jpg'))).toThrow(NotRegularFileError);
    expect(() => readRegularFileSync(join(root, 'lone.jpg'))).toThrow(/lone\.jpg: not a regular file \(a FIFO\)/);
    await expect(readRegularFile(join(root, 'lone.jpg'))).rejects.toThrow(/a FIFO/);
    expect(() => readRegularFileSync(join(root, 'tree', 'dogs', 'sock.png'))).toThrow(/sock\.png: not a regular file/);
    expect(() => readRegularFileSync(join(root, 'tree'))).toThrow(/not a regular file \(a folder\)/);
    expect(notRegularFile(join(root, 'lone.jpg'))).toBe('not a regular file (a FIFO)');
    expect(notRegularFile(join(root, 'tree', 'cats', '0.jpg'))).toBeNull();
    expect(readRegularFileSync(join(root, 'tree', 'cats', '0.jpg')).length).toBeGreaterThan(100);
  });

  it('imageDataset skips a FIFO and a socket named like images, with a warning, and never opens them', { timeout: 10000 }, async () => {
    const warnings: string[] = [];
    const ds = imageDataset(join(root, 'tree'), { imageSize: [8, 8], workers: 0, seed: 1, warn: (m) => warnings.push(m) });
    expect(ds.length).toBe(6);
    expect(ds.files.some((f) => f.endsWith('pipe.jpg') || f.endsWith('sock.png'))).toBe(false);
    expect(warnings.join('\n')).toMatch(/pipe\.jpg: not a regular file \(a FIFO\)/);
    expect(warnings.join('\n')).toMatch(/sock\.png: not a regular file \(a socket\)/);
    let n = 0;
    for await (const b of ds.batches(4)) n += b.n;
    expect(n).toBe(6);
  });

  it('a FIFO given in a file list is skipped as unreadable, not read (no hang)', { timeout: 10000 }, async () => {
    const warnings: string[] = [];
    const files = [join(root, 'tree', 'cats', '0.jpg'), join(root, 'lone.jpg')];
    const ds = imageDatasetFromFiles(files, [0, 1], ['a', 'b'], { imageSize: [8, 8], workers: 0, seed: 1, warn: (m) => warnings.push(m) });
    let n = 0;
    for await (const b of ds.batches(2)) n += b.n;
    expect(n).toBe(1);
    expect(warnings.join('\n')).toMatch(/lone\.jpg: not a regular file \(a FIFO\)/);
  });
});

describe('large JPEGs', () => {
  it('the decode memory from the header matches what jpeg-js counts (4:4:4, 6000x4000: 481 MiB)', () => {
    const info = { progressive: false, width: 6000, height: 4000, componentIds: [1, 2, 3], adobeTransform: undefined, sampling: [{ h: 1, v: 1 }, { h: 1, v: 1 }, { h: 1, v: 1 }] };
    expect(Math.round(jpegDecodeBytes(info) / 2 ** 20)).toBe(481);
    // 4:2:0 needs much less: full-size Y blocks, quarter-size chroma
    const sub = { ...info, sampling: [{ h: 2, v: 2 }, { h: 1, v: 1 }, { h: 1, v: 1 }] };
    expect(jpegDecodeBytes(sub)).toBeLessThan(0.7 * jpegDecodeBytes(info));
  });

  it('a 36 MP JPEG is refused from its header, in milliseconds, naming the file and the limit', () => {
    const bytes = jpegClaiming(7360, 4912);
    const t = performance.now();
    let err: unknown;
    try {
      decodeImage(bytes, 'big.jpg');
    } catch (e) {
      err = e;
    }
    expect(performance.now() - t).toBeLessThan(50);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as Error).message).toMatch(/^big\.jpg: JPEG of 7360x4912 \(36\.2 MP\) exceeds the 25 MP this loader decodes/);
  });

  it('a header under the limits passes the check (this one then fails in its scan, naming the file)', { timeout: 20_000 }, () => {
    let err: unknown;
    try {
      decodeImage(jpegClaiming(2048, 1536), 'claims3mp.jpg');
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/^claims3mp\.jpg: /);
    expect((err as Error).message).not.toMatch(/exceeds|limit/);
  });

  it('a file refused once is not read again in later epochs', { timeout: 10000 }, async () => {
    const dir = join(root, 'big');
    for (const cls of ['a', 'b']) mkdirSync(join(dir, cls), { recursive: true });
    writeFileSync(join(dir, 'a', '0.jpg'), smallJpeg([10, 200, 10]));
    writeFileSync(join(dir, 'a', 'huge.jpg'), jpegClaiming(8000, 6000));
    writeFileSync(join(dir, 'b', '0.jpg'), smallJpeg([10, 10, 200]));
    const warnings: string[] = [];
    const ds = imageDataset(dir, { imageSize: [8, 8], workers: 0, seed: 1, warn: (m) => warnings.push(m) });
    const count = async (epoch: number) => {
      let n = 0;
      for await (const b of ds.batches(3, { epoch })) n += b.n;
      return n;
    };
    expect(await count(0)).toBe(2);
    expect(ds.takeSkipped()).toHaveLength(1);
    // now a readable image: it is still skipped (not read again), and counted as skipped
    writeFileSync(join(dir, 'a', 'huge.jpg'), smallJpeg([10, 200, 10]));
    expect(await count(1)).toBe(2);
    expect(ds.takeSkipped()).toEqual([{ file: join(dir, 'a', 'huge.jpg'), reason: expect.stringMatching(/48\.0 MP\) exceeds the 25 MP/) }]);
    expect(ds.skipped.count).toBe(2);
    expect(warnings.filter((w) => w.includes('huge.jpg'))).toHaveLength(1);
  });
});
