// Fuzz: data folders with odd entries — corrupt and empty files named like images, FIFOs,
// folders named x.jpg, dangling links, links to files and to folders, a link loop, hidden and
// upper-case names — read as an image data set for two epochs. Acceptable: every readable image
// loads in every epoch, every bad entry is skipped with a warning naming it, or (fewer than two
// class folders, no image at all) an Error naming the folder; reading writes nothing into the
// folder. A FIFO must never be opened for reading: that would block for ever, so each case has a
// limit, generous enough for a busy machine (it only catches a hang).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';

import { imageDataset } from '../../src/node/data/index.js';
import { badError, FUZZ_SEED, fuzzCases, fuzzTimeout, replay, reportFuzzCases, Rng } from './fuzz.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-fuzz-dirs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const posix = process.platform !== 'win32';

const GOOD = new Uint8Array(jpeg.encode({ data: new Uint8Array(12 * 10 * 4).fill(200), width: 12, height: 10 }, 80).data);

type Entry = 'good' | 'upper' | 'corrupt' | 'empty' | 'fifo' | 'dir-jpg' | 'dangling' | 'link-file' | 'link-loop' | 'hidden' | 'noext';
const ENTRIES: Entry[] = ['good', 'good', 'upper', 'corrupt', 'empty', 'fifo', 'dir-jpg', 'dangling', 'link-file', 'link-loop', 'hidden', 'noext'];

/** Writes one entry; returns how many readable images it adds (as the data set counts them) and whether it must be warned about. */
function writeEntry(dir: string, i: number, e: Entry): { good: number; warned: string | null } {
  const p = join(dir, `e${i}`);
  switch (e) {
    case 'good':
      writeFileSync(p + '.jpg', GOOD);
      return { good: 1, warned: null };
    case 'upper':
      writeFileSync(p + '.JPG', GOOD);
      return { good: 1, warned: null };
    case 'corrupt':
      writeFileSync(p + '.jpg', GOOD.subarray(0, 40));
      return { good: 0, warned: `e${i}.jpg` };
    case 'empty':
      writeFileSync(p + '.png', '');
      return { good: 0, warned: `e${i}.png` };
    case 'fifo':
      execFileSync('mkfifo', [p + '.jpg']);
      return { good: 0, warned: `e${i}.jpg` };
    case 'dir-jpg':
      // a folder named like an image is a subfolder: its images count
      mkdirSync(p + '.jpg');
      writeFileSync(join(p + '.jpg', 'inner.jpg'), GOOD);
      return { good: 1, warned: null };
    case 'dangling':
      symlinkSync(join(dir, 'nowhere.jpg'), p + '.jpg');
      return { good: 0, warned: `e${i}.jpg` };
    case 'link-file':
      writeFileSync(p + '-target.bin', GOOD);
      symlinkSync(p + '-target.bin', p + '.jpg');
      return { good: 1, warned: null };
    case 'link-loop':
      symlinkSync(dir, p + '-loop');
      return { good: 0, warned: `e${i}-loop` };
    case 'hidden':
      writeFileSync(join(dir, `.e${i}.jpg`), GOOD);
      return { good: 1, warned: null }; // the data set reads hidden files inside class folders
    case 'noext':
      writeFileSync(p, GOOD);
      return { good: 0, warned: null }; // not listed at all
  }
}

/** Every path under dir, links not followed (the layouts hold link loops). */
function listing(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix + e.name;
    return e.isDirectory() ? [rel + '/', ...listing(join(dir, e.name), rel + '/')] : [rel];
  }).sort();
}

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (hang)`)), ms)))]).finally(() => clearTimeout(timer));
}

describe.skipIf(!posix)('fuzz: odd entries in data folders', () => {
  const n = fuzzCases(20);
  it(`${n} seeded folder layouts (seed ${FUZZ_SEED})`, { timeout: fuzzTimeout(600_000) }, async () => {
    const r = new Rng(FUZZ_SEED ^ 0xd175);
    const problems: string[] = [];
    for (let c = 0; c < n; c++) {
      const dir = join(root, `case${c}`);
      let good = 0;
      const mustWarn: string[] = [];
      const classes = r.int(0, 3);
      for (let k = 0; k < classes; k++) {
        const cls = join(dir, `class${k}`);
        mkdirSync(cls, { recursive: true });
        const count = r.int(0, 6);
        for (let i = 0; i < count; i++) {
          const w = writeEntry(cls, i, r.pick(ENTRIES));
          good += w.good;
          if (w.warned) mustWarn.push(w.warned);
        }
      }
      mkdirSync(dir, { recursive: true });
      const before = listing(dir);
      const warnings: string[] = [];
      const layout = `case ${c}: ${classes} class(es), ${good} good image(s)`;
      try {
        const ds = imageDataset(dir, { imageSize: [6, 6], workers: 0, seed: c, warn: (m) => warnings.push(m) });
        for (const epoch of [0, 1]) {
          let loaded = 0;
          await within(60_000, layout, (async () => {
            for await (const b of ds.batches(4, { epoch })) loaded += b.n;
          })());
          if (loaded !== good) problems.push(`${layout}: epoch ${epoch} loaded ${loaded}`);
        }
        for (const w of mustWarn) if (!warnings.some((m) => m.includes(w))) problems.push(`${layout}: no warning names ${w}`);
      } catch (e) {
        const bad = badError(e, dir);
        const expected = classes < 2 || good === 0 || /no images/.test((e as Error).message);
        if (bad || !expected) problems.push(`${layout}: ${bad ?? (e as Error).message}`);
      }
      const after = listing(dir);
      if (after.join('\n') !== before.join('\n')) problems.push(`${layout}: reading it changed the folder: ${after.filter((f) => !before.includes(f)).join(', ')}`);
    }
    reportFuzzCases('folders', n);
    expect(problems, replay('test/robustness/folders.fuzz.test.ts')).toEqual([]);
  });
});
