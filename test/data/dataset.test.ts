import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageDataset, imageDatasetFromFiles, type Batch, type ImageDataset } from '../../src/node/data/index.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const COLOURS: Record<string, number[]> = { cats: [230, 20, 20], dogs: [20, 20, 230] };

let root: string;

/** Solid image of `rgb` with a darker left edge so that flips are visible. */
function imageBytes(rgb: number[], kind: 'jpg' | 'png', w = 24, h = 16): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const edge = i % w < 4 ? 0.3 : 1;
    data.set([...rgb.map((v) => Math.round(v * edge)), 255], i * 4);
  }
  if (kind === 'jpg') return jpeg.encode({ width: w, height: h, data }, 95).data;
  const png = new PNG({ width: w, height: h });
  png.data = data;
  return PNG.sync.write(png);
}

/** dir/<class>/<i>.<ext> with `perClass` images per class; dogs written first to prove sorting. */
function makeTree(dir: string, perClass: number): void {
  for (const cls of ['dogs', 'cats']) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const kind = i % 3 === 0 ? 'png' : 'jpg';
      writeFileSync(join(dir, cls, `${cls}.${String(i).padStart(2, '0')}.${kind}`), imageBytes(COLOURS[cls]!, kind));
    }
  }
}

async function collect(ds: ImageDataset, batchSize: number, epoch = 0): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of ds.batches(batchSize, { epoch })) out.push(b);
  return out;
}

function digest(batches: Batch[]): string {
  const h = createHash('sha256');
  for (const b of batches) {
    h.update(new Uint8Array(b.x.buffer, b.x.byteOffset, b.x.byteLength));
    h.update(new Uint8Array(b.y.buffer));
    h.update(b.files.join('\n'));
  }
  return h.digest('hex');
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'alexnet-data-'));
  makeTree(join(root, 'tree'), 12);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const base = { imageSize: [8, 12] as [number, number], rescale: 1 / 255, workers: 0, seed: 123 };

