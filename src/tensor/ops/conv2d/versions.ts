// SPDX-License-Identifier: MIT
// The ladder as a table: a version's name is its host file's stem (and the prefix of its
// WGSL files), and the table maps it to the passes that rung implements. conv2d and its
// gradients look the version up here (no switch); the autotuner tries every name listed;
// `conv2dVersions()` lists every (version, pass) with its kernel files for a page that runs
// each one on a shape and shows its WGSL (docs/conv2d.md, "API").

import { naive } from './01_naive.js';
import { im2col } from './02_im2col.js';
import { implicitGemm } from './03_implicit_gemm.js';
import { winograd } from './04_winograd.js';
import { winogradS2d } from './04_winograd_s2d.js';
import { tiledGemm } from './05_tiled_gemm.js';
import { winogradGemm } from './06_winograd_gemm.js';
import { winogradGemmS2d } from './06_winograd_gemm_s2d.js';
import type { ConvPass, Rung } from './rung.js';
import type { ConvShape } from './shape.js';

export type ConvVersion =
  | '01_naive' | '02_im2col' | '03_implicit_gemm' | '04_winograd' | '04_winograd_s2d' | '05_tiled_gemm'
  | '06_winograd_gemm' | '06_winograd_gemm_s2d';
export type DgradVersion = '01_naive' | '03_implicit_gemm' | '04_winograd' | '05_tiled_gemm' | '06_winograd_gemm';
export type WgradVersion = '01_naive' | '03_implicit_gemm' | '04_winograd' | '05_tiled_gemm' | '06_winograd_gemm' | '06_winograd_gemm_s2d';

/** Every rung, by version name, in reading order. */
export const CONV_LADDER: Readonly<Record<ConvVersion, Rung>> = {
  '01_naive': naive,
  '02_im2col': im2col,
  '03_implicit_gemm': implicitGemm,
  '04_winograd': winograd,
  '04_winograd_s2d': winogradS2d,
  '05_tiled_gemm': tiledGemm,
  '06_winograd_gemm': winogradGemm,
  '06_winograd_gemm_s2d': winogradGemmS2d,
};

const names = Object.keys(CONV_LADDER) as ConvVersion[];
const having = <V extends ConvVersion>(pass: ConvPass, everyConv: boolean) =>
  names.filter((v) => CONV_LADDER[v][pass] && !(everyConv && CONV_LADDER[v][pass]!.unsupported)) as V[];

/** Every version of each pass (the autotuner tries each one that can run the problem). */
export const ALL_CONV_VERSIONS: readonly ConvVersion[] = having<ConvVersion>('forward', false);
export const ALL_DGRAD_VERSIONS: readonly DgradVersion[] = having<DgradVersion>('dgrad', false);
export const ALL_WGRAD_VERSIONS: readonly WgradVersion[] = having<WgradVersion>('wgrad', false);
/** The versions that run every convolution (04 runs stride-1, dilation-1 ones: see `unsupported`). */
export const CONV_VERSIONS: readonly ConvVersion[] = having<ConvVersion>('forward', true);
export const DGRAD_VERSIONS: readonly DgradVersion[] = having<DgradVersion>('dgrad', true);
export const WGRAD_VERSIONS: readonly WgradVersion[] = having<WgradVersion>('wgrad', true);

interface VersionInfo<P extends ConvPass, V extends ConvVersion> {
  /** the version name: pass it as `version` to conv2d, conv2dBackwardData or conv2dBackwardWeight */
  name: V;
  pass: P;
  /** the WGSL files it dispatches, in order (keys of the embedded WGSL sources, e.g. 'conv2d/01_naive.wgsl') */
  wgsl: readonly string[];
  /** what else runs that `wgsl` does not list */
  note?: string;
  /** why this version cannot run the convolution, or null when it can */
  unsupported(s: ConvShape): string | null;
}

/** One pass of one version, as `conv2dVersions()` lists it (checking `pass` narrows `name`). */
export type ConvVersionInfo =
  | VersionInfo<'forward', ConvVersion>
  | VersionInfo<'dgrad', DgradVersion>
  | VersionInfo<'wgrad', WgradVersion>;

/** Every (version, pass) of the ladder, forward passes first, each pass in reading order. */
export function conv2dVersions(): ConvVersionInfo[] {
  const out: ConvVersionInfo[] = [];
  for (const pass of ['forward', 'dgrad', 'wgrad'] as const) {
    for (const name of names) {
      const impl = CONV_LADDER[name][pass];
      if (!impl) continue;
      const why = impl.unsupported;
      out.push({ name, pass, wgsl: [...impl.wgsl], ...(impl.note ? { note: impl.note } : {}), unsupported: (s) => (why ? why(s) : null) } as ConvVersionInfo);
    }
  }
  return out;
}

/** The rung's implementation of a pass, or a throw naming the op and the versions that exist. */
export function passOf<P extends ConvPass>(op: string, version: string, pass: P): NonNullable<Rung[P]> {
  const impl = (CONV_LADDER as Record<string, Rung | undefined>)[version]?.[pass];
  if (!impl) {
    const known = names.filter((v) => CONV_LADDER[v][pass]).join(', ');
    throw new Error(`${op}: no version '${version}' (versions: ${known})`);
  }
  return impl;
}
