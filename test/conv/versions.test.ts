// The ladders' listings (conv2dVersions, matmulVersions): every (version, pass) once, names
// that the ops and the autotuner accept, kernel files that exist, and `unsupported` naming
// what a version cannot compute. No GPU needed.
import { describe, expect, it } from 'vitest';
import { WGSL as EMBEDDED } from '../../src/kernels/wgsl.generated.js';
import {
  ALL_CONV_VERSIONS, ALL_DGRAD_VERSIONS, ALL_WGRAD_VERSIONS, conv2dVersions, convShape,
  type ConvVersion, type DgradVersion, type WgradVersion,
} from '../../src/tensor/ops/conv2d/index.js';
import { GPU_GEMM, MATMUL_ALIASES, matmulUnsupported, matmulVersionOf, matmulVersions, resolveMatmulVersion } from '../../src/tensor/ops/matmul/index.js';
import { fullGemm } from '../../src/tensor/ops/matmul/gemm.js';

const WGSL: Record<string, string | undefined> = EMBEDDED; // looked up by the listings' plain strings

describe('conv2dVersions', () => {
  const list = conv2dVersions();
  const conv2 = convShape([8, 96, 27, 27], [256, 96, 5, 5], { padding: 2 });
  const conv1 = convShape([8, 3, 227, 227], [96, 3, 11, 11], { stride: 4 });

  it('lists each pass of each version once, forward first, under the names the ops take', () => {
    const keys = list.map((v) => `${v.pass} ${v.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(list.filter((v) => v.pass === 'forward').map((v) => v.name)).toEqual([...ALL_CONV_VERSIONS]);
    expect(list.filter((v) => v.pass === 'dgrad').map((v) => v.name)).toEqual([...ALL_DGRAD_VERSIONS]);
    expect(list.filter((v) => v.pass === 'wgrad').map((v) => v.name)).toEqual([...ALL_WGRAD_VERSIONS]);
    expect(ALL_CONV_VERSIONS).toEqual(['01_naive', '02_im2col', '03_implicit_gemm', '04_winograd', '04_winograd_s2d', '05_tiled_gemm', '06_winograd_gemm', '06_winograd_gemm_s2d']);
  });

  it('names kernel files that exist', () => {
    for (const v of list) {
      expect(v.wgsl.length, `${v.pass} ${v.name}`).toBeGreaterThan(0);
      for (const f of v.wgsl) expect(WGSL[f], `${v.pass} ${v.name}: ${f}`).toBeTypeOf('string');
      // 05 is the matmul ladder's tiled GEMM between im2col-style passes
      if (v.name === '05_tiled_gemm') expect(v.wgsl.some((f) => /^matmul\/0[56]_/.test(f))).toBe(true);
    }
  });

  it('types each name by its pass, so it can be passed to that pass\'s op as it is', () => {
    const names = { forward: [] as ConvVersion[], dgrad: [] as DgradVersion[], wgrad: [] as WgradVersion[] };
    for (const v of list) {
      if (v.pass === 'forward') names.forward.push(v.name);
      else if (v.pass === 'dgrad') names.dgrad.push(v.name);
      else names.wgrad.push(v.name);
    }
    expect(names.dgrad).toEqual(['01_naive', '03_implicit_gemm', '04_winograd', '05_tiled_gemm', '06_winograd_gemm']);
    // the weight gradient of a strided conv also reads x through space-to-depth
    expect(names.wgrad).toEqual([...names.dgrad, '06_winograd_gemm_s2d']);
  });

  it('says why a version cannot run a shape (Winograd needs stride 1; s2d a stride)', () => {
    const why = (name: string, pass: string, s: typeof conv1) => list.find((v) => v.name === name && v.pass === pass)!.unsupported(s);
    for (const v of list) if (!v.name.endsWith('_s2d')) expect(v.unsupported(conv2), `${v.pass} ${v.name}`).toBeNull();
    expect(why('04_winograd_s2d', 'forward', conv2)).toMatch(/stride 1x1/);
    expect(why('06_winograd_gemm_s2d', 'forward', conv2)).toMatch(/stride 1x1/);
    expect(why('06_winograd_gemm', 'forward', conv1)).toMatch(/stride 4x4/);
    expect(why('06_winograd_gemm_s2d', 'forward', conv1)).toBeNull();
    // 06's GEMM reads channels 4 at a time
    const conv3odd = convShape([8, 6, 13, 13], [12, 6, 3, 3], { padding: 1 });
    expect(why('06_winograd_gemm', 'forward', conv3odd)).toMatch(/6 input channels per group/);
    expect(why('06_winograd_gemm', 'wgrad', conv3odd)).toMatch(/6 input channels per group/);
    expect(why('04_winograd', 'forward', conv3odd)).toBeNull();
    expect(why('04_winograd', 'forward', conv1)).toMatch(/stride 4x4/);
    expect(why('04_winograd', 'dgrad', conv1)).toMatch(/needs stride 1/);
    expect(why('04_winograd_s2d', 'forward', conv1)).toBeNull();
    expect(why('03_implicit_gemm', 'wgrad', conv1)).toBeNull();
    expect(why('06_winograd_gemm_s2d', 'wgrad', conv1)).toBeNull();
    expect(why('06_winograd_gemm_s2d', 'wgrad', conv2)).toMatch(/stride 1x1/);
    // 2 channels in 3x3 blocks make 18 channels of x', not a multiple of 4
    expect(why('06_winograd_gemm_s2d', 'wgrad', convShape([2, 2, 35, 35], [16, 2, 7, 7], { stride: 3 }))).toMatch(/18 input channels per group/);
  });
});

describe('matmulVersions', () => {
  it('lists every version once in file order, each with a kernel that exists', () => {
    const list = matmulVersions();
    expect(list.map((v) => v.name)).toEqual(['01_naive', '02_register_blocked', '03_vec4', '04_splitk_dot', '05_tiled', '06_tiled_prefetch', '07_row_stream', '08_image_operands', '09_subgroup_broadcast']);
    // the name is the file stem, as in the conv2d ladder
    for (const v of list) expect(v.wgsl).toBe(`matmul/${v.name}.wgsl`);
    for (const v of list) expect(WGSL[v.wgsl], v.wgsl).toBeTypeOf('string');
  });

  it('says why a version cannot take a layout', () => {
    const why = (name: string, g: Parameters<ReturnType<typeof matmulVersions>[number]['unsupported']>[0]) =>
      matmulVersions().find((v) => v.name === name)!.unsupported(g);
    const square = { m: 64, n: 64, k: 64, batch: 1 };
    for (const v of matmulVersions()) expect(v.unsupported(square), v.name).toBeNull();
    expect(why('03_vec4', { m: 4, n: 6, k: 8, batch: 1 })).toMatch(/03_vec4.*4x6x8.*N=6/);
    expect(why('07_row_stream', { m: 4, n: 8, k: 8, batch: 1, bSk: 1, bSn: 8 })).toMatch(/07_row_stream.*B is not \[K, N\]/);
    expect(why('08_image_operands', { m: 4, n: 8, k: 6, batch: 1 })).toMatch(/08_image_operands.*4x8x6.*A is not \[M, K\] with K=6/);
    expect(why('09_subgroup_broadcast', { m: 8, n: 8, k: 8, batch: 1, aSm: 1, aSk: 8 })).toBeNull(); // Aᵀ: copied into rows first
    expect(why('09_subgroup_broadcast', { m: 8, n: 8, k: 6, batch: 1, aSm: 1, aSk: 8 })).toMatch(/09_subgroup_broadcast.*K=6 is not a multiple of 4 for Aᵀ/);
    expect(why('08_image_operands', { m: 4, n: 6, k: 8, batch: 1 })).toMatch(/B is neither \[K, N\] nor \[N, K\]/);
    expect(why('08_image_operands', { m: 4, n: 6, k: 8, batch: 1, bSk: 1, bSn: 8 })).toMatch(/N=6/);
    // 09 needs subgroups of exactly 8 invocations: an adapter without them is named
    const noSubgroups = { features: { subgroups: false, subgroupSize: 0 } } as unknown as Parameters<ReturnType<typeof matmulVersions>[number]['unsupported']>[1];
    expect(matmulVersions().find((v) => v.name === '09_subgroup_broadcast')!.unsupported(square, noSubgroups)).toMatch(/cannot run here: this adapter has no 'subgroups' feature/);
    expect(why('01_naive', { ...square, fold: 8, cSf: 64 })).toMatch(/no per-row bias, folded store or split-K/);
    expect(why('06_tiled_prefetch', { ...square, fold: 8, cSf: 64 })).toBeNull();
  });

  it('takes the old short names as aliases of the file stems, and names an unknown one', () => {
    expect(Object.entries(MATMUL_ALIASES).map(([old, stem]) => [old, matmulVersionOf(old), stem]))
      .toEqual(Object.entries(MATMUL_ALIASES).map(([old, stem]) => [old, stem, stem]));
    for (const v of matmulVersions()) expect(matmulVersionOf(v.name)).toBe(v.name);
    // one old name per version that had one (08 and 09 came after the rename), each a different one
    expect(new Set(Object.values(MATMUL_ALIASES)).size).toBe(matmulVersions().length - 2);
    expect(matmulVersionOf('10_nothing')).toBeNull();
    expect(matmulVersionOf('toString')).toBeNull(); // not an inherited property
    expect(() => resolveMatmulVersion('matmul', 'vec8')).toThrow(/^matmul: no matmul version 'vec8' \(versions: 01_naive, .*09_subgroup_broadcast\)$/);
    expect(matmulUnsupported('vec4', fullGemm({ m: 4, n: 6, k: 8, batch: 1 }))).toMatch(/^version '03_vec4' cannot take/);
  });

  it('GPU_GEMM.version reads as a file stem and takes an old short name', () => {
    const before = GPU_GEMM.version;
    try {
      GPU_GEMM.version = 'tiled';
      expect(GPU_GEMM.version).toBe('05_tiled');
      GPU_GEMM.version = '06_tiled_prefetch';
      expect(GPU_GEMM.version).toBe('06_tiled_prefetch');
      expect(() => { GPU_GEMM.version = 'vec4' as never; }).toThrow(/GPU_GEMM\.version must be 05_tiled or 06_tiled_prefetch, not 'vec4'/);
      expect(GPU_GEMM.version).toBe('06_tiled_prefetch');
    } finally {
      GPU_GEMM.version = before;
    }
  });
});