describe('imageDataset', () => {
  it('indexes classes alphabetically and labels match the pixels', async () => {
    const ds = imageDataset(join(root, 'tree'), base);
    expect(ds.classNames).toEqual(['cats', 'dogs']);
    expect(ds.length).toBe(24);
    expect(ds.numBatches(5)).toBe(5);
    expect(ds.numBatches(5, true)).toBe(4);
    const batches = await collect(ds, 5);
    expect(batches.map((b) => b.n)).toEqual([5, 5, 5, 5, 4]);
    for (const b of batches) {
      expect(b.x.length).toBe(b.n * 3 * 8 * 12);
      for (let k = 0; k < b.n; k++) {
        const cls = ds.classNames[b.y[k]!]!;
        expect(b.files[k]).toContain(`${cls}.`);
        // Right-hand middle pixel, red and blue planes.
        const at = (c: number) => b.x[((k * 3 + c) * 8 + 4) * 12 + 10]! * 255;
        expect(Math.abs(at(0) - COLOURS[cls]![0]!)).toBeLessThan(12);
        expect(Math.abs(at(2) - COLOURS[cls]![2]!)).toBeLessThan(12);
      }
    }
  });

  it('shuffles per epoch, reproducibly, and keeps file order without shuffle', async () => {
    const ds = imageDataset(join(root, 'tree'), base);
    const files = async (epoch: number) => (await collect(ds, 24, epoch))[0]!.files;
    expect(await files(1)).toEqual(await files(1));
    expect(await files(1)).not.toEqual(await files(2));
    expect([...(await files(1))].sort()).toEqual([...ds.files].sort());
    const ordered = imageDataset(join(root, 'tree'), { ...base, shuffle: false });
    expect((await collect(ordered, 24, 3))[0]!.files).toEqual(ordered.files);
  });

  it('splits randomly but reproducibly into disjoint parts, and never augments validation', async () => {
    const opts = { ...base, validationSplit: 0.25, augment: { horizontalFlip: true } };
    const { train, validation } = imageDataset(join(root, 'tree'), opts);
    expect([train.length, validation.length]).toEqual([18, 6]);
    const all = new Set([...train.files, ...validation.files]);
    expect(all.size).toBe(24);
    // Not a contiguous slice of the sorted file list.
    const sorted = [...all].sort();
    const start = sorted.indexOf(validation.files[0]!);
    expect(sorted.slice(start, start + 6)).not.toEqual(validation.files);
    expect(imageDataset(join(root, 'tree'), opts).validation.files).toEqual(validation.files);
    expect(imageDataset(join(root, 'tree'), { ...opts, seed: 124 }).validation.files).not.toEqual(validation.files);

    const plain = imageDatasetFromFiles(validation.files, validation.labels, validation.classNames, { ...base, shuffle: false });
    expect(digest(await collect(validation, 4, 5))).toBe(digest(await collect(plain, 4, 5)));
  });

  it('flips training images when augmenting', async () => {
    const ds = imageDatasetFromFiles([join(root, 'tree', 'cats', 'cats.01.jpg')], [0], ['cats', 'dogs'], {
      ...base,
      augment: { horizontalFlip: true },
    });
    const leftRed = new Set<boolean>();
    for (let epoch = 0; epoch < 12; epoch++) {
      const [b] = await collect(ds, 1, epoch);
      leftRed.add(b!.x[4 * 12]! < b!.x[4 * 12 + 11]!); // dark edge on the left?
    }
    expect(leftRed).toEqual(new Set([true, false]));
  });

  it('throws clear errors for a missing folder, one class, no images', () => {
    expect(() => imageDataset(join(root, 'nope'))).toThrow(/image folder not found: .*nope/);
    const one = join(root, 'one');
    mkdirSync(join(one, 'cats'), { recursive: true });
    expect(() => imageDataset(one)).toThrow(/has 1 class folder\(s\) \(cats\).*at least 2 classes/);
    mkdirSync(join(one, 'dogs'));
    writeFileSync(join(one, 'cats', 'notes.txt'), 'hello');
    expect(() => imageDataset(one, { warn: () => {} })).toThrow(/no images/);
    expect(() => imageDatasetFromFiles(['a.jpg'], [2], ['a', 'b'])).toThrow(/not a class index/);
  });

  it('skips corrupt files with one warning each, counts them, and carries on', async () => {
    const dir = join(root, 'corrupt');
    makeTree(dir, 3);
    const good = readFileSync(join(dir, 'cats', 'cats.01.jpg'));
    writeFileSync(join(dir, 'cats', 'truncated.jpg'), good.subarray(0, good.length >> 1));
    writeFileSync(join(dir, 'dogs', 'random.jpg'), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 255)));
    writeFileSync(join(dir, 'dogs', 'text.jpg'), 'not an image at all');
    const warnings: string[] = [];
    const ds = imageDataset(dir, { ...base, warn: (m) => warnings.push(m) });
    expect(ds.length).toBe(9);
    const epoch0 = await collect(ds, 4);
    expect(epoch0.reduce((s, b) => s + b.n, 0)).toBe(6);
    expect(warnings).toHaveLength(3);
    for (const name of ['truncated.jpg', 'random.jpg', 'text.jpg']) expect(warnings.some((w) => w.includes(name))).toBe(true);
    expect(ds.takeSkipped().map((s) => s.file.split(/[\\/]/).pop()).sort()).toEqual(['random.jpg', 'text.jpg', 'truncated.jpg']);
    await collect(ds, 4, 1);
    expect(warnings).toHaveLength(3); // no repeats in later epochs
    expect(ds.takeSkipped()).toHaveLength(3);
    expect(ds.takeSkipped()).toHaveLength(0);
    expect(ds.skipped.count).toBe(6);
    expect(ds.skipped.files.size).toBe(3);
  });
});

