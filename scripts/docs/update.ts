// SPDX-License-Identifier: MIT
// Redraws what docs/conv2d.md generates from the code: the figures (docs/img/conv2d/*.svg,
// scripts/docs/figures.ts) and the generated blocks (scripts/docs/blocks.ts), and imports
// benchmark output as a device's measured ladder (docs/data/measured-<device>.json).
//
//   npm run docs                         redraw figures and blocks
//   npm run docs -- --import lavapipe conv.json matmul.json [--date 2026-12-07]
//        --machine "2-core AMD EPYC, quiet" --source "the commands" [--note "..."] [--peak 1234]
//                                        take the rows of `npm run bench -- conv --json` (or of
//                                        `node dist/bench/conv2d-cli.js --json`) and of
//                                        `npm run bench -- matmul --json` as that device's data
//                                        (one import is one run: it replaces the device's file),
//                                        then redraw
// Run after `npm run build` (npm run docs does both); test/docs/ checks that nothing is stale.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fillBlocks, generatedBlocks } from './blocks.js';
import { FIGURE_DIR, FIGURES } from './figures.js';
import { checkMeasured, ladderNow, parseBenchOutput, type Measured } from './measured.js';

export const DOC = 'docs/conv2d.md';

/** The repository root: the nearest folder above this file with a package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * Reads benchmark output files as a device's measured data, replacing what was there: one
 * import is one run, with its own date, machine, command and caveats (only the device's peak
 * carries over). `machine` and `source` are required, so that no table goes unlabelled.
 */
export function importMeasured(root: string, device: string, files: string[], o: { date?: string; machine?: string; source?: string; note?: string; peak?: number }): string {
  if (!o.machine || !o.source) throw new Error('docs: --import needs --machine (what ran it: CPU, load) and --source (the commands that made the files)');
  const id = device.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const path = join(root, 'docs', 'data', `measured-${id}.json`);
  const old: Partial<Measured> = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Measured) : {};
  const rows = files.map((f) => parseBenchOutput(readFileSync(f, 'utf8')));
  const adapters = [...new Set(rows.flatMap((r) => r.adapters))];
  if (adapters.length !== 1) throw new Error(`docs: the files come from ${adapters.length} adapters (${adapters.join('; ') || 'none named'}): one device per import`);
  const conv = rows.flatMap((r) => r.conv);
  const matmul = rows.flatMap((r) => r.matmul);
  if (!conv.length && !matmul.length) throw new Error(`docs: no benchmark rows in ${files.join(', ')}`);
  const m: Measured = {
    device,
    adapter: adapters[0]!,
    date: o.date ?? new Date().toISOString().slice(0, 10),
    machine: o.machine,
    source: o.source,
    ...(o.note ? { note: o.note } : {}),
    peakGflops: o.peak ?? old.peakGflops ?? null,
    conv,
    matmul,
    ladder: ladderNow(),
  };
  checkMeasured(m, path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(m, null, 1) + '\n');
  return path;
}

/** Writes every figure and generated block; returns the files it changed. */
export function redraw(root: string): string[] {
  const changed: string[] = [];
  const write = (rel: string, text: string) => {
    const p = join(root, rel);
    if (existsSync(p) && readFileSync(p, 'utf8') === text) return;
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    changed.push(rel);
  };
  for (const f of FIGURES) write(`${FIGURE_DIR}/${f.file}`, f.draw());
  write(DOC, fillBlocks(readFileSync(join(root, DOC), 'utf8'), generatedBlocks(root), DOC));
  return changed;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        import: { type: 'string' }, date: { type: 'string' }, machine: { type: 'string' },
        source: { type: 'string' }, note: { type: 'string' }, peak: { type: 'string' },
      },
    });
    const root = repoRoot();
    if (values.import) {
      if (!positionals.length) throw new Error('docs: --import DEVICE needs benchmark output files');
      const peak = values.peak === undefined ? undefined : Number(values.peak);
      if (peak !== undefined && !(peak > 0)) throw new Error(`docs: --peak must be a positive GFLOP/s figure, not ${values.peak}`);
      console.log(`docs: wrote ${relative(root, importMeasured(root, values.import, positionals, { ...values, peak }))}`);
    } else if (positionals.length) {
      throw new Error(`docs: files given without --import DEVICE: ${positionals.join(' ')}`);
    }
    const changed = redraw(root);
    console.log(changed.length ? `docs: redrew ${changed.join(', ')}` : 'docs: everything was up to date');
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
