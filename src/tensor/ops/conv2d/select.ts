// SPDX-License-Identifier: MIT
// Which rung runs a convolution: an autotuned entry for this adapter and problem when there
// is one (../../autotune-table.ts), else the fixed rules below, each returning the version with a
// sentence saying why. Every rule is the measured best on the adapters it was tried on
// (BENCHMARKS.md); callers can still force any version.

import { convKey, noteProblem, tunedChoice } from '../../autotune-table.js';
import type { Device } from '../../device.js';
import type { Choice } from '../matmul/index.js';
import { planWgrad } from './03_implicit_gemm.js';
import { dgradAsConv, winogradUnsupported } from './04_winograd.js';
import { s2dShape } from './04_winograd_s2d.js';
import { winogradGemmDgradUnsupported, winogradGemmUnsupported } from './06_winograd_gemm.js';
import { s2dGemmUnsupported } from './06_winograd_gemm_s2d.js';
import { subgroupUnsupported } from '../matmul/versions.js';
import type { ConvShape } from './shape.js';
import { CONV_TUNING, fit } from './tuning.js';
import { ALL_CONV_VERSIONS, ALL_DGRAD_VERSIONS, ALL_WGRAD_VERSIONS, passOf, type ConvVersion, type DgradVersion, type WgradVersion } from './versions.js';
import { winogradSaving, winogradTileFor } from './winograd_matrices.js';

/**
 * Picks the forward version for a problem on a device, with the reason: on a GPU adapter
 * the GPU path (05_tiled_gemm) for big problems; on a CPU driver Winograd (04) where it
 * applies and pays, space-to-depth + Winograd for strided convs where that pays; otherwise
 * the register-blocked implicit GEMM (03) whenever it has enough blocks to share out, else
 * direct convolution (01). 02 im2col is never picked (03 does the same GEMM without the
 * buffer; 05 is its GPU form).
 */
export function selectConv2d(s: ConvShape, device?: Device): Choice<ConvVersion> {
  const key = convKey('conv2d', s);
  noteProblem({ op: 'conv2d', key, shape: { ...s } });
  return tunedChoice(device, key, ALL_CONV_VERSIONS) ?? ruleConv2d(s, device);
}

/** The fixed rule behind selectConv2d (what it picks without an autotuned entry). */
export function ruleConv2d(s: ConvShape, device?: Device): Choice<ConvVersion> {
  const gpu = gpuGemm(s, device);
  if (gpu) return { version: '05_tiled_gemm', why: `im2col + tiled GEMM (a GPU adapter): M=${s.k / s.groups} channels x N=${gpu.pixels} pixels x K=${(s.c / s.groups) * s.kh * s.kw} taps${s.groups > 1 ? ` per group` : ''} in 128x128 workgroup-memory tiles` };
  const wino = winogradWorth(s, device);
  if (wino) {
    const gemmBad = winogradGemmUnsupported(s);
    return gemmBad ? { version: '04_winograd', why: `${wino}; ${PER_POINT_GEMM}, not 06's batched GEMM: ${gemmBad}` } : { version: '06_winograd_gemm', why: `${wino}; ${batchedGemm(device!)}` };
  }
  const s2d = s2dWorth(s, device);
  if (s2d) {
    const gemmBad = s2dGemmUnsupported(s);
    return gemmBad ? { version: '04_winograd_s2d', why: s2d } : { version: '06_winograd_gemm_s2d', why: `${s2d}; ${batchedGemm(device!)}` };
  }
  const t = fit(CONV_TUNING.forward, s.k / s.groups);
  const blocks = Math.ceil((s.n * s.oh * s.ow) / (t.WG * t.PIX)) * Math.ceil(s.k / s.groups / (4 * t.COV)) * s.groups;
  const outputs = s.n * s.k * s.oh * s.ow;
  if (outputs < 4096 && blocks < 4) {
    return { version: '01_naive', why: `direct conv: ${outputs} outputs make only ${blocks} register-blocked workgroup(s) of ${t.WG}x${t.PIX} pixels x ${4 * t.COV} channels; one invocation per output keeps more of the GPU busy` };
  }
  return { version: '03_implicit_gemm', why: `implicit GEMM: M=${s.n * s.oh * s.ow} pixels x N=${s.k / s.groups} channels x K=${(s.c / s.groups) * s.kh * s.kw} taps${s.groups > 1 ? ` per group (${s.groups} groups)` : ''} in ${blocks} workgroups of ${t.PIX}x${4 * t.COV} register blocks; direct conv would reload every input ${4 * t.COV * t.PIX}x more often` };
}

