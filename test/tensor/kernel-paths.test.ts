// Kernel paths are typed: scripts/embed-wgsl.mjs writes `KernelPath`, the union of the real
// WGSL paths, and Device.dispatch / Device.pipeline take only that. The function below is
// never run: `npm run typecheck` compiles this file (tsconfig.test.json), and each
// `@ts-expect-error` line fails the typecheck if a wrong path ever compiles again.

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WGSL, type KernelPath } from '../../src/kernels/wgsl.generated.js';
import type { Device } from '../../src/tensor/device.js';

export function compileTimeChecks(d: Device): KernelPath[] {
  d.dispatch('elementwise/unary.wgsl', [], null, [0]);
  d.pipeline('conv2d/01_naive.wgsl');
  // @ts-expect-error a path that names no file
  d.dispatch('elementwise/unary_typo.wgsl', [], null, [0]);
  // @ts-expect-error a kernel's old name (renamed to conv2d/01_naive_dgrad.wgsl)
  d.pipeline('conv2d/dgrad_01_gather.wgsl');
  const name: string = 'matmul/01_naive.wgsl';
  // @ts-expect-error a plain string is not a kernel path
  d.pipeline(name);
  return ['matmul/01_naive.wgsl'];
}

const wgslDir = fileURLToPath(new URL('../../src/kernels/wgsl/', import.meta.url));

function wgslFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return wgslFiles(p);
    return n.endsWith('.wgsl') ? [relative(wgslDir, p).split('\\').join('/')] : [];
  });
}

describe('kernel paths', () => {
  it('the embedded kernels are exactly the .wgsl files, each with its source', () => {
    const keys = Object.keys(WGSL).sort();
    expect(keys).toEqual(wgslFiles(wgslDir).sort());
    for (const k of keys) expect(WGSL[k as KernelPath].length, k).toBeGreaterThan(20);
  });
});
