// The browser benchmark's Node side without a browser (npm run bench:browser, bench/browser/):
// its command line, its version filter, its tables, and its server (what it serves, the
// Content-Security-Policy on every response, a missing file or a path out of its folders
// recorded as a problem).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBrowserBenchArgs } from '../../bench/browser/run.js';
import { CSP, serveBench } from '../../bench/browser/serve.js';
import { formatTables, overTolerance, type ResultRow } from '../../bench/browser/table.js';
import { versionWanted } from '../../bench/common.js';

describe('bench:browser command line', () => {
  it('defaults to the five workloads, both browsers, both peers and Node', () => {
    const o = parseBrowserBenchArgs([]);
    expect(o.workloads).toEqual(['matmul', 'conv', 'optim', 'forward', 'train']);
    expect(o.browsers).toEqual(['chromium', 'firefox']);
    expect(o.peers).toEqual({ tfjs: true, ort: true });
    expect(o.node).toBe(true);
  });

  it('reads workloads and options', () => {
    const o = parseBrowserBenchArgs(['conv', 'train', '--browsers', 'firefox', '--layers', 'conv2,conv5', '--versions', '03_vec4,04_winograd',
      '--batch', '2', '--repeats', '4', '--peers', 'ort', '--no-node', '--json']);
    expect(o.workloads).toEqual(['conv', 'train']);
    expect(o.browsers).toEqual(['firefox']);
    expect(o.work).toEqual({ layers: ['conv2', 'conv5'], versions: ['03_vec4', '04_winograd'], batch: 2, repeats: 4 });
    expect(o.peers).toEqual({ tfjs: false, ort: true });
    expect([o.node, o.json]).toEqual([false, true]);
    expect(parseBrowserBenchArgs(['--no-peers']).peers).toEqual({ tfjs: false, ort: false });
    expect(parseBrowserBenchArgs(['--node-without-subgroups']).nodeWithoutSubgroups).toBe(true);
    expect(parseBrowserBenchArgs([]).nodeWithoutSubgroups).toBeUndefined();
    const k = parseBrowserBenchArgs(['train', '--kernels']);
    expect([k.work.kernels, k.profile]).toEqual([true, true]);
  });

  it('names what it cannot read', () => {
    expect(() => parseBrowserBenchArgs(['--batch', '0'])).toThrow("--batch: expected a positive integer, got '0'");
    expect(() => parseBrowserBenchArgs(['--batch', '1.5'])).toThrow('--batch');
    expect(() => parseBrowserBenchArgs(['--browsers', 'safari'])).toThrow("unknown browser 'safari'");
    expect(() => parseBrowserBenchArgs(['--peers', 'torch'])).toThrow("unknown peer 'torch'");
    expect(() => parseBrowserBenchArgs(['convs'])).toThrow("unknown workload 'convs'");
    expect(() => parseBrowserBenchArgs(['--layer', 'conv1'])).toThrow('unknown option --layer');
    expect(() => parseBrowserBenchArgs(['--layers', 'conv6'])).toThrow("unknown layer 'conv6'");
  });
});

describe('version filter', () => {
  it('takes a version by name or by kernel file stem', () => {
    expect(versionWanted(undefined, 'vec4', 'matmul/03_vec4.wgsl')).toBe(true);
    expect(versionWanted(['vec4'], 'vec4', 'matmul/03_vec4.wgsl')).toBe(true);
    expect(versionWanted(['03_vec4'], 'vec4', 'matmul/03_vec4.wgsl')).toBe(true);
    expect(versionWanted(['03_vec4'], 'naive', 'matmul/01_naive.wgsl')).toBe(false);
    expect(versionWanted(['04_winograd'], '04_winograd')).toBe(true);
    expect(versionWanted(['04_winograd'], '04_winograd_s2d')).toBe(false);
  });
});

