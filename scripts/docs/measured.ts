// SPDX-License-Identifier: MIT
// The measured ladder of docs/conv2d.md: benchmark rows in (the JSON of `npm run bench --
// conv matmul --json`, or the JSON lines of `node dist/bench/conv2d-cli.js --json`), one table
// per device out. A device's measurements live in docs/data/measured-<id>.json (dated, with
// the adapter and the command that made them); the tables are drawn from those files and
// from the ladders' own listings (conv2dVersions, matmulVersions), so a new rung shows up as
// a row (empty until it is measured) as soon as it is in the listing.

import { conv2dVersions, convShape, type ConvShape } from '../../src/tensor/ops/conv2d/index.js';
import { matmulVersionOf, matmulVersions } from '../../src/tensor/ops/matmul/index.js';

export interface ConvRow { layer: string; pass: string; version: string; batch: number; ms: number; gflops: number; maxRelError: number | null }
export interface MatmulRow { problem: string; shape: string; version: string; ms: number; gflops: number; maxRelError: number | null }

/** One device's measurements (a docs/data/measured-<id>.json file). */
export interface Measured {
  /** short name used in the doc's headings: 'lavapipe', 'H100' */
  device: string;
  /** the adapter as Device.describe() printed it, and the driver */
  adapter: string;
  /** where and when: the date of the run (YYYY-MM-DD), the machine, the command */
  date: string;
  machine: string;
  source: string;
  /** caveats (a noisy machine, figures copied from a record, ...) */
  note?: string;
  /** the device's FP32 peak in GFLOP/s, when known: the tables then give % of peak */
  peakGflops?: number | null;
  conv: ConvRow[];
  matmul: MatmulRow[];
  /** why a table has no rows, when it has none on purpose */
  matmulNote?: string;
  /** the version names each ladder listed when the run was made (an import records them): a
   *  version missing from it gets "not yet measured" in the tables, not "not run" */
  ladder?: Ladder;
}

export interface Ladder { conv: string[]; matmul: string[] }

/** The version names both ladders list today. */
export const ladderNow = (): Ladder => ({ conv: [...new Set(conv2dVersions().map((v) => v.name))], matmul: matmulVersions().map((v) => v.name) });

/** The note for a row a device's data lacks: a version newer than the run, or `otherwise`. */
const missing = (m: Measured, kind: keyof Ladder, version: string, otherwise: string): string =>
  m.ladder && !m.ladder[kind].includes(version) ? 'not yet measured: new since this run' : otherwise;

/** The AlexNet layers the benchmark runs (bench/conv2d.ts), by name: batch 1, no groups. */
export const LAYERS: Record<string, ConvShape> = {
  conv1: convShape([1, 3, 227, 227], [96, 3, 11, 11], { stride: 4 }),
  conv2: convShape([1, 96, 27, 27], [256, 96, 5, 5], { padding: 2 }),
  conv3: convShape([1, 256, 13, 13], [384, 256, 3, 3], { padding: 1 }),
  conv4: convShape([1, 384, 13, 13], [384, 384, 3, 3], { padding: 1 }),
  conv5: convShape([1, 384, 13, 13], [256, 384, 3, 3], { padding: 1 }),
};

/** The tables the doc shows: the whole conv ladder on one layer, and the strided rung on conv1. */
export const CONV_TABLES = [
  { id: 'conv3', layer: 'conv3', title: 'every rung and pass on conv3 (13²×256→384, 3×3, padding 1)' },
  { id: 'conv1', layer: 'conv1', title: 'the strided layer conv1 (227²×3→96, 11×11, stride 4): 03 against space-to-depth + Winograd (04, 06)', versions: ['03_implicit_gemm', '04_winograd_s2d', '06_winograd_gemm_s2d'] },
] as const;
/** The matmul problems the doc's matmul table shows (names as bench/matmul.ts prints them). */
export const MATMUL_PROBLEMS = ['1024³', 'fc7 b8 dgrad (dY·W)'];

const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

/**
 * Benchmark rows of either format, sorted into conv and matmul rows: run.ts's `--json` array
 * (`bench: 'conv3 forward b8'` / `'matmul 1024³'`) or conv2d.ts's JSON lines (`layer`, `pass`, `batch`).
 */
