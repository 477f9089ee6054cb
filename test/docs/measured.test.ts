// The measured ladder's data: benchmark output of either format is read into a device's file,
// one import replacing the last, labelled or refused; the tables have a row for every rung and
// pass of the ladder, measured or not.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conv2dVersions } from '../../src/tensor/ops/conv2d/index.js';
import { checkMeasured, CONV_TABLES, convTable, ladderNow, matmulTable, parseBenchOutput, rungRows, type Measured } from '../../scripts/docs/measured.js';
import { importMeasured } from '../../scripts/docs/update.js';

const root = mkdtempSync(join(tmpdir(), 'docs-measured-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ADAPTER = 'some adapter / driver 1.2';
const lines = [
  { layer: 'conv3', pass: 'forward', version: '03_implicit_gemm', batch: 8, ms: 100.5, gflops: 23.8, maxRelError: 1.9e-4, device: ADAPTER },
  { layer: 'conv3', pass: 'wgrad', version: '04_winograd', batch: 8, ms: 51.4, gflops: 46.5, maxRelError: 1.8e-4, device: ADAPTER },
].map((r) => JSON.stringify(r)).join('\n');
const array = JSON.stringify([
  { bench: 'conv3 dgrad b8', shape: '256x13x13->384 k3', version: '01_naive', ms: 600, gflops: 4, maxRelError: 2e-5, device: ADAPTER },
  { bench: 'matmul 1024³', shape: '1024x1024x1024', version: 'vec4', ms: 157.8, gflops: 13.61, maxRelError: 6.3e-6, device: ADAPTER },
  { bench: 'matmul 2048³', shape: '2048x2048x2048', version: 'naive', ms: null, gflops: null, maxRelError: null, device: ADAPTER },
]);

describe('measured ladder data', () => {
  it('reads both benchmark formats, and old matmul names as file stems', () => {
    const a = parseBenchOutput(lines);
    const b = parseBenchOutput(array);
    expect(a.conv.map((r) => `${r.layer} ${r.pass} ${r.version} b${r.batch}`)).toEqual(['conv3 forward 03_implicit_gemm b8', 'conv3 wgrad 04_winograd b8']);
    expect(b.conv.map((r) => `${r.pass} ${r.version}`)).toEqual(['dgrad 01_naive']);
    expect(b.matmul.map((r) => `${r.problem} ${r.version}`)).toEqual(['1024³ 03_vec4']); // the skipped naive row is left out
    expect([...a.adapters, ...b.adapters]).toEqual([ADAPTER, ADAPTER]);
  });

  it('imports one run as a device\'s file, dated and labelled, replacing the last one', () => {
    mkdirSync(join(root, 'docs', 'data'), { recursive: true });
    writeFileSync(join(root, 'a.jsonl'), lines);
    writeFileSync(join(root, 'b.json'), array);
    const o = { date: '2026-12-07', machine: 'a test machine', source: 'made up rows', note: 'not a result' };
    const p = importMeasured(root, 'Test GPU', [join(root, 'a.jsonl'), join(root, 'b.json')], { ...o, peak: 1000 });
    expect(p).toBe(join(root, 'docs', 'data', 'measured-test-gpu.json'));
    const m = checkMeasured(JSON.parse(readFileSync(p, 'utf8')), p);
    expect([m.device, m.adapter, m.date, m.machine, m.note, m.peakGflops, m.conv.length, m.matmul.length]).toEqual(['Test GPU', ADAPTER, '2026-12-07', 'a test machine', 'not a result', 1000, 3, 1]);
    expect(m.ladder).toEqual(ladderNow()); // the versions of the run, for "not yet measured" later
    // the next import is another run: its own note (none), its rows only; the peak stays
    importMeasured(root, 'Test GPU', [join(root, 'a.jsonl')], { ...o, note: undefined });
    const n = JSON.parse(readFileSync(p, 'utf8')) as Measured;
    expect([n.note, n.peakGflops, n.conv.length, n.matmul.length]).toEqual([undefined, 1000, 2, 0]);
  });

  it('refuses an unlabelled import, two adapters, a bad date, an unknown version', () => {
    const f = join(root, 'a.jsonl');
    expect(() => importMeasured(root, 'X', [f], { source: 's' })).toThrow(/--import needs --machine/);
    writeFileSync(join(root, 'c.jsonl'), lines.replaceAll(ADAPTER, 'another adapter'));
    expect(() => importMeasured(root, 'X', [f, join(root, 'c.jsonl')], { machine: 'm', source: 's' })).toThrow(/2 adapters/);
    expect(() => importMeasured(root, 'X', [f], { machine: 'm', source: 's', date: '7 Dec' })).toThrow(/"date" must be YYYY-MM-DD/);
    const bad = { device: 'X', adapter: 'a', date: '2026-01-01', machine: 'm', source: 's', conv: [{ layer: 'conv3', pass: 'forward', version: '09_nothing', batch: 1, ms: 1, gflops: 1, maxRelError: null }], matmul: [] };
    expect(() => checkMeasured(bad, 'x.json')).toThrow(/x\.json: conv row .*no version 09_nothing/);
  });

  it('draws a row for every rung and pass, measured or not, with % of peak where the peak is known', () => {
    const m: Measured = { device: 'X', adapter: 'a', date: '2026-01-01', machine: 'm', source: 's', peakGflops: 47.6, conv: parseBenchOutput(lines).conv, matmul: [] };
    const t = convTable(m, CONV_TABLES[0]);
    const rows = t.split('\n').slice(2);
    expect(rows).toHaveLength(conv2dVersions().length);
    expect(t).toContain('| `03_implicit_gemm` | forward | 8 | 100.50 | 23.80 | 50% | 1.9e-4 |  |');
    expect(t).toContain('| `01_naive` | forward |  |  |  |  |  | no figure recorded |');
    expect(t).toMatch(/`04_winograd_s2d` \| forward .* cannot run conv3: stride 1x1/);
  });

  it('marks the versions newer than a run "not yet measured", and refuses a ladder that does not fit the rows', () => {
    const rows = parseBenchOutput(lines).conv;
    const mm = parseBenchOutput(array).matmul;
    const now = ladderNow();
    const old = { conv: now.conv.filter((v) => !v.startsWith('06_')), matmul: now.matmul.filter((v) => v !== '09_subgroup_broadcast') };
    const m: Measured = { device: 'X', adapter: 'a', date: '2026-01-01', machine: 'm', source: 's', conv: rows, matmul: mm, ladder: old };
    const t = convTable(m, CONV_TABLES[0]);
    expect(t).toContain('| `06_winograd_gemm` | forward |  |  |  |  | not yet measured: new since this run |');
    expect(t).toContain('| `01_naive` | forward |  |  |  |  | no figure recorded |');
    const mt = matmulTable(m);
    expect(mt).toMatch(/`09_subgroup_broadcast` \| 1024³ .*\| not yet measured: new since this run \|/);
    expect(mt).toMatch(/`08_image_operands` \| 1024³ .*\| not run on this problem \|/);
    expect(rungRows([m], '06_winograd_gemm')).toContain('(X: not yet measured, the rung is newer than the run)');
    expect(rungRows([m], '04_winograd')).not.toContain('not yet measured');
    // without a ladder (a file from before it was recorded) nothing is claimed about newness
    expect(convTable({ ...m, ladder: undefined }, CONV_TABLES[0])).not.toContain('not yet measured');
    expect(() => checkMeasured({ ...m, ladder: { conv: [...old.conv, '09_nothing'], matmul: old.matmul } }, 'x.json')).toThrow(/"ladder\.conv" names versions that no longer exist: 09_nothing/);
    expect(() => checkMeasured({ ...m, ladder: { conv: old.conv.filter((v) => v !== '04_winograd'), matmul: old.matmul } }, 'x.json')).toThrow(/conv rows of versions "ladder\.conv" does not list: 04_winograd/);
    expect(() => checkMeasured({ ...m, ladder: ['01_naive'] }, 'x.json')).toThrow(/"ladder" must be/);
  });
});