describe('bench:browser tables', () => {
  const row = (where: ResultRow['where'], ms: number, err: number | null, extra: Partial<ResultRow> = {}): ResultRow => ({
    where, engine: 'library', workload: 'conv', bench: 'conv3 forward b8', shape: '256x13x13->384 k3', version: '03_implicit_gemm',
    ms, gflops: 2.4 / ms, maxRelError: err, timing: 'timestamp', ...extra,
  });

  it('puts each browser beside Node with its speed over Node and every error', () => {
    const rows = [row('node', 100, 2e-6), row('chromium', 400, 3e-6, { timing: 'wall' }), row('firefox', 250, 4e-6)];
    const lines = formatTables(rows, ['conv'], ['node', 'chromium', 'firefox'], 1e-3);
    const line = lines.find((l) => l.startsWith('| conv3 forward b8'))!;
    expect(line).toBe('| conv3 forward b8 | 256x13x13->384 k3 | 03_implicit_gemm | 0.0240 | 0.00600 | 0.25× | 0.00960 | 0.40× | 2.0e-6 / 3.0e-6 / 4.0e-6 | ts / wall / ts |  |');
    expect(overTolerance(rows, 1e-3)).toEqual([]);
  });

  it('marks an error over the tolerance, and a NaN error, as failures', () => {
    const rows = [row('node', 100, 2e-6), row('firefox', 250, 5e-2), row('chromium', 300, NaN)];
    const lines = formatTables(rows, ['conv'], ['node', 'chromium', 'firefox'], 1e-3);
    expect(lines.find((l) => l.startsWith('| conv3'))).toContain('5.0e-2 (over tolerance)');
    expect(overTolerance(rows, 1e-3).map((r) => r.where)).toEqual(['firefox', 'chromium']);
  });

  it('shows images/s for whole-model rows and leaves a missing engine empty', () => {
    const rows = [
      row('node', 2000, null, { workload: 'forward', bench: 'AlexNet forward b8', shape: '227x227', version: 'default', imagesPerSec: 4, timing: 'wall' }),
      row('firefox', 5000, null, { workload: 'forward', bench: 'AlexNet forward b8', shape: '227x227', version: 'TF.js 4.22.0 webgpu', engine: 'tfjs', imagesPerSec: 1.6, timing: 'wall' }),
    ];
    const lines = formatTables(rows, ['forward'], ['node', 'firefox'], 1e-3);
    expect(lines).toContain('forward (images/s; × Node: the browser\'s speed over Node\'s)');
    expect(lines).toContain('| AlexNet forward b8 | 227x227 | TF.js 4.22.0 webgpu |  | 1.60 |  | n/a / - | n/a / wall |  |');
  });
});

describe('bench:browser server', () => {
  it('serves its folders on 127.0.0.1 with the policy, and records a missing file or a path outside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'));
    mkdirSync(join(dir, 'web'));
    mkdirSync(join(dir, 'ort'));
    writeFileSync(join(dir, 'web', 'index.html'), '<p>page</p>');
    writeFileSync(join(dir, 'ort', 'x.wasm'), new Uint8Array([0, 97, 115, 109]));
    writeFileSync(join(dir, 'secret.txt'), 'outside');
    const s = await serveBench({ '/': join(dir, 'web'), '/ort/': join(dir, 'ort') });
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(s.url);
      expect(await page.text()).toBe('<p>page</p>');
      expect(page.headers.get('content-security-policy')).toBe(CSP);
      expect(CSP).toContain("default-src 'self'");
      const wasm = await fetch(`${s.origin}/ort/x.wasm`);
      expect(wasm.headers.get('content-type')).toBe('application/wasm');
      expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(new Uint8Array([0, 97, 115, 109]));
      expect(s.problems).toEqual([]);
      expect((await fetch(`${s.origin}/missing.js`)).status).toBe(404);
      expect((await fetch(`${s.origin}/ort/..%2Fsecret.txt`)).status).toBe(404);
      expect(s.problems).toEqual(['GET /missing.js: not found', 'GET /ort/../secret.txt: not found']);
      expect(s.requests).toHaveLength(4);
    } finally {
      await s.close();
    }
  });
});
