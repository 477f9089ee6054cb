// Which version runs a convolution (and a GEMM) on which adapter: the fixed rules on fake
// CPU and GPU adapters (pure), and the choice and its sentence on this machine's adapter.
import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import type { Device } from '../../src/tensor/device.js';
import { selectMatmul } from '../../src/tensor/ops/matmul/index.js';
import {
  convShape, CONV_TUNING, CONV_VERSIONS, explainConv2d, selectConv2d, selectConv2dBackwardData, selectConv2dBackwardWeight,
  type ConvShape,
} from '../../src/tensor/ops/conv2d/index.js';

describe('adapter-aware choices (pure: fake adapters)', () => {
  const fake = (isCpu: boolean, subgroupSize = 8) =>
    ({ info: { isCpu }, features: { subgroups: subgroupSize > 0, subgroupSize }, maxBinding: 2 ** 31 - 4, alignment: 256 }) as unknown as Device;
  const conv2 = convShape([128, 96, 27, 27], [256, 96, 5, 5], { padding: 2 });
  it('a GPU adapter gets im2col + tiled GEMM for every pass of a big conv', () => {
    expect(selectConv2d(conv2, fake(false)).version).toBe('05_tiled_gemm');
    expect(selectConv2dBackwardData(conv2, fake(false)).version).toBe('05_tiled_gemm');
    expect(selectConv2dBackwardWeight(conv2, fake(false)).version).toBe('05_tiled_gemm');
    expect(explainConv2d(conv2, fake(false))).toMatch(/GPU adapter/);
  });
  it('a CPU driver takes Winograd for stride-1 convs with enough channels, else the register-blocked kernels', () => {
    expect(selectConv2d(conv2, fake(true)).version).toBe('06_winograd_gemm');
    expect(explainConv2d(conv2, fake(true))).toMatch(/^Winograd F\(3x3, 5x5\): 25 multiplies .* become 5\.44 \(4\.59x fewer.*one batched GEMM \(06\) with matmul\/09_subgroup_broadcast/);
    expect(explainConv2d(conv2, fake(true, 0))).toMatch(/one batched GEMM \(06\) with matmul\/08_image_operands \(not 09: this adapter has no 'subgroups' feature\)/);
    expect(selectConv2dBackwardData(conv2, fake(true)).version).toBe('06_winograd_gemm');
    expect(selectConv2dBackwardWeight(conv2, fake(true)).version).toBe('06_winograd_gemm');
    // channels per group that are not a multiple of 4: Winograd with rung 03 as its GEMM
    expect(selectConv2d(convShape([8, 18, 27, 27], [32, 18, 3, 3], { padding: 1 }), fake(true)).version).toBe('04_winograd');
    expect(selectConv2dBackwardWeight(convShape([8, 18, 27, 27], [32, 18, 3, 3], { padding: 1 }), fake(true)).version).toBe('04_winograd');
    expect(selectConv2dBackwardWeight(conv2, fake(true)).why).toMatch(/^Winograd F\(5x5, 3x3\).*dy's tiles as the filters/);
    // CONV_TUNING.winogradWgrad = false keeps the direct weight gradient (exact zeros where all products are zero)
    CONV_TUNING.winogradWgrad = false;
    try {
      expect(selectConv2dBackwardWeight(conv2, fake(true)).version).toBe('03_implicit_gemm');
    } finally {
      CONV_TUNING.winogradWgrad = true;
    }
    const conv1 = convShape([8, 3, 227, 227], [96, 3, 11, 11], { stride: 4 });
    expect(selectConv2d(conv1, fake(true)).version).toBe('06_winograd_gemm_s2d');
    expect(explainConv2d(conv1, fake(true))).toMatch(/^space-to-depth \(block 4\): 3x11x11 taps at stride 4 become 48x3x3 at stride 1, then Winograd F\(4x4, 3x3\).*3\.24x fewer multiplies/);
    expect(selectConv2d(conv1, fake(false)).version).toBe('05_tiled_gemm');
    expect(selectConv2dBackwardData(conv1, fake(true)).version).toBe('03_implicit_gemm');
    // its weight gradient reads x through space-to-depth too (no x' is written)
    expect(selectConv2dBackwardWeight(conv1, fake(true)).version).toBe('06_winograd_gemm_s2d');
    expect(selectConv2dBackwardWeight(conv1, fake(true)).why).toMatch(/^space-to-depth \(block 4\).*Winograd F\(3x3, 4x4\).*x read through space-to-depth/);
    expect(selectConv2dBackwardWeight(conv1, fake(false)).version).toBe('05_tiled_gemm');
    CONV_TUNING.winogradWgrad = false;
    try {
      expect(selectConv2dBackwardWeight(conv1, fake(true)).version).toBe('03_implicit_gemm');
    } finally {
      CONV_TUNING.winogradWgrad = true;
    }
    // few channels: the transforms would cost as much as they save
    const thin = convShape([8, 8, 27, 27], [64, 8, 3, 3], { padding: 1 });
    expect(selectConv2d(thin, fake(true)).version).toBe('03_implicit_gemm');
    expect(selectConv2dBackwardData(thin, fake(true)).version).toBe('03_implicit_gemm'); // its dx has 8 channels
    // a 1x1 conv saves nothing
    expect(selectConv2d(convShape([8, 64, 13, 13], [64, 64, 1, 1]), fake(true)).version).toBe('03_implicit_gemm');
  });
  it('a small conv stays off the GPU path (too few 128x128 tiles)', () => {
    expect(selectConv2d(convShape([1, 8, 9, 9], [16, 8, 3, 3], { padding: 1 }), fake(false)).version).not.toBe('05_tiled_gemm');
  });
  it('matmul: workgroup-memory tiles for big GEMMs, split-K dots for small outputs on a GPU, images on a CPU driver', () => {
    expect(selectMatmul({ m: 2048, n: 2048, k: 2048, batch: 1 }, fake(false)).version).toBe('06_tiled_prefetch');
    expect(selectMatmul({ m: 2048, n: 2048, k: 2048, batch: 1 }, fake(true)).version).toBe('09_subgroup_broadcast');
    expect(selectMatmul({ m: 2048, n: 2048, k: 2048, batch: 1 }, fake(true, 0)).version).toBe('08_image_operands');
    expect(selectMatmul({ m: 2048, n: 2048, k: 2048, batch: 1 }, fake(true, 4)).why).toMatch(/^08_image_operands: .*not 09, because its subgroups are not all 8 invocations wide \(4\)/);
    // Aᵀ (a weight gradient dYᵀ·X) is copied into rows first; with K not a multiple of 4 it cannot be
    expect(selectMatmul({ m: 2048, n: 2048, k: 256, batch: 1, aSm: 1, aSk: 2048 }, fake(true)).version).toBe('09_subgroup_broadcast');
    expect(selectMatmul({ m: 2048, n: 2048, k: 255, batch: 1, aSm: 1, aSk: 2048 }, fake(true)).version).toBe('06_tiled_prefetch');
    const fc8 = { m: 128, n: 2, k: 4096, batch: 1, bSk: 1, bSn: 4096 };
    expect(selectMatmul(fc8, fake(false)).version).toBe('04_splitk_dot');
    expect(selectMatmul(fc8, fake(true)).version).not.toBe('04_splitk_dot');
    // batch 8 fc layers stay off the 128-tiles (measured slower there): on a CPU driver the
    // forward, the data gradient and the K = 8 weight gradient on 09 (dYᵀ copied into rows);
    // without subgroups 08, but the data gradient on 07 (no copy of the big weight); on a GPU
    // the weight gradient on 03
    expect(selectMatmul({ m: 8, n: 4096, k: 9216, batch: 1, bSk: 1, bSn: 9216 }, fake(true)).version).toBe('09_subgroup_broadcast');
    expect(selectMatmul({ m: 8, n: 9216, k: 4096, batch: 1 }, fake(true)).version).toBe('09_subgroup_broadcast');
    expect(selectMatmul({ m: 8, n: 9216, k: 4096, batch: 1 }, fake(true, 0)).version).toBe('07_row_stream');
    expect(selectMatmul({ m: 4096, n: 9216, k: 8, batch: 1, aSm: 1, aSk: 4096 }, fake(true)).version).toBe('09_subgroup_broadcast');
    expect(selectMatmul({ m: 4096, n: 9216, k: 8, batch: 1, aSm: 1, aSk: 4096 }, fake(true, 0)).version).toBe('08_image_operands');
    expect(selectMatmul({ m: 4096, n: 9216, k: 8, batch: 1, aSm: 1, aSk: 4096 }, fake(false)).version).toBe('03_vec4');
  });
});

describe.skipIf(!gpu)('conv2d version selection', () => {
  it('explains its choice in a sentence', () => {
    const s: ConvShape = convShape([8, 256, 13, 13], [384, 256, 3, 3], { padding: 1 });
    const c = selectConv2d(s, gpu!);
    expect([...CONV_VERSIONS, '06_winograd_gemm']).toContain(c.version);
    // lavapipe (what CI runs): Winograd with one batched GEMM; a GPU adapter: the implicit kernel (too few 128x128 tiles for its GEMM path)
    expect(c.version).toBe(gpu!.info.isCpu ? '06_winograd_gemm' : '03_implicit_gemm');
    expect(explainConv2d(s, gpu!)).toMatch(gpu!.info.isCpu ? /^Winograd F\(4x4, 3x3\)/ : /^implicit GEMM: .*workgroups/);
    const conv1 = convShape([8, 3, 227, 227], [96, 3, 11, 11], { stride: 4 });
    if (gpu!.info.isCpu) expect(explainConv2d(conv1, gpu!)).toMatch(/^space-to-depth \(block 4\)/);
    // too few output channels for Winograd: the strided conv stays on 03
    if (gpu!.info.isCpu) expect(selectConv2d(convShape([8, 3, 227, 227], [8, 3, 11, 11], { stride: 4 }), gpu!).version).toBe('03_implicit_gemm');
    const tiny = convShape([1, 3, 5, 5], [4, 3, 3, 3], {});
    expect(selectConv2d(tiny, gpu!).version).toBe('01_naive');
    expect(explainConv2d(tiny, gpu!)).toMatch(/^direct conv: .*workgroup/);
  });
});