describe('worker threads', () => {
  const augment = { horizontalFlip: true, rotationRange: 20, zoomRange: 0.1, widthShiftRange: 0.1 };

  it('from TypeScript sources, falls back to inline decoding with a notice and the same output', async () => {
    const notices: string[] = [];
    const opts = { ...base, augment, warn: (m: string) => notices.push(m) };
    const inline = await collect(imageDataset(join(root, 'tree'), opts), 5, 2);
    const threaded = await collect(imageDataset(join(root, 'tree'), { ...opts, workers: 2 }), 5, 2);
    expect(digest(threaded)).toBe(digest(inline));
    expect(notices.join('\n')).toMatch(/worker\.js not found/);
  });

  it('compiled to JS, runs real workers with the same output as the TS sources and exits after an early break', async () => {
    // Emulate dist/: transpile the module to .js next to a node_modules link, then drive it from a
    // separate Node process (worker_threads cannot load the .ts sources vitest runs).
    // the data modules plus the one core module they import (src/tensor/rng.ts), laid out as in src/
    const top = join(root, 'compiled');
    const out = join(top, 'node', 'data');
    mkdirSync(out, { recursive: true });
    mkdirSync(join(top, 'tensor'));
    const transpile = (from: string, to: string) => {
      const js = ts.transpileModule(readFileSync(from, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
      writeFileSync(to, js);
    };
    const src = join(REPO, 'src', 'node', 'data');
    for (const f of readdirSync(src).filter((f) => f.endsWith('.ts'))) transpile(join(src, f), join(out, f.replace(/\.ts$/, '.js')));
    transpile(join(REPO, 'src', 'tensor', 'rng.ts'), join(top, 'tensor', 'rng.js'));
    for (const f of ['read-file.ts', 'quote.ts']) transpile(join(REPO, 'src', 'node', f), join(top, 'node', f.replace(/\.ts$/, '.js')));
    mkdirSync(join(top, 'data'));
    const core = join(REPO, 'src', 'data');
    for (const f of readdirSync(core).filter((f) => f.endsWith('.ts'))) transpile(join(core, f), join(top, 'data', f.replace(/\.ts$/, '.js')));
    writeFileSync(join(top, 'package.json'), '{"type":"module"}');
    symlinkSync(join(REPO, 'node_modules'), join(top, 'node_modules'), 'dir');
    const script = `
      import { createHash } from 'node:crypto';
      import { imageDataset } from './index.js';
      const notices = [];
      const digest = async (workers) => {
        const ds = imageDataset(${JSON.stringify(join(root, 'tree'))}, { ...${JSON.stringify({ ...base, augment })}, workers, warn: (m) => notices.push(m) });
        const h = createHash('sha256');
        for await (const b of ds.batches(5, { epoch: 2 })) {
          h.update(new Uint8Array(b.x.buffer, b.x.byteOffset, b.x.byteLength));
          h.update(new Uint8Array(b.y.buffer));
          h.update(b.files.join('\\n'));
        }
        return h.digest('hex');
      };
      const threaded = await digest(2);
      const inline = await digest(0);
      const ds = imageDataset(${JSON.stringify(join(root, 'tree'))}, { ...${JSON.stringify(base)}, workers: 2, prefetch: 4 });
      for await (const b of ds.batches(2)) break; // must terminate the workers, or this process hangs
      console.log(JSON.stringify({ threaded, inline, notices }));
    `;
    writeFileSync(join(out, 'check.mjs'), script);
    const result = JSON.parse(execFileSync(process.execPath, [join(out, 'check.mjs')], { timeout: 30_000, encoding: 'utf8' }));
    expect(result.notices).toEqual([]);
    expect(result.threaded).toBe(result.inline);
    expect(result.inline).toBe(digest(await collect(imageDataset(join(root, 'tree'), { ...base, augment }), 5, 2)));
  });
});