/** Picks the data-gradient version (register-blocked gather unless the problem is tiny). */
export function selectConv2dBackwardData(s: ConvShape, device?: Device): Choice<DgradVersion> {
  const key = convKey('conv2d.dgrad', s);
  noteProblem({ op: 'conv2d.dgrad', key, shape: { ...s } });
  return tunedChoice(device, key, ALL_DGRAD_VERSIONS) ?? ruleConv2dBackwardData(s, device);
}

/** The fixed rule behind selectConv2dBackwardData. */
export function ruleConv2dBackwardData(s: ConvShape, device?: Device): Choice<DgradVersion> {
  if (gpuGemm(s, device)) return { version: '05_tiled_gemm', why: 'tiled GEMM Wᵀ·dy then col2im (a GPU adapter)' };
  const e = dgradAsConv(s);
  const wino = e ? winogradWorth(e, device) : null;
  if (wino) {
    const gemmBad = winogradGemmDgradUnsupported(s);
    return gemmBad ? { version: '04_winograd', why: `${wino} (dy convolved with the turned filters); ${PER_POINT_GEMM}, not 06's batched GEMM: ${gemmBad}` } : { version: '06_winograd_gemm', why: `${wino} (dy convolved with the turned filters); ${batchedGemm(device!)}` };
  }
  const t = fit(CONV_TUNING.dgrad, s.c / s.groups);
  const blocks = Math.ceil((s.n * s.h * s.w) / (t.WG * t.PIX)) * Math.ceil(s.c / s.groups / (4 * t.COV)) * s.groups;
  if (s.n * s.c * s.h * s.w < 4096 && blocks < 4) return { version: '01_naive', why: `gather dgrad: only ${blocks} register-blocked workgroup(s)` };
  return { version: '03_implicit_gemm', why: `implicit-GEMM dgrad in ${blocks} workgroups${s.sh * s.sw > 1 ? `, split into ${s.sh * s.sw} stride phases so only integral taps are visited` : ''}` };
}

/** Picks the weight-gradient version (split-K unless the problem is tiny). */
export function selectConv2dBackwardWeight(s: ConvShape, device?: Device): Choice<WgradVersion> {
  const key = convKey('conv2d.wgrad', s);
  noteProblem({ op: 'conv2d.wgrad', key, shape: { ...s } });
  return tunedChoice(device, key, ALL_WGRAD_VERSIONS) ?? ruleConv2dBackwardWeight(s, device);
}

/** The fixed rule behind selectConv2dBackwardWeight. */
export function ruleConv2dBackwardWeight(s: ConvShape, device?: Device): Choice<WgradVersion> {
  if (gpuGemm(s, device)) return { version: '05_tiled_gemm', why: 'im2col + split-K tiled GEMM dy·colᵀ (a GPU adapter)' };
  const wino = CONV_TUNING.winogradWgrad ? winogradWorth(s, device) : null;
  if (wino) {
    const why = `${wino.replace(/^Winograd F\((\d+)x(\d+), (\d+)x(\d+)\)/, 'Winograd F($3x$4, $1x$2)')} (dy's tiles as the filters, the taps as the outputs)`;
    return (s.c / s.groups) % 4 ? { version: '04_winograd', why: `${why}; ${PER_POINT_GEMM}, not 06's batched GEMM: ${s.c / s.groups} input channels per group are not a multiple of 4` } : { version: '06_winograd_gemm', why: `${why}; ${batchedGemm(device!)}` };
  }
  const s2d = CONV_TUNING.winogradWgrad ? s2dWorth(s, device) : null;
  if (s2d && !passOf('conv2d', '06_winograd_gemm_s2d', 'wgrad').unsupported!(s)) {
    return { version: '06_winograd_gemm_s2d', why: `${s2d.replace(/Winograd F\((\d+)x(\d+), (\d+)x(\d+)\)/, 'Winograd F($3x$4, $1x$2)')} (dy's tiles as the filters, x read through space-to-depth); ${batchedGemm(device!)}` };
  }
  if (s.k * (s.c / s.groups) * s.kh * s.kw < 256 && s.n * s.oh * s.ow < 256) return { version: '01_naive', why: 'naive wgrad: a tiny problem' };
  return { version: '03_implicit_gemm', why: `split-K wgrad: ${planWgrad({ maxBinding: 2 ** 31, alignment: 256 }, s).slices} pixel slices per chunk, reduced in a fixed order` };
}

/** One sentence: which forward version runs for this problem and why. */
export function explainConv2d(s: ConvShape, device?: Device): string {
  return selectConv2d(s, device).why;
}

