// SPDX-License-Identifier: MIT
// The matmul ladder as a table: each version's kernel file (src/kernels/wgsl/matmul/, read in
// numbered order), the layouts it cannot take, and how it is launched (its override
// constants and workgroup grid). A version's name is its file stem ('03_vec4'), as for the
// conv2d ladder; the short names of before ('vec4', ...) are still accepted wherever a
// version comes in (MATMUL_ALIASES). `matmulVersions()` lists them for a page that runs every
// version on a shape and shows its WGSL.

import type { Device } from '../../device.js';
import { type Gemm, type GemmShape, fullGemm, special } from './gemm.js';

export type MatmulVersion =
  | '01_naive' | '02_register_blocked' | '03_vec4' | '04_splitk_dot' | '05_tiled' | '06_tiled_prefetch' | '07_row_stream'
  | '08_image_operands' | '09_subgroup_broadcast';
export const MATMUL_VERSIONS: readonly MatmulVersion[] = [
  '01_naive', '02_register_blocked', '03_vec4', '04_splitk_dot', '05_tiled', '06_tiled_prefetch', '07_row_stream',
  '08_image_operands', '09_subgroup_broadcast',
];
/** The versions' kernel files: `matmul/<version>.wgsl`. */
export const MATMUL_KERNELS = {
  '01_naive': 'matmul/01_naive.wgsl',
  '02_register_blocked': 'matmul/02_register_blocked.wgsl',
  '03_vec4': 'matmul/03_vec4.wgsl',
  '04_splitk_dot': 'matmul/04_splitk_dot.wgsl',
  '05_tiled': 'matmul/05_tiled.wgsl',
  '06_tiled_prefetch': 'matmul/06_tiled_prefetch.wgsl',
  '07_row_stream': 'matmul/07_row_stream.wgsl',
  '08_image_operands': 'matmul/08_image_operands.wgsl',
  '09_subgroup_broadcast': 'matmul/09_subgroup_broadcast.wgsl',
} as const satisfies Record<MatmulVersion, string>;

/** The short names versions had before they were named by file stem, still accepted. */
export const MATMUL_ALIASES = {
  naive: '01_naive',
  blocked: '02_register_blocked',
  vec4: '03_vec4',
  splitk: '04_splitk_dot',
  tiled: '05_tiled',
  prefetch: '06_tiled_prefetch',
  stream: '07_row_stream',
} as const satisfies Record<string, MatmulVersion>;
export type MatmulAlias = keyof typeof MATMUL_ALIASES;
/** What a caller may pass as a matmul version: the file stem or its old short name. */
export type MatmulVersionName = MatmulVersion | MatmulAlias;

/** The version a name stands for (a file stem, or an old short name), or null for an unknown name. */
export function matmulVersionOf(name: string): MatmulVersion | null {
  if ((MATMUL_VERSIONS as readonly string[]).includes(name)) return name as MatmulVersion;
  return Object.hasOwn(MATMUL_ALIASES, name) ? MATMUL_ALIASES[name as MatmulAlias] : null;
}

/** The version a name stands for, or a throw naming the op and the versions that exist. */
export function resolveMatmulVersion(op: string, name: string): MatmulVersion {
  const v = matmulVersionOf(name);
  if (!v) throw new Error(`${op}: no matmul version '${name}' (versions: ${MATMUL_VERSIONS.join(', ')})`);
  return v;
}

/** The kernels that read their operands as images (08, 09): the host copies A and B into textures. */
export type ImageVersion = '08_image_operands' | '09_subgroup_broadcast';
export const isImage = (v: MatmulVersion): v is ImageVersion => v === '08_image_operands' || v === '09_subgroup_broadcast';

/** The workgroup-memory kernels (05, 06): same parameters, same extras. */
export type TiledVersion = '05_tiled' | '06_tiled_prefetch';
export const isTiled = (v: MatmulVersion): v is TiledVersion => v === '05_tiled' || v === '06_tiled_prefetch';

let gpuGemmVersion: TiledVersion = '06_tiled_prefetch';

