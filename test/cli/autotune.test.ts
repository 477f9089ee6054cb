// `alexnet tune` and the autotune cache file: written atomically and merged per adapter, read
// back by every command (unless --no-autotune or WEBGPU_ALEXNET_AUTOTUNE=0), a broken file
// reported by name and ignored.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { hasGpu } from '../helpers/adapter.js';
import { main } from '../../src/node/cli.js';
import type { CliIO } from '../../src/node/commands/common.js';
import { defaultTuneCachePath, readTuneCache, saveTuneEntries } from '../../src/node/autotune-cache.js';


async function run(...argv: string[]) {
  const io: CliIO & { out: string; err: string } = {
    out: '', err: '', isTTY: false,
    stdout: (s: string) => void (io.out += s),
    stderr: (s: string) => void (io.err += s),
  };
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

const root = mkdtempSync(join(tmpdir(), 'alexnet-tune-test-'));
const saved = { cache: process.env.WEBGPU_ALEXNET_AUTOTUNE_CACHE, off: process.env.WEBGPU_ALEXNET_AUTOTUNE };
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  for (const [k, v] of [['WEBGPU_ALEXNET_AUTOTUNE_CACHE', saved.cache], ['WEBGPU_ALEXNET_AUTOTUNE', saved.off]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('autotune cache file', () => {
  it("the test run's cache is in its own temp folder, never the user's (test/helpers/global-setup.ts)", () => {
    const path = defaultTuneCachePath();
    expect(path.startsWith(join(tmpdir(), 'alexnet-test-run-'))).toBe(true);
    expect(path.startsWith(join(homedir(), '.cache'))).toBe(false);
  });

  it('defaults to the user cache folder; the environment names another', () => {
    expect(defaultTuneCachePath({ XDG_CACHE_HOME: '/c' })).toBe(join('/c', 'webgpu-alexnet', 'autotune.json'));
    expect(defaultTuneCachePath({ WEBGPU_ALEXNET_AUTOTUNE_CACHE: '/x/t.json', XDG_CACHE_HOME: '/c' })).toBe('/x/t.json');
  });

  it('merges entries per adapter, keeps other adapters, and names a broken file', async () => {
    const f = join(root, 'sub', 'merge.json');
    await saveTuneEntries('gpu A', { 'conv2d|a': { choice: 'implicit', rule: 'implicit', ms: { implicit: 1 } } }, f);
    await saveTuneEntries('gpu B', { 'conv2d|a': { choice: 'gemm', rule: 'implicit', ms: { gemm: 1, implicit: 2 } } }, f);
    await saveTuneEntries('gpu A', { 'matmul|b': { choice: 'vec4', rule: 'vec4', ms: { vec4: 1 } } }, f);
    const c = readTuneCache(f)!;
    expect(Object.keys(c.adapters).sort()).toEqual(['gpu A', 'gpu B']);
    expect(Object.keys(c.adapters['gpu A']!).sort()).toEqual(['conv2d|a', 'matmul|b']);
    expect(readdirSync(join(root, 'sub'))).toEqual(['merge.json']); // no temporary file left
    writeFileSync(f, '{"format": 1, "adapters": ');
    expect(() => readTuneCache(f)).toThrow(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a readable JSON autotune cache`));
    expect(readTuneCache(join(root, 'none.json'))).toBeNull();
  });
});

describe.skipIf(!hasGpu)('alexnet tune', () => {
  const args = ['--model', 'paper', '--width', '0.125', '--input-size', '67', '--batch-size', '2', '--classes', '2', '--runs', '1'];
  const file = join(root, 'autotune.json');

  it('tunes a small step, saves the table, shows it, and other commands load it', async () => {
    const dry = await run('tune', ...args, '--dry-run', '--json', '--cache', file);
    expect(dry.code).toBe(0);
    const parsed = JSON.parse(dry.out) as { adapter: string; entries: Record<string, { choice: string; rule: string }> };
    expect(Object.keys(parsed.entries).length).toBeGreaterThan(10);
    expect(existsSync(file)).toBe(false);

    const r = await run('tune', ...args, '--cache', file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\| problem \| rule \| tuned \| ms per version \| left out \|/);
    expect(r.out).toMatch(new RegExp(`problems, saved to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const c = JSON.parse(readFileSync(file, 'utf8'));
    const entries = c.adapters[parsed.adapter];
    expect(Object.keys(entries).length).toBe(Object.keys(parsed.entries).length);

    const show = await run('tune', '--show', '--cache', file);
    expect(show.out).toContain('conv2d|n2 c3 67x67');

    process.env.WEBGPU_ALEXNET_AUTOTUNE_CACHE = file;
    const n = Object.keys(entries).length;
    const prof = ['profile', '--model', 'paper', '--width', '0.125', '--input-size', '67', '--batch-size', '2', '--classes', '2', '--steps', '1'];
    const used = await run(...prof);
    expect(used.code).toBe(0);
    expect(used.err).toContain(`autotune: ${n} measured kernel choices for this adapter from ${file}`);
    expect((await run(...prof, '--no-autotune')).err).not.toContain('autotune:');
    process.env.WEBGPU_ALEXNET_AUTOTUNE = '0';
    expect((await run(...prof)).err).not.toContain('autotune:');
    delete process.env.WEBGPU_ALEXNET_AUTOTUNE;
    // a broken file: a warning naming it, and the command still runs on the rules
    writeFileSync(file, '{"format": 7, "adapters": {}}');
    const broken = await run(...prof);
    expect(broken.code).toBe(0);
    expect(broken.err).toContain(`warning: ignoring the autotune cache: ${file}: format 7 is not 1`);
  }, 900_000); // bounded by its work (two tunes with --runs 1, four one-step profiles); slow only on a busy machine
});