/** What 04 runs between its transforms (06 replaces it by one batched GEMM). */
const PER_POINT_GEMM = "rung 03's register-blocked kernel as a 1x1 GEMM per transform point";

/** What 06's batched GEMM runs on this device (a CPU driver: matmul's image kernels). */
function batchedGemm(device: Device): string {
  const sub = subgroupUnsupported(device);
  return `the products of every transform point and group as one batched GEMM (06) with ${sub === null ? 'matmul/09_subgroup_broadcast' : `matmul/08_image_operands (not 09: ${sub})`}, operands read as images`;
}

/**
 * Winograd (04) on a CPU driver: when the convolution is stride 1 / dilation 1 with at most
 * 6x6 taps, the tiles save at least 1.5x the multiplies (edge overhang counted), and there
 * are at least 16 input and 16 output channels per group (the transforms cost about as much
 * per channel as 16 channels of the GEMM). On lavapipe this halves AlexNet's conv2-5 forward
 * and data-gradient time (BENCHMARKS.md). Not chosen on GPU adapters, whose GEMM path was
 * tuned and measured without it (force version: '04_winograd' to try). Returns the reason, or null.
 */
function winogradWorth(s: ConvShape, device?: Device): string | null {
  if (!device?.info.isCpu || winogradUnsupported(s)) return null;
  const saving = winogradSaving(s.kh, s.kw, s.oh, s.ow);
  if (saving < 1.5 || s.c / s.groups < 16 || s.k / s.groups < 16) return null;
  const my = winogradTileFor(s.kh, s.oh);
  const mx = winogradTileFor(s.kw, s.ow);
  return `Winograd F(${my}x${mx}, ${s.kh}x${s.kw}): ${s.kh * s.kw} multiplies per output and channel pair become ${((my + s.kh - 1) * (mx + s.kw - 1) / (my * mx)).toFixed(2)} ` +
    `(${saving.toFixed(2)}x fewer with the tiles' edge overhang), multiplied point by point between an input and an output transform`;
}

/**
 * The GPU path (05): on an adapter that is not a CPU driver, problems with enough work for
 * 128x128 tiles (at least 64 of them in the forward GEMM) whose one-image column buffer fits
 * the budget go through im2col + the workgroup-memory GEMM (matmul/06, or 05: GPU_GEMM) for
 * all three passes: 10-20x the implicit kernels on an H100. On lavapipe the register-blocked
 * implicit kernels stay: there the GPU path measured 10-11 GFLOP/s against their 23-27.
 */
function gpuGemm(s: ConvShape, device?: Device): { pixels: number } | null {
  if (!device || device.info.isCpu) return null;
  const colImage = s.c * s.kh * s.kw * s.oh * s.ow * 4;
  if (colImage > Math.min(device.maxBinding, CONV_TUNING.gemmColBytes)) return null;
  const pixels = s.n * s.oh * s.ow;
  const tiles = Math.ceil(s.k / s.groups / 128) * Math.ceil(pixels / 128) * s.groups;
  return tiles >= 64 ? { pixels } : null;
}

/**
 * Space-to-depth + Winograd on a CPU driver: when the strided conv's stride-1 form
 * (s2dShape) is one Winograd takes (winogradWorth), both fit one storage binding, and the
 * multiplies per output drop by at least 1.5x against the direct strided conv — e.g.
 * AlexNet's conv1 (11x11, stride 4, 3 channels: 363 taps) becomes 48 channels of 3x3 taps,
 * 432 taps that Winograd F(4x4, 3x3) computes with about 112 multiplies. Returns the reason, or null.
 */
function s2dWorth(s: ConvShape, device?: Device): string | null {
  if (!device?.info.isCpu) return null;
  const e = s2dShape(s);
  if (typeof e === 'string') return null;
  const wino = winogradWorth(e, device);
  if (!wino || winogradUnsupported(e)) return null;
  if (Math.max(e.n * e.c * e.h * e.w, s.n * s.c * s.h * s.w) * 4 > device.maxBinding) return null;
  const direct = (s.c / s.groups) * s.kh * s.kw;
  const viaS2d = (e.c / e.groups) * e.kh * e.kw / winogradSaving(e.kh, e.kw, e.oh, e.ow);
  if (direct / viaS2d < 1.5) return null;
  return `space-to-depth (block ${s.sh}): ${s.c / s.groups}x${s.kh}x${s.kw} taps at stride ${s.sh} become ${e.c / e.groups}x${e.kh}x${e.kw} at stride 1, ` +
    `then ${wino}; ${(direct / viaS2d).toFixed(2)}x fewer multiplies than the direct conv`;
}