/**
 * Which workgroup-memory kernel the selectors use (05 or 06) and 06's K step. Exported so
 * the benchmark can compare them (`--gemm`, `--bk`); 06 with K steps of 8 measured best.
 * `version` reads as a file stem and takes an old short name too ('tiled', 'prefetch').
 */
export const GPU_GEMM = {
  get version(): TiledVersion {
    return gpuGemmVersion;
  },
  set version(v: TiledVersion | 'tiled' | 'prefetch') {
    const t = matmulVersionOf(v);
    if (!t || !isTiled(t)) throw new Error(`matmul: GPU_GEMM.version must be 05_tiled or 06_tiled_prefetch, not '${v}'`);
    gpuGemmVersion = t;
  },
  bk: 8 as 8 | 16,
};

/**
 * 07_row_stream's workgroup (invocations, a multiple of 8) and vec4 columns per invocation. On
 * lavapipe, batch-8 fc data gradients: WG 8 / CN 4 was best of WG 8-64 x CN 1-8 (fc7 14.9 ms,
 * fc6-sized 46 ms at K 3072, against 15-23 and 48-90 for the others); the weight gradients
 * were the same within 10% for every WG 8-16 x CN 2-8.
 */
export const STREAM_TUNING = { wg: 8, cn: 4 };

type Layout = Pick<Gemm, 'm' | 'n' | 'k' | 'aOff' | 'aSm' | 'aSk' | 'aSb' | 'bOff' | 'bSk' | 'bSn' | 'bSb' | 'cOff' | 'cSm' | 'cSb'>;

/** Why 07_row_stream cannot take a problem (null: it can): B as [K, N] and C, both 4-aligned. */
export function streamUnsupported(g: Omit<Layout, 'k' | 'aOff' | 'aSm' | 'aSk' | 'aSb'>): string | null {
  if (g.m > 8 * 65535) return `M=${g.m} needs more than 65535 workgroup rows`;
  if (g.bSn !== 1 || g.bSk % 4 || g.bOff % 4 || g.bSb % 4) return "B is not [K, N] with rows at multiples of 4";
  if (g.n % 4 || g.cSm % 4 || g.cOff % 4 || g.cSb % 4) return `N=${g.n} or C's layout is not a multiple of 4`;
  return null;
}

/** Why 03_vec4 cannot take a problem (it would read wrong values), or null. */
export function vec4Unsupported(g: Layout): string | null {
  const ta = g.aSm === 1 && g.aSk !== 1;
  const tb = g.bSk === 1 && g.bSn !== 1;
  if (ta && tb) return 'both operands transposed';
  if (g.n % 4 || g.cSm % 4 || g.cOff % 4 || g.cSb % 4) return `N=${g.n} or C's layout is not a multiple of 4`;
  if (g.n < 4) return `N=${g.n} < 4`;
  if (!ta && (g.k % 4 || g.aSm % 4 || g.aOff % 4 || g.aSb % 4 || g.aSk !== 1)) return `K=${g.k} or A's rows are not a multiple of 4`;
  if (ta && (g.m % 4 || g.m < 4 || g.aSk % 4 || g.aOff % 4 || g.aSb % 4)) return `M=${g.m} is not a multiple of 4 for Aᵀ`;
  if (!tb && (g.bSn !== 1 || g.bSk % 4 || g.bOff % 4 || g.bSb % 4)) return `B's rows are not a multiple of 4`;
  if (tb && (g.k % 4 || g.bSn % 4 || g.bOff % 4 || g.bSb % 4)) return `K=${g.k} is not a multiple of 4 for Bᵀ`;
  return null;
}

/**
 * Why 08/09 cannot take a problem (null: they can): A as [M, K] rows (or Aᵀ, which the host
 * copies into [M, K] rows first) and B as [K, N] or [N, K] rows, K, N and every offset and
 * stride a multiple of 4 (a texel is 4 floats).
 */
