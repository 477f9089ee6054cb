// The figures of docs/conv2d.md are drawn by scripts/docs/figures.ts from the kernels' own
// constants: a committed SVG that differs from what the script draws today fails here (run
// `npm run docs`), and so does a figure the doc does not show or one it shows that is not drawn.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONV_TUNING } from '../../src/tensor/ops/conv2d/tuning.js';
import { FIGURE_DIR, FIGURES, wgslConst, wgslWorkgroupSize } from '../../scripts/docs/figures.js';
import { read, ROOT } from './markdown.js';

describe('docs figures', () => {
  for (const f of FIGURES) {
    it(`${FIGURE_DIR}/${f.file} is what scripts/docs/figures.ts draws today`, () => {
      const p = join(ROOT, FIGURE_DIR, f.file);
      expect(existsSync(p), `${p} is missing: run npm run docs`).toBe(true);
      expect(readFileSync(p, 'utf8') === f.draw(), `${FIGURE_DIR}/${f.file} is stale: run npm run docs`).toBe(true);
    });
  }

  it('draws one figure per rung, shows each in the doc, and leaves no other SVG in the folder', () => {
    const doc = read('docs/conv2d.md');
    const files = FIGURES.map((f) => f.file);
    for (const f of files) expect(doc, `docs/conv2d.md does not show ${f}`).toContain(`](img/conv2d/${f})`);
    expect(readdirSync(join(ROOT, FIGURE_DIR)).sort()).toEqual([...files].sort());
    const rungs = new Set((doc.match(/^## Rung (\d\d)/gm) ?? []).map((h) => h.slice(-2)));
    for (const r of rungs) expect(files.some((f) => f.startsWith(`${r}_`)), `no figure for rung ${r}`).toBe(true);
  });

  it('redraws a figure when a kernel constant changes (03: the workgroup size)', () => {
    const fig = FIGURES.find((f) => f.file === '03_implicit_gemm.svg')!;
    const before = fig.draw();
    const wg = CONV_TUNING.forward.WG;
    CONV_TUNING.forward.WG = wg * 2;
    try {
      expect(fig.draw()).not.toBe(before);
      expect(fig.draw()).toContain(`WG = ${wg * 2} invocations`);
    } finally {
      CONV_TUNING.forward.WG = wg;
    }
    expect(fig.draw()).toBe(before);
  });

  it('reads the tile constants from the kernel source', () => {
    expect(wgslConst('matmul/05_tiled.wgsl', 'BM')).toBe(128);
    expect(wgslConst('matmul/06_tiled_prefetch.wgsl', 'BK')).toBe(8); // an override's default
    expect(wgslWorkgroupSize('matmul/05_tiled.wgsl')).toEqual([16, 16, 1]);
    expect(() => wgslConst('matmul/05_tiled.wgsl', 'NOPE')).toThrow(/matmul\/05_tiled\.wgsl has no constant NOPE/);
  });
});