export function parseBenchOutput(text: string): { conv: ConvRow[]; matmul: MatmulRow[]; adapters: string[] } {
  const t = text.trim();
  let rows: Array<Record<string, unknown>>;
  if (t.startsWith('[')) rows = JSON.parse(t) as Array<Record<string, unknown>>;
  else rows = t.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const conv: ConvRow[] = [];
  const matmul: MatmulRow[] = [];
  const adapters = new Set<string>();
  for (const r of rows) {
    if (typeof r.device === 'string') adapters.add(r.device);
    const err = typeof r.maxRelError === 'number' ? r.maxRelError : null;
    if (typeof r.layer === 'string') {
      conv.push({ layer: r.layer, pass: String(r.pass), version: String(r.version), batch: num(r.batch), ms: num(r.ms), gflops: num(r.gflops), maxRelError: err });
      continue;
    }
    const bench = String(r.bench ?? '');
    const c = /^(conv\d) (forward|dgrad|wgrad) b(\d+)$/.exec(bench);
    if (c) {
      conv.push({ layer: c[1]!, pass: c[2]!, version: String(r.version), batch: Number(c[3]), ms: num(r.ms), gflops: num(r.gflops), maxRelError: err });
    } else if (bench.startsWith('matmul ') && Number.isFinite(num(r.ms))) {
      matmul.push({ problem: bench.slice(7), shape: String(r.shape), version: matmulVersionOf(String(r.version)) ?? String(r.version), ms: num(r.ms), gflops: num(r.gflops), maxRelError: err });
    }
  }
  return { conv, matmul, adapters: [...adapters] };
}

const fmt = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '');
const fmtErr = (v: number | null): string => (v === null || !Number.isFinite(v) ? '' : v.toExponential(1));
/** A device that does tens of TFLOP/s gets its rates in TFLOP/s, others in GFLOP/s. */
const tera = (m: Measured): boolean => (m.peakGflops ?? 0) >= 10000;
const rateHead = (m: Measured): string => (tera(m) ? 'TFLOP/s' : 'GFLOP/s');
const rate = (m: Measured, gflops: number): string => (!Number.isFinite(gflops) ? '' : tera(m) ? (gflops / 1000).toFixed(2) : gflops.toFixed(2));
const pct = (m: Measured, gflops: number): string => (m.peakGflops && Number.isFinite(gflops) ? `${Math.round((100 * gflops) / m.peakGflops)}%` : '');

/** The caption of a device's tables: what, where, when, how. */
export function caption(m: Measured): string {
  return `**${m.device}**: \`${m.adapter}\`, ${m.machine}; ${m.date}; ${m.source}.${m.note ? ` ${m.note}` : ''}`;
}

/** The rows of one conv table: every (version, pass) of the ladder, in reading order. */
export function convTable(m: Measured, table: (typeof CONV_TABLES)[number], versions?: readonly string[]): string {
  const s = LAYERS[table.layer]!;
  const peak = !!m.peakGflops;
  const head = `| rung | pass | batch | ms | ${rateHead(m)} |${peak ? ' % of peak |' : ''} max rel. error | note |`;
  const rule = `|---|---|---:|---:|---:|${peak ? '---:|' : ''}---:|---|`;
  const out = [head, rule];
  const only = versions ?? ('versions' in table ? table.versions : undefined);
  for (const v of conv2dVersions()) {
    if (only && !only.includes(v.name)) continue;
    const why = v.unsupported(s);
    const row = m.conv.find((r) => r.layer === table.layer && r.pass === v.pass && r.version === v.name);
    const note = why ? `cannot run ${table.layer}: ${why}` : row ? '' : missing(m, 'conv', v.name, 'no figure recorded');
    const cells = row && !why
      ? [String(row.batch), fmt(row.ms, 2), rate(m, row.gflops), ...(peak ? [pct(m, row.gflops)] : []), fmtErr(row.maxRelError)]
      : ['', '', '', ...(peak ? [''] : []), ''];
    out.push(`| \`${v.name}\` | ${v.pass} | ${cells.join(' | ')} | ${note} |`);
  }
  return out.join('\n');
}

/** The matmul table: every version on each of MATMUL_PROBLEMS, or the reason there is none. */
export function matmulTable(m: Measured): string {
  if (!m.matmul.length) return m.matmulNote ?? 'No matmul figures recorded for this device.';
  const peak = !!m.peakGflops;
  const out = [`| version | problem (M×N×K) | ms | ${rateHead(m)} |${peak ? ' % of peak |' : ''} max rel. error | note |`, `|---|---|---:|---:|${peak ? '---:|' : ''}---:|---|`];
  for (const problem of MATMUL_PROBLEMS) {
    for (const v of matmulVersions()) {
      const row = m.matmul.find((r) => r.problem === problem && r.version === v.name);
      const shape = m.matmul.find((r) => r.problem === problem)?.shape ?? '';
      const cells = row ? [fmt(row.ms, 2), rate(m, row.gflops), ...(peak ? [pct(m, row.gflops)] : []), fmtErr(row.maxRelError)] : ['', '', ...(peak ? [''] : []), ''];
      out.push(`| \`${v.name}\` | ${problem}${shape ? ` (${shape})` : ''} | ${cells.join(' | ')} | ${row ? '' : missing(m, 'matmul', v.name, 'not run on this problem')} |`);
    }
  }
  return out.join('\n');
}