export function imageUnsupported(g: Layout): string | null {
  const ta = g.aSm === 1 && g.aSk !== 1; // Aᵀ: the host copies A into [M, K] rows first
  if (ta && g.k % 4) return `K=${g.k} is not a multiple of 4 for Aᵀ`;
  // (one row of A has no row stride to check)
  if (!ta && (g.aSk !== 1 || g.k % 4 || (g.m > 1 && g.aSm % 4) || g.aOff % 4 || g.aSb % 4)) return `A is not [M, K] with K=${g.k} and its rows at multiples of 4`;
  const tb = g.bSk === 1 && g.bSn !== 1;
  if (!tb && (g.bSn !== 1 || g.bSk % 4 || g.bOff % 4 || g.bSb % 4)) return "B is neither [K, N] nor [N, K] with rows at multiples of 4";
  if (tb && (g.bSn % 4 || g.bOff % 4 || g.bSb % 4)) return 'Bᵀ\'s rows are not at multiples of 4';
  if (g.n % 4 || g.cSm % 4 || g.cOff % 4 || g.cSb % 4) return `N=${g.n} or C's layout is not a multiple of 4`;
  if (Math.ceil(g.m / 16) > 65535) return `M=${g.m} needs more than 65535 workgroup rows`;
  return null;
}

/** Why 09's subgroup broadcast cannot run on a device (it needs subgroups of exactly 8), or null. */
export function subgroupUnsupported(d: Device): string | null {
  if (!d.features.subgroups) return "this adapter has no 'subgroups' feature";
  if (d.features.subgroupSize !== 8) return `its subgroups are not all 8 invocations wide (${d.features.subgroupSize || 'the size varies'})`;
  return null;
}

/**
 * Why `version` cannot take the GEMM, or null; every error names the op and the product.
 * With a device, also what the adapter lacks (09 needs subgroups of 8).
 */
export function matmulUnsupported(name: MatmulVersionName, g: Gemm, device?: Device): string | null {
  const version = resolveMatmulVersion('matmul', name);
  if (special(g) && !isTiled(version)) return `version '${version}' has no per-row bias, folded store or split-K (only '05_tiled' and '06_tiled_prefetch')`;
  const bad = version === '03_vec4' ? vec4Unsupported(g)
    : version === '07_row_stream' ? streamUnsupported(g)
      : isImage(version) ? imageUnsupported(g)
        : null;
  if (bad) return `version '${version}' cannot take this ${g.m}x${g.n}x${g.k} product: ${bad}`;
  const sub = version === '09_subgroup_broadcast' && device ? subgroupUnsupported(device) : null;
  return sub ? `version '${version}' cannot run here: ${sub}` : null;
}

/** How a version is launched: override constants (beyond ACCUMULATE and EPILOGUE) and workgroups. */
export interface Launch {
  constants: Record<string, number>;
  wg: [number, number, number];
}

const transposes = (g: Gemm) => ({ TA: g.aSm === 1 && g.aSk !== 1 ? 1 : 0, TB: g.bSk === 1 && g.bSn !== 1 ? 1 : 0 });

/** 02 and 03: 64 invocations of 4x4 blocks; few rows (a small batch) get a wide, flat
 *  workgroup so no invocation computes clamped duplicate rows. */
function blockedLaunch(g: Gemm): Launch {
  const wy = g.m <= 4 ? 1 : g.m <= 8 ? 2 : g.m <= 16 ? 4 : 8;
  const wx = 64 / wy;
  return { constants: { WG_X: wx, WG_Y: wy }, wg: [Math.ceil(g.n / (4 * wx)), Math.ceil(g.m / (4 * wy)), g.batch] };
}

/** 05 and 06: 128x128 tiles (06 with GPU_GEMM.bk as its K step). */
function tiledLaunch(g: Gemm, prefetch: boolean): Launch {
  const constants: Record<string, number> = { BIAS_ROW: g.biasRow ? 1 : 0, ...transposes(g) };
  if (prefetch) constants.BK = GPU_GEMM.bk;
  return { constants, wg: [Math.ceil(g.n / 128), Math.ceil(g.m / 128), g.batch] };
}

/**
 * 08 and 09: groups of 8 invocations own 8·RB rows x `width` columns (08: 128, each
 * invocation 4 vec4 columns; 09: 64, 2 vec4 columns), RB = 1 for at most 8 rows; up to 4
 * groups per workgroup along N, and along M when N is narrow.
 */
