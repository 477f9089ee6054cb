// SPDX-License-Identifier: MIT
// What the browser benchmark's pages need on disk before a browser starts: the page's bundles
// (esbuild, from bench/browser/page/ and the library's source) and, for the onnxruntime-web
// peer, the peer AlexNet exported from PyTorch (bench/browser/export_onnx.py with Debian's
// python3-torch) into an ignored folder, made again only when the script changes or a batch
// is missing.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bundles page.js (and the peers' bundles asked for) with index.html into `out`. */
export async function bundlePage(root: string, out: string, peers: { tfjs: boolean; ort: boolean }): Promise<void> {
  const { build } = await import('esbuild');
  mkdirSync(out, { recursive: true });
  const dir = join(root, 'bench', 'browser', 'page');
  const entryPoints: Record<string, string> = { page: join(dir, 'page.ts') };
  if (peers.tfjs) entryPoints['peer-tfjs'] = join(dir, 'peer-tfjs.ts');
  if (peers.ort) entryPoints['peer-ort'] = join(dir, 'peer-ort.ts');
  await build({
    entryPoints, outdir: out, bundle: true, platform: 'browser', format: 'esm', target: 'es2022',
    sourcemap: true, logLevel: 'warning',
  });
  copyFileSync(join(dir, 'index.html'), join(out, 'index.html'));
}

/** The system's Python with Debian's python3-torch (the peer harness's PyTorch). */
export const PYTHON = '/usr/bin/python3';

/**
 * The folder with alexnet.onnx and each batch's input and PyTorch logits, exported when missing
 * or made by another version of the export script. Throws with what to install when it cannot.
 */
export function ensureOnnx(root: string, dir: string, batch: number, log: (s: string) => void): string {
  const scripts = ['bench/browser/export_onnx.py', 'bench/torch_alexnet.py'];
  const hash = createHash('sha256');
  for (const s of scripts) hash.update(readFileSync(join(root, s)));
  const stamp = hash.digest('hex').slice(0, 16);
  const stampFile = join(dir, 'source.json');
  let batches: number[] = [];
  if (existsSync(stampFile)) {
    const s = JSON.parse(readFileSync(stampFile, 'utf8')) as { stamp: string; batches: number[] };
    if (s.stamp === stamp) batches = s.batches;
  }
  const have = batches.includes(batch) && ['alexnet.onnx', `input-b${batch}.bin`, `logits-b${batch}.bin`].every((f) => existsSync(join(dir, f)));
  if (have) return dir;
  const want = [...new Set([...batches, batch])].sort((a, b) => a - b);
  if (!existsSync(PYTHON)) throw new Error(`onnxruntime-web peer: ${PYTHON} is missing (install python3 and python3-torch from Debian, or leave the peer out: --peers tfjs)`);
  log(`exporting the peer AlexNet to ONNX with PyTorch (${scripts[0]}, batches ${want.join(', ')}) into ${dir} ...`);
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync(PYTHON, [join(root, scripts[0]!), '--out', dir, ...want.flatMap((b) => ['--batch', String(b)])], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    throw new Error(`onnxruntime-web peer: ${scripts[0]} failed (${(e as Error).message.split('\n')[0]}); it needs Debian's python3-torch (bash scripts/setup.sh --bench, or apt-get install python3-torch), or leave the peer out: --peers tfjs`);
  }
  writeFileSync(stampFile, JSON.stringify({ stamp, batches: want }) + '\n');
  return dir;
}
