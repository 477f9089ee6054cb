// SPDX-License-Identifier: MIT
// The browser benchmark's tables: one per workload, a row per (bench, shape, version), with
// Node's figure beside each browser's, each browser's speed relative to Node, the errors and
// how each figure was timed; after the AlexNet tables, the library against the peers in each
// browser.
import type { BenchRow } from '../common.js';
import type { Engine } from './protocol.js';

export type Where = 'node' | 'chromium' | 'firefox';

export interface ResultRow extends BenchRow {
  where: Where;
  engine: Engine;
  workload: string;
}

/** The row's figure: images/s for whole-model rows, else GFLOP/s, else ms (the optimizer). */
export function figure(r: BenchRow): { value: number; unit: 'images/s' | 'GFLOP/s' | 'ms' } {
  if (r.imagesPerSec !== undefined) return { value: r.imagesPerSec, unit: 'images/s' };
  if (Number.isFinite(r.gflops)) return { value: r.gflops, unit: 'GFLOP/s' };
  return { value: r.ms, unit: 'ms' };
}

const fmt = (v: number) => (!Number.isFinite(v) ? '-' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(3));
const fmtErr = (e: number | null | undefined, tol: number) => (e === undefined ? '' : e === null ? '-' : e.toExponential(1) + (e > tol ? ' (over tolerance)' : ''));

/** Rows whose error is over `tol` (NaN counts as over). */
export function overTolerance(rows: ResultRow[], tol: number): ResultRow[] {
  return rows.filter((r) => r.maxRelError !== null && !(r.maxRelError <= tol));
}

/** Markdown tables, one per workload in `order`, for the engines in `wheres`. */
export function formatTables(rows: ResultRow[], order: readonly string[], wheres: readonly Where[], tol: number): string[] {
  const out: string[] = [];
  const browsers = wheres.filter((w) => w !== 'node');
  const hasNode = wheres.includes('node');
  for (const workload of order) {
    const mine = rows.filter((r) => r.workload === workload);
    if (!mine.length) continue;
    const keys: string[] = [];
    const byKey = new Map<string, Map<Where, ResultRow>>();
    for (const r of mine) {
      const key = `${r.bench}\u0000${r.shape}\u0000${r.version}`;
      if (!byKey.has(key)) {
        keys.push(key);
        byKey.set(key, new Map());
      }
      byKey.get(key)!.set(r.where, r);
    }
    const units = [...new Set(mine.map((r) => figure(r).unit))];
    out.push('', `${workload} (${units.join(' or ')}${units.includes('ms') ? '; ms: lower is better' : ''}${hasNode && browsers.length ? '; × Node: the browser\'s speed over Node\'s' : ''})`);
    const head = ['bench', 'shape', 'version'];
    const align = ['---', '---', '---'];
    for (const w of wheres) {
      head.push(w === 'node' ? 'Node' : w);
      align.push('---:');
      if (w !== 'node' && hasNode) {
        head.push('× Node');
        align.push('---:');
      }
    }
    head.push(`max rel. error (${wheres.map((w) => (w === 'node' ? 'Node' : w)).join(' / ')})`, 'timing', 'note');
    align.push('---:', '---', '---');
    out.push(`| ${head.join(' | ')} |`, `|${align.join('|')}|`);
    for (const key of keys) {
      const cells = byKey.get(key)!;
      const first = [...cells.values()][0]!;
      const node = cells.get('node');
      const line = [first.bench, first.shape, first.version];
      for (const w of wheres) {
        const r = cells.get(w);
        line.push(r ? fmt(figure(r).value) : '');
        if (w !== 'node' && hasNode) line.push(r && node && Number.isFinite(r.ms) && Number.isFinite(node.ms) ? `${(node.ms / r.ms).toFixed(2)}×` : '');
      }
      line.push(wheres.map((w) => (cells.has(w) ? fmtErr(cells.get(w)!.maxRelError, tol) : 'n/a')).join(' / '));
      line.push(wheres.map((w) => (cells.get(w)?.timing === 'timestamp' ? 'ts' : cells.get(w)?.timing ?? 'n/a')).join(' / '));
      const notes = wheres.map((w) => [w, cells.get(w)?.note ?? ''] as const).filter(([, n]) => n);
      const same = notes.length > 0 && notes.every(([, n]) => n === notes[0]![1]) && notes.length === cells.size;
      line.push(same ? notes[0]![1] : notes.map(([w, n]) => `${w === 'node' ? 'Node' : w}: ${n}`).join('; '));
      out.push(`| ${line.join(' | ')} |`);
    }
  }
  return out;
}

/** "firefox, forward: this library 1.45 images/s = 0.98× TF.js 4.22.0 webgpu (1.48), ..." per browser and pass. */
export function formatPeers(rows: ResultRow[], browsers: readonly Where[]): string[] {
  const out: string[] = [];
  for (const where of browsers) {
    for (const workload of ['forward', 'train']) {
      const lib = rows.find((r) => r.where === where && r.workload === workload && r.engine === 'library');
      const peers = rows.filter((r) => r.where === where && r.workload === workload && r.engine !== 'library');
      if (!lib || !peers.length) continue;
      const ips = lib.imagesPerSec!;
      const parts = peers.map((p) => `${(ips / p.imagesPerSec!).toFixed(2)}× ${p.version} (${fmt(p.imagesPerSec!)})`);
      out.push(`${where}, ${workload === 'train' ? 'training step' : 'forward'}: this library ${fmt(ips)} images/s = ${parts.join(', ')}`);
    }
  }
  return out;
}