/** 08's and 09's block width in columns, and their blocks of 8 rows per subgroup (RB). */
const IMAGE_WIDTH = { '08_image_operands': 128, '09_subgroup_broadcast': 64 } as const;
const imageRb = (m: number) => (m <= 8 ? 1 : 2);

function imageLaunch(g: Gemm, width: number): Launch {
  const rb = imageRb(g.m);
  const sgN = Math.min(4, Math.ceil(g.n / width));
  const sgM = Math.max(1, Math.min(Math.floor(4 / sgN), Math.ceil(g.m / (8 * rb))));
  const tb = g.bSk === 1 && g.bSn !== 1 ? 1 : 0;
  return { constants: { RB: rb, SG_M: sgM, SG_N: sgN, TB: tb }, wg: [Math.ceil(g.n / (width * sgN)), Math.ceil(g.m / (8 * rb * sgM)), g.batch] };
}

/**
 * The part of C that 08 or 09 computes for an m x n product: whole blocks of 8·RB rows by
 * `width` columns (rows and columns past the edge are computed too, and not stored). A caller
 * that can compute Cᵀ instead (a weight gradient) compares the two.
 */
export function imageGemmArea(version: '08_image_operands' | '09_subgroup_broadcast', m: number, n: number): number {
  const width = IMAGE_WIDTH[version];
  const rows = 8 * imageRb(m);
  return Math.ceil(m / rows) * rows * Math.ceil(n / width) * width;
}

export const MATMUL_LAUNCH: Readonly<Record<MatmulVersion, (g: Gemm) => Launch>> = {
  '01_naive': (g) => ({ constants: {}, wg: [Math.ceil(g.n / 8), Math.ceil(g.m / 8), g.batch] }),
  '02_register_blocked': blockedLaunch,
  '03_vec4': (g) => {
    const t = transposes(g);
    if (!t.TA && !t.TB && g.m > 4 && g.m <= 8) {
      // 8 rows per invocation: B (a batch-8 fc data gradient's weight) is read once, not twice
      return { constants: { ...t, RM: 8, WG_X: 64, WG_Y: 1 }, wg: [Math.ceil(g.n / 256), 1, g.batch] };
    }
    const b = blockedLaunch(g);
    return { constants: { ...b.constants, ...t }, wg: b.wg };
  },
  '04_splitk_dot': (g) => ({ constants: {}, wg: [Math.ceil(g.n / 4), Math.ceil(g.m / 8), g.batch] }),
  '05_tiled': (g) => tiledLaunch(g, false),
  '06_tiled_prefetch': (g) => tiledLaunch(g, true),
  '07_row_stream': (g) => {
    const rm = g.m <= 4 ? 4 : 8;
    return {
      constants: { WG: STREAM_TUNING.wg, CN: STREAM_TUNING.cn, RM: rm },
      wg: [Math.ceil(g.n / 4 / (STREAM_TUNING.wg * STREAM_TUNING.cn)), Math.ceil(g.m / rm), g.batch],
    };
  },
  '08_image_operands': (g) => imageLaunch(g, IMAGE_WIDTH['08_image_operands']),
  '09_subgroup_broadcast': (g) => imageLaunch(g, IMAGE_WIDTH['09_subgroup_broadcast']),
};

/** One version as `matmulVersions()` lists it. */
export interface MatmulVersionInfo {
  /** the version name (the file stem): pass it as `version` to matmul */
  name: MatmulVersion;
  /** its kernel file (a key of the embedded WGSL sources, e.g. 'matmul/03_vec4.wgsl') */
  wgsl: string;
  /** why this version cannot take the GEMM (sizes, plus any strides: row-major when left out) on `device` if given, or null */
  unsupported(g: GemmShape, device?: Device): string | null;
}

/** Every matmul version in reading order (file number). */
export function matmulVersions(): MatmulVersionInfo[] {
  return [...MATMUL_VERSIONS]
    .sort((a, b) => a.localeCompare(b))
    .map((name) => ({ name, wgsl: MATMUL_KERNELS[name], unsupported: (g, device) => matmulUnsupported(name, fullGemm(g), device) }));
}
