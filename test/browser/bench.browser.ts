// The browser benchmark's harness (npm run bench:browser, bench/browser/run.ts) at a tiny size
// in both browsers: one conv layer (conv3), batch 1, one version's three passes, one timed run,
// without Node's column or the peers. Each browser must give back every row, timed and with
// its error against the float64 oracle under the harness's tolerance, and the run must end
// with no failure (no job that threw, no request outside 127.0.0.1, no missing file).
import { describe, expect, it } from 'vitest';
import { parseBrowserBenchArgs, runBrowserBench } from '../../bench/browser/run.js';

describe('npm run bench:browser at a tiny size', () => {
  it('gives each browser conv3 rows with errors under the tolerance', async () => {
    const o = parseBrowserBenchArgs([
      'conv', '--layers', 'conv3', '--batch', '1', '--versions', '03_implicit_gemm', '--repeats', '1',
      '--no-node', '--no-peers', '--job-timeout', '200',
    ]);
    const log: string[] = [];
    const r = await runBrowserBench(o, (s) => log.push(s));
    expect(r.failures, log.join('\n')).toEqual([]);
    for (const where of ['chromium', 'firefox'] as const) {
      const rows = r.rows.filter((x) => x.where === where);
      expect(rows.map((x) => x.bench).sort(), `${where}: ${log.join('\n')}`).toEqual(['conv3 dgrad b1', 'conv3 forward b1', 'conv3 wgrad b1']);
      for (const row of rows) {
        expect(row.version).toBe('03_implicit_gemm');
        expect(row.engine).toBe('library');
        expect(['timestamp', 'wall']).toContain(row.timing);
        expect(row.gflops).toBeGreaterThan(0);
        expect(row.maxRelError).not.toBeNull();
        expect(row.maxRelError!).toBeLessThan(o.tolerance);
      }
      expect(r.engines.find((e) => e.where === where)?.adapter).toBeTruthy();
    }
  });
});