/** One rung's rows on every device (the "Measured" block of its section in the doc): its
 *  passes on the first table's layer that it can run (conv3; conv1 for the strided rung). */
export function rungRows(all: readonly Measured[], version: string): string {
  const out = ['| device | layer | pass | batch | ms | GFLOP/s | max rel. error |', '|---|---|---|---:|---:|---:|---:|'];
  const passes = conv2dVersions().filter((v) => v.name === version);
  const table = CONV_TABLES.find((t) => (!('versions' in t) || (t.versions as readonly string[]).includes(version)) && passes.some((v) => !v.unsupported(LAYERS[t.layer]!)));
  if (!table) throw new Error(`docs: no measured table has a layer that ${version} can run (CONV_TABLES in scripts/docs/measured.ts)`);
  for (const m of all) {
    for (const v of passes) {
      if (v.unsupported(LAYERS[table.layer]!)) continue;
      const row = m.conv.find((r) => r.layer === table.layer && r.pass === v.pass && r.version === v.name);
      const cells = row ? [String(row.batch), fmt(row.ms, 2), fmt(row.gflops, row.gflops >= 100 ? 0 : 2), fmtErr(row.maxRelError)] : ['', '', '', ''];
      out.push(`| ${m.device} | ${table.layer} | ${v.pass} | ${cells.join(' | ')} |`);
    }
  }
  const newer = all.filter((m) => m.ladder && !m.ladder.conv.includes(version)).map((m) => m.device);
  const why = newer.length ? ` (${newer.join(', ')}: not yet measured, the rung is newer than the run)` : '';
  out.push('', `Empty cells: no figure recorded on that device${why}. Dates, machines and caveats: [the ladder, measured](#the-ladder-measured).`);
  return out.join('\n');
}

/** Checks a measured file's fields; returns it, or throws naming the file and the field. */
export function checkMeasured(v: unknown, file: string): Measured {
  const m = v as Partial<Measured>;
  const bad = (why: string): never => {
    throw new Error(`${file}: ${why}`);
  };
  for (const k of ['device', 'adapter', 'date', 'machine', 'source'] as const) if (typeof m[k] !== 'string' || !m[k]) bad(`"${k}" must be a non-empty string`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(m.date!)) bad(`"date" must be YYYY-MM-DD, not ${JSON.stringify(m.date)}`);
  if (!Array.isArray(m.conv) || !Array.isArray(m.matmul)) bad('"conv" and "matmul" must be arrays');
  const versions = new Set(conv2dVersions().map((x) => `${x.name} ${x.pass}`));
  for (const r of m.conv!) {
    if (!LAYERS[r.layer]) bad(`conv row ${JSON.stringify(r)}: no layer ${r.layer}`);
    if (!versions.has(`${r.version} ${r.pass}`)) bad(`conv row ${JSON.stringify(r)}: no version ${r.version} with a ${r.pass} pass`);
  }
  for (const r of m.matmul!) if (!matmulVersionOf(r.version)) bad(`matmul row ${JSON.stringify(r)}: no version ${r.version}`);
  if (m.ladder !== undefined) {
    const l = m.ladder as Partial<Ladder>;
    if (!Array.isArray(l.conv) || !Array.isArray(l.matmul)) bad('"ladder" must be { conv: [names], matmul: [names] }');
    const now = ladderNow();
    for (const kind of ['conv', 'matmul'] as const) {
      const gone = l[kind]!.filter((v) => !now[kind].includes(v));
      if (gone.length) bad(`"ladder.${kind}" names versions that no longer exist: ${gone.join(', ')}`);
      const unlisted = m[kind]!.map((r) => r.version).filter((v) => !l[kind]!.includes(v));
      if (unlisted.length) bad(`${kind} rows of versions "ladder.${kind}" does not list: ${[...new Set(unlisted)].join(', ')}`);
    }
  }
  return m as Measured;
}
