// Class folders and files in Python's sorted() order (code points), the same in Node's
// imageDataset, the commands' folder checks and the browser's picked files (issue 24).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { compareCodePoints, comparePaths } from '../../src/data/order.js';
import { checkImageFolder, listImages } from '../../src/node/commands/images.js';
import { imageDataset } from '../../src/node/data/index.js';
import { labelFiles } from '../../src/web/dataset.js';

// U+FF5A (fullwidth z) is one code unit, FF5A; U+1F600 is the pair D83D DE00: below FF5A as code
// units, above it as code points. 'é' (E9) and 'z' (7A) are plain BMP characters.
const NAMES = ['\u{1F600}dogs', 'z', '\uFF5Acats', 'cats', 'é', '\u{1F431}', '\uE000'];
const BY_CODE_POINTS = ['cats', 'z', 'é', '\uE000', '\uFF5Acats', '\u{1F431}', '\u{1F600}dogs'];

function python(): string | undefined {
  for (const exe of ['python3', 'python']) {
    try {
      execFileSync(exe, ['-c', 'pass'], { stdio: 'ignore' });
      return exe;
    } catch {
      // not there
    }
  }
  return undefined;
}

const root = mkdtempSync(join(tmpdir(), 'order-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function png(): Buffer {
  const p = new PNG({ width: 4, height: 4 });
  p.data = Buffer.alloc(64, 200);
  return PNG.sync.write(p);
}

describe('class and file order: code points, as Python sorted()', () => {
  it('compareCodePoints sorts as code points, which is not code-unit order', () => {
    const sorted = [...NAMES].sort(compareCodePoints);
    expect(sorted).toEqual(BY_CODE_POINTS);
    expect([...NAMES].sort()).not.toEqual(BY_CODE_POINTS); // the default sort compares code units
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0);
    expect(compareCodePoints('\u{1F600}', '\u{1F600}')).toBe(0);
    expect(compareCodePoints('\u{1F600}', '\u{1F601}')).toBeLessThan(0);
  });

  const py = python();
  it.skipIf(!py)("agrees with the Python on this machine's sorted()", () => {
    const out = execFileSync(py!, ['-c', 'import json,sys; print(json.dumps(sorted(json.loads(sys.stdin.read()))))'], { input: JSON.stringify(NAMES) });
    expect(JSON.parse(out.toString())).toEqual([...NAMES].sort(compareCodePoints));
  });

  it('imageDataset, checkImageFolder and listImages number the classes and list the files in that order', () => {
    const dir = join(root, 'data');
    for (const name of NAMES) {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, '\uFF5A.png'), png());
      writeFileSync(join(dir, name, '\u{1F600}.png'), png());
    }
    const ds = imageDataset(dir, { imageSize: [4, 4], workers: 0, seed: 1 });
    expect(ds.classNames).toEqual(BY_CODE_POINTS);
    expect(checkImageFolder(dir, '--data')).toEqual(BY_CODE_POINTS);
    const inFolder = ['\uFF5A.png', '\u{1F600}.png'];
    expect(listImages(join(dir, 'cats'), () => {})).toEqual(inFolder.map((f) => join(dir, 'cats', f)));
    expect(ds.files.slice(0, 2)).toEqual(inFolder.map((f) => join(dir, 'cats', f)));
  });

  it("the browser's picked files get the same class numbers and file order as Node", () => {
    const picked = NAMES.flatMap((c) => ['\u{1F600}.png', '\uFF5A.png'].map((f) => ({ file: new Blob([]), path: `data/${c}/${f}` })));
    const l = labelFiles(picked);
    expect(l.classNames).toEqual(BY_CODE_POINTS);
    expect(l.files.slice(0, 2).map((f) => f.path)).toEqual(['data/cats/\uFF5A.png', 'data/cats/\u{1F600}.png']);
  });

  it('comparePaths orders folder by folder, as a recursive listing does', () => {
    const paths = ['c/a b.jpg', 'c/a/x.jpg', 'c/a-1.jpg', 'c/\u{1F600}.jpg', 'c/\uFF5A.jpg'];
    expect([...paths].sort(comparePaths)).toEqual(['c/a/x.jpg', 'c/a b.jpg', 'c/a-1.jpg', 'c/\uFF5A.jpg', 'c/\u{1F600}.jpg']);
  });
});
