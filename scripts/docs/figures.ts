// SPDX-License-Identifier: MIT
// The figures of docs/conv2d.md, one per rung, drawn from the constants the kernels run with:
// CONV_TUNING's block shapes (03), the tile constants and workgroup size in
// matmul/05_tiled.wgsl (05), winogradTileFor and winograd1D (04), s2dShape (04_winograd_s2d),
// convShape and im2col's row/column formula (01, 02), the point-major matrices of
// 06_winograd_gemm.ts (colsFor) and matmul/09's block (its RB, and the lines that fix 8 lanes
// and 2 vec4 columns per lane) (06). A change to any of them redraws the
// figure; test/docs/figures.test.ts fails while a committed SVG differs from what this file
// draws. Write them with `npm run docs` (scripts/docs/update.ts).

import { WGSL } from '../../src/kernels/wgsl.generated.js';
import { convShape, s2dShape, type ConvShape } from '../../src/tensor/ops/conv2d/index.js';
import { winogradFor } from '../../src/tensor/ops/conv2d/04_winograd.js';
import { colsFor } from '../../src/tensor/ops/conv2d/06_winograd_gemm.js';
import { CONV_TUNING } from '../../src/tensor/ops/conv2d/tuning.js';
import { winograd1D, winogradTileFor } from '../../src/tensor/ops/conv2d/winograd_matrices.js';
import { colour, Svg } from './svg.js';

const LIGHT = '#eee';
const HI = '#f28e2b';
const BLUE = '#4e79a7';
const BOTH = '#8a6d9e';

/** The small convolution that figures 01 and 02 draw: 2 channels of 6x6, a 3x3 filter. */
export const SMALL = convShape([1, 2, 6, 6], [2, 2, 3, 3]);
/** AlexNet's conv1 and conv3 at batch 1 (figures 04 and s2d). */
export const CONV1 = convShape([1, 3, 227, 227], [96, 3, 11, 11], { stride: 4 });
export const CONV3 = convShape([1, 256, 13, 13], [384, 256, 3, 3], { padding: 1 });

/** A `const NAME = 128u;` or `@workgroup_size(16, 16, 1)` of a kernel, as numbers. */
export function wgslConst(file: string, name: string): number {
  const src = (WGSL as Record<string, string>)[file];
  if (!src) throw new Error(`figures: no kernel ${file}`);
  const m = new RegExp(`\\b(?:const|override)\\s+${name}\\s*(?::\\s*u32)?\\s*=\\s*(\\d+)u?\\s*;`).exec(src);
  if (!m) throw new Error(`figures: ${file} has no constant ${name}`);
  return Number(m[1]);
}
export function wgslWorkgroupSize(file: string): number[] {
  const m = /@workgroup_size\(([^)]*)\)/.exec((WGSL as Record<string, string>)[file] ?? '');
  if (!m) throw new Error(`figures: ${file} has no @workgroup_size`);
  return m[1]!.split(',').map((v) => Number(v.trim()));
}

/** Throws unless a kernel still has `line` (a figure drawn from what that line fixes would go stale). */
export function wgslHas(file: string, line: string): void {
  const src = (WGSL as Record<string, string>)[file];
  if (!src?.split('\n').some((l) => l.trim() === line)) throw new Error(`figures: ${file} no longer has the line \`${line}\`: redraw the figure that relies on it`);
}

/** 01: one invocation per output value, and the input values it reads. */
function naive(): string {
  const s = SMALL;
  const cell = 22;
  const oy = 1;
  const ox = 2;
  const svg = new Svg(700, 250, '01_naive: one invocation per output value');
  const inRange = (y: number, x: number, oy0: number, ox0: number) =>
    y >= oy0 * s.sh - s.ph && y < oy0 * s.sh - s.ph + s.kh && x >= ox0 * s.sw - s.pw && x < ox0 * s.sw - s.pw + s.kw;
  for (let c = 0; c < s.c; c++) {
    const x0 = 20 + c * (s.w * cell + 30);
    svg.text(x0, 24, `x, channel ${c}`, { bold: true });
    svg.grid(x0, 34, s.h, s.w, cell, (y, x) => (inRange(y, x, oy, ox) ? (inRange(y, x, oy, ox + 1) ? BOTH : BLUE) : inRange(y, x, oy, ox + 1) ? HI : null));
  }
  const yx = 20 + s.c * (s.w * cell + 30) + 20;
  svg.text(yx, 24, 'y, channel 0', { bold: true });
  svg.grid(yx, 34, s.oh, s.ow, cell, (y, x) => (y === oy && x === ox ? BLUE : y === oy && x === ox + 1 ? HI : null));
  const i = oy * s.ow + ox;
  const taps = (s.c / s.groups) * s.kh * s.kw;
  const shared = s.kh * (s.kw - s.sw);
  svg.text(20, 34 + s.h * cell + 26, `invocation ${i} computes y[0, 0, ${oy}, ${ox}] (blue): ${taps} multiply-adds, each with 2 loads (one x, one w).`);
  svg.text(20, 34 + s.h * cell + 44, `invocation ${i + 1}, its neighbour (orange), loads ${shared} of the same ${s.kh * s.kw} x values per channel again (purple):`);
  svg.text(20, 34 + s.h * cell + 62, 'nothing loaded is shared between invocations.');
  return svg.toString();
}

/** 02: im2col writes every receptive field as a column; the conv is then one GEMM. */
function im2col(): string {
  const s = SMALL;
  const rows = s.c * s.kh * s.kw;
  const cols = s.oh * s.ow;
  const cell = 16;
  const pick = { c: 0, y: 2, x: 2 };
  const q0 = 1 * s.ow + 2;
  // the x value that col[row, q] copies (02_im2col.wgsl): row = (c*KH + ky)*KW + kx, q = oy*OW + ox
  const src = (row: number, q: number) => {
    const c = Math.floor(row / (s.kh * s.kw));
    const ky = Math.floor(row / s.kw) % s.kh;
    const kx = row % s.kw;
    const oy = Math.floor(q / s.ow);
    const ox = q % s.ow;
    return { c, y: oy * s.sh - s.ph + ky * s.dh, x: ox * s.sw - s.pw + kx * s.dw };
  };
  const gx = 150;
  const gy = 50;
  const svg = new Svg(gx + cols * cell + 250, gy + rows * cell + 70, '02_im2col: receptive fields as columns');
  svg.text(gx, 20, `col: ${rows} rows (c, ky, kx) x ${cols} columns (oy, ox)`, { bold: true });
  svg.text(gx, 38, 'column q = oy*OW + ox', { size: 11 });
  let copies = 0;
  svg.grid(gx, gy, rows, cols, cell, (row, q) => {
    const v = src(row, q);
    const hit = v.c === pick.c && v.y === pick.y && v.x === pick.x;
    if (hit) copies++;
    return hit ? HI : q === q0 ? '#c6d8ec' : v.c === 0 ? '#fafafa' : LIGHT;
  });
  svg.rect(gx + q0 * cell, gy, cell, rows * cell, { stroke: BLUE, width: 2 });
  for (let c = 0; c < s.c; c++) {
    const y = gy + c * s.kh * s.kw * cell;
    svg.text(gx - 8, y + 12, `c = ${c}, ky, kx`, { anchor: 'end', size: 11 });
    svg.line(gx - 4, y, gx + cols * cell, y, '#333', 1.5);
  }
  const tx = gx + cols * cell + 16;
  svg.text(tx, gy + 12, `blue column: one receptive field`);
  svg.text(tx, gy + 28, `(the ${rows} x values output (1, 2) reads)`);
  svg.text(tx, gy + 56, `orange: x[0, 0, ${pick.y}, ${pick.x}], copied`, { fill: '#b05a00' });
  svg.text(tx, gy + 72, `${copies} times (KH·KW / (sh·sw) = ${(s.kh * s.kw) / (s.sh * s.sw)})`, { fill: '#b05a00' });
  svg.text(tx, gy + 100, `then, per image and group:`);
  svg.text(tx, gy + 116, `y [${s.k} x ${cols}] = W [${s.k} x ${rows}] · col [${rows} x ${cols}]`);
  svg.text(gx, gy + rows * cell + 24, `x: ${s.c} channels of ${s.h}x${s.w}, w: ${s.k}x${s.c}x${s.kh}x${s.kw}, stride ${s.sh}, padding ${s.ph}: y is ${s.oh}x${s.ow}.`);
  return svg.toString();
}

/** 03: which invocation of a workgroup owns which pixels and channels (CONV_TUNING.forward). */
function implicitGemm(): string {
  const { WG, PIX, COV } = CONV_TUNING.forward;
  const cell = 26;
  const gx = 20;
  const gy = 60;
  const bx = gx + WG * cell + 50;
  const lanes = 8;
  const svg = new Svg(Math.max(bx + 4 * COV * 12 + 20, 760), gy + PIX * cell + 110, '03_implicit_gemm: who owns what in one workgroup');
  svg.text(gx, 22, `one workgroup: WG = ${WG} invocations, ${WG * PIX} pixels (PIX = ${PIX} each), ${4 * COV} output channels`, { bold: true });
  svg.text(gx, 42, `cell (i, l) is pixel i·WG + l of the workgroup; its colour is the invocation that owns it, l`, { size: 11 });
  svg.grid(gx, gy, PIX, WG, cell, (_i, l) => colour(l));
  for (let i = 0; i < PIX; i++) {
    for (let l = 0; l < WG; l++) svg.text(gx + l * cell + cell / 2, gy + i * cell + 17, String(i * WG + l), { size: 10, anchor: 'middle' });
  }
  for (let l = 0; l < WG; l += lanes) svg.rect(gx + l * cell, gy, Math.min(lanes, WG - l) * cell, PIX * cell, { stroke: '#000', width: 2 });
  svg.text(gx, gy + PIX * cell + 20, `black boxes: a SIMD batch of ${lanes} lanes on lavapipe (invocations ${0}-${lanes - 1}, ...): per tap they gather ${lanes} neighbouring pixels`, { size: 11 });
  const by = gy + 30;
  svg.text(bx, by - 22, `invocation 0's block: ${PIX} pixels x ${4 * COV} channels`, { size: 11, bold: true });
  svg.text(bx, by - 8, `(pixels ${Array.from({ length: Math.min(PIX, 3) }, (_, i) => i * WG).join(', ')}, ..., ${(PIX - 1) * WG})`, { size: 11 });
  svg.grid(bx, by, PIX, 4 * COV, 12, () => colour(0), '#fff');
  for (let v = 0; v <= COV; v++) svg.line(bx + v * 48, by, bx + v * 48, by + PIX * 12, '#000', 1);
  svg.text(bx, by + PIX * 12 + 16, `${PIX * 4 * COV} accumulators = ${PIX * COV} vec4 (black: one vec4 of channels)`, { size: 11 });
  const y2 = gy + PIX * cell + 44;
  svg.text(gx, y2, `Per tap an invocation loads ${PIX} x values (one per pixel) and ${COV} vec4 of the packed weight, the same`);
  svg.text(gx, y2 + 18, `${COV} for every invocation of the workgroup, and does ${PIX * 4 * COV} multiply-adds: 1/${(PIX * 4 * COV) / (PIX + COV)} of a load per multiply-add`);
  svg.text(gx, y2 + 36, `(01_naive: 2). The host sets WG, PIX and COV as override constants (CONV_TUNING in tuning.ts).`);
  return svg.toString();
}

/** 05: the 128x128 tile of C, the strips staged in workgroup memory, one invocation's quadrants. */
function tiledGemm(): string {
  const file = 'matmul/05_tiled.wgsl';
  const BM = wgslConst(file, 'BM');
  const BN = wgslConst(file, 'BN');
  const BK = wgslConst(file, 'BK');
  const [WX, WY] = wgslWorkgroupSize(file) as [number, number];
  const px = 3; // pixels per element of C
  const q = 4; // an invocation's outputs come in 4x4 blocks (vec4 reads of workgroup memory)
  const tx = 1;
  const ty = 2;
  const ox = 140;
  const oy = 130;
  const svg = new Svg(ox + BN * px + 380, oy + BM * px + 30, '05_tiled: one 128x128 tile of C per workgroup');
  svg.text(20, 22, `a workgroup of ${WX}x${WY} invocations computes one ${BM}x${BN} tile of C`, { bold: true });
  svg.text(20, 40, `per K step of ${BK}: A's ${BM}x${BK} strip and B's ${BK}x${BN} strip are staged in workgroup memory, then every invocation reads them`, { size: 11 });
  // the strips
  svg.rect(ox - 12 - BK * px * 2, oy, BK * px * 2, BM * px, { fill: '#c6d8ec', stroke: '#333' });
  svg.text(ox - 16 - BK * px * 2, oy + BM * px / 2, `A strip ${BM}x${BK}`, { anchor: 'end', size: 11 });
  svg.rect(ox, oy - 12 - BK * px * 2, BN * px, BK * px * 2, { fill: '#c6d8ec', stroke: '#333' });
  svg.text(ox + BN * px / 2, oy - 16 - BK * px * 2, `B strip ${BK}x${BN}`, { anchor: 'middle', size: 11 });
  // the tile: blocks of q x q, owner (bx % WX, by % WY)
  const nb = BN / q;
  const mb = BM / q;
  for (let by = 0; by < mb; by++) {
    for (let bx = 0; bx < nb; bx++) {
      const mine = bx % WX === tx && by % WY === ty;
      svg.rect(ox + bx * q * px, oy + by * q * px, q * px, q * px, { fill: mine ? HI : (bx + by) % 2 ? '#f4f4f4' : '#e6e6e6' });
    }
  }
  svg.rect(ox, oy, BN * px, BM * px, { stroke: '#333', width: 1.5 });
  svg.line(ox + (BN / 2) * px, oy, ox + (BN / 2) * px, oy + BM * px, '#333', 1.5);
  svg.line(ox, oy + (BM / 2) * px, ox + BN * px, oy + (BM / 2) * px, '#333', 1.5);
  const per = (BM / WY) * (BN / WX);
  const t = ox + BN * px + 20;
  svg.text(t, oy + 14, `orange: what invocation (tx, ty) = (${tx}, ${ty}) owns,`);
  svg.text(t, oy + 30, `${BM / WY}x${BN / WX} = ${per} outputs in four ${q}x${q} quadrant blocks:`);
  svg.text(t, oy + 46, `rows ty·${q} .. +${q - 1} and ${BM / 2} + ty·${q} .. +${q - 1},`);
  svg.text(t, oy + 62, `columns tx·${q} .. +${q - 1} and ${BN / 2} + tx·${q} .. +${q - 1}`);
  svg.text(t, oy + 90, `The ${WX} invocations of a row read ${WX} consecutive`);
  svg.text(t, oy + 106, `vec4 of each strip row from workgroup memory.`);
  svg.text(t, oy + 134, `Per K step: ${(BM * BK + BK * BN) / (WX * WY)} loads from memory and`);
  svg.text(t, oy + 150, `${BK * per} multiply-adds per invocation.`);
  svg.text(t, oy + 178, `Grey checks: the ${q}x${q} blocks of the other`);
  svg.text(t, oy + 194, `${WX * WY - 1} invocations; lines: the quadrants.`);
  return svg.toString();
}

/** 04: Winograd's output tiles and their overlapping input tiles (conv3, F(4x4, 3x3)). */
function winograd(): string {
  const s = CONV3;
  const m = winogradTileFor(s.kh, s.oh);
  const f = winograd1D(m, s.kh);
  const a = f.alpha;
  const tiles = Math.ceil(s.oh / m);
  const cell = 13;
  const out = tiles * m;
  const inp = out + s.kh - 1;
  const gx = 20;
  const gy = 60;
  const ix = gx + out * cell + 60;
  const svg = new Svg(Math.max(ix + inp * cell + 30, 880), gy + inp * cell + 70, '04_winograd: output tiles and their overlapping input tiles');
  svg.text(gx, 22, `conv3 (${s.oh}x${s.ow} output, ${s.kh}x${s.kw} filter, padding ${s.ph}) by F(${m}x${m}, ${s.kh}x${s.kw}): tiles of ${m}x${m} outputs from ${a}x${a} inputs`, { bold: true });
  svg.text(gx, gy - 8, `y: ${tiles}x${tiles} tiles of ${m}x${m} (grey: overhang past ${s.oh})`, { size: 11 });
  svg.grid(gx, gy, out, out, cell, (y, x) => {
    if (y >= s.oh || x >= s.ow) return '#ccc';
    const t = Math.floor(y / m) * tiles + Math.floor(x / m);
    return t === 0 ? BLUE : t === 1 ? HI : null;
  });
  for (let t = 0; t <= tiles; t++) {
    svg.line(gx + t * m * cell, gy, gx + t * m * cell, gy + out * cell, '#000', 1.5);
    svg.line(gx, gy + t * m * cell, gx + out * cell, gy + t * m * cell, '#000', 1.5);
  }
  svg.text(ix, gy - 8, `x with padding ${s.ph}: the ${a}x${a} input tiles of the two coloured output tiles`, { size: 11 });
  const inTile = (y: number, x: number, t: number) => y < a && x >= t * m && x < t * m + a;
  svg.grid(ix, gy, inp, inp, cell, (y, x) => {
    const pad = y < s.ph || x < s.pw || y >= s.ph + s.h || x >= s.pw + s.w;
    if (inTile(y, x, 0) && inTile(y, x, 1)) return BOTH;
    if (inTile(y, x, 0)) return BLUE;
    if (inTile(y, x, 1)) return HI;
    return pad ? '#ccc' : null;
  });
  svg.rect(ix, gy, a * cell, a * cell, { stroke: BLUE, width: 2 });
  svg.rect(ix + m * cell, gy, a * cell, a * cell, { stroke: HI, width: 2 });
  const y2 = gy + inp * cell + 22;
  svg.text(gx, y2, `Purple: the ${s.kh - 1} columns both input tiles read (tiles overlap by r - 1 = ${s.kh - 1}). Per tile and channel pair: ${a * a} multiplies`);
  svg.text(gx, y2 + 18, `instead of ${m * m}·${s.kh * s.kw} = ${m * m * s.kh * s.kw}; with the edge overhang counted, conv3 needs ${(s.kh * s.kw * s.oh * s.ow / (a * a * tiles * tiles)).toFixed(2)}x fewer multiplies.`);
  return svg.toString();
}

/** 04_winograd_s2d: space-to-depth of a stride-s convolution's input (conv1: s = 4). */
function spaceToDepth(): string {
  const s = CONV1;
  const b = s.sh;
  const e = s2dShape(s) as ConvShape;
  const n = 2 * b;
  const cell = 20;
  const gx = 20;
  const gy = 60;
  const ox = gx + n * cell + 70;
  const small = 14;
  const svg = new Svg(Math.max(ox + b * (2 * small + 12) + 20 + 260, 820), gy + n * cell + 50, '04_winograd_s2d: space-to-depth');
  svg.text(gx, 22, `space-to-depth with block ${b} (conv1's stride): every ${b}x${b} block of pixels moves into ${b * b} channels`, { bold: true });
  svg.text(gx, gy - 8, `one channel of x, ${n}x${n} pixels`, { size: 11 });
  svg.grid(gx, gy, n, n, cell, (y, x) => colour((y % b) * b + (x % b)));
  for (let t = 0; t <= n; t += b) {
    svg.line(gx + t * cell, gy, gx + t * cell, gy + n * cell, '#000', 2);
    svg.line(gx, gy + t * cell, gx + n * cell, gy + t * cell, '#000', 2);
  }
  svg.text(ox, gy - 8, `x': ${b * b} channels of ${n / b}x${n / b}, channel (dy·${b} + dx)`, { size: 11 });
  for (let dy = 0; dy < b; dy++) {
    for (let dx = 0; dx < b; dx++) {
      const x0 = ox + dx * (2 * small + 12);
      const y0 = gy + dy * (2 * small + 12);
      svg.grid(x0, y0, n / b, n / b, small, () => colour(dy * b + dx), '#fff');
    }
  }
  const t = ox + b * (2 * small + 12) + 20;
  svg.text(t, gy + 12, `x'[(c·${b} + dy)·${b} + dx, u, v]`);
  svg.text(t, gy + 28, `  = x[c, u·${b} + dy - p, v·${b} + dx - p]`);
  svg.text(t, gy + 56, `conv1: ${s.c} channels of ${s.kh}x${s.kw} taps, stride ${b}`);
  svg.text(t, gy + 72, `becomes ${e.c} channels of ${e.kh}x${e.kw} taps, stride 1:`);
  svg.text(t, gy + 88, `${e.c * e.kh * e.kw} taps instead of ${s.c * s.kh * s.kw} (the filter`);
  svg.text(t, gy + 104, `padded to ${e.kh * b}x${e.kw * b}), which Winograd takes.`);
  svg.text(gx, gy + n * cell + 24, `The filter moves the same way: w'[k, (c·${b} + dy)·${b} + dx, a, b] = w[k, c, a·${b} + dy, b·${b} + dx] (zero past ${s.kh}).`);
  return svg.toString();
}

/** 06: the point-major matrices and the one batched GEMM (conv3 at lavapipe's batch of 8). */
function winogradGemm(): string {
  const s = { ...CONV3, n: 8 };
  const fy = winogradFor(s.kh, s.oh);
  const xi = fy.alpha * fy.alpha;
  const tiles = Math.ceil(s.oh / fy.m) * Math.ceil(s.ow / fy.m);
  const cols = colsFor(s.n, tiles);
  const kg = s.k / s.groups;
  const cg = s.c / s.groups;
  const px = 0.5; // pixels per matrix element
  const y0 = 92;
  const svg = new Svg(940, 450, '06_winograd_gemm: point-major matrices, one batched GEMM');
  svg.text(20, 22, `conv3 at batch ${s.n} by F(${fy.m}x${fy.m}, ${s.kh}x${s.kw}): ${xi} transform points ξ, ${tiles} tiles per image, ${s.n} images side by side: cols = ${cols}`, { bold: true });
  svg.text(20, 40, `for every ξ (and group), one product of row-major matrices; all ${xi * s.groups} of them are ONE gemm() call (batch = ${xi} x groups)`, { size: 11 });
  // a matrix of r x c elements at (x, y), with two outlines behind it for the other transform points
  const matrix = (x: number, y: number, r: number, c: number, name: string, bands: boolean) => {
    for (const o of [12, 6]) svg.rect(x + o, y - o, c * px, r * px, { fill: '#fff', stroke: '#aaa', dash: true });
    svg.rect(x, y, c * px, r * px, { fill: bands ? '#fff' : '#c6d8ec', stroke: '#333' });
    if (bands) {
      for (let n = 0; n < s.n; n++) svg.rect(x + n * tiles * px, y, tiles * px, r * px, { fill: colour(n), opacity: 0.55 });
      if (cols > s.n * tiles) svg.rect(x + s.n * tiles * px, y, (cols - s.n * tiles) * px, r * px, { fill: '#ccc' });
      svg.rect(x, y, c * px, r * px, { stroke: '#333' });
    }
    svg.text(x + (c * px) / 2, y + r * px + 16, name, { anchor: 'middle', size: 11 });
    svg.text(x - 6, y + (r * px) / 2, String(r), { anchor: 'end', size: 10 });
    svg.text(x + (c * px) / 2, y - 16, String(c), { anchor: 'middle', size: 10 });
  };
  const ux = 60;
  const vx = ux + cg * px + 60;
  const mx = vx + cols * px + 80;
  matrix(ux, y0, kg, cg, `U[ξ, g]: ${kg} x ${cg} (A)`, false);
  svg.text(vx - 28, y0 + (kg * px) / 2 + 8, '·', { anchor: 'middle', size: 32, bold: true });
  matrix(vx, y0, cg, cols, `V[ξ, g]: ${cg} x ${cols} (B)`, true);
  svg.text(mx - 48, y0 + (kg * px) / 2 + 7, '=', { anchor: 'middle', size: 22 });
  matrix(mx, y0, kg, cols, `M[ξ, g]: ${kg} x ${cols} (C)`, true);
  const t = mx + cols * px + 30;
  svg.text(t, y0 + 10, 'columns: image n, tile t', { size: 11 });
  svg.text(t, y0 + 26, `col = n·${tiles} + t, one colour per image`, { size: 11 });
  svg.text(t, y0 + 42, cols > s.n * tiles ? `(grey: rounding up to ${cols}, a multiple of 4)` : `(${s.n} x ${tiles} = ${cols}: already a multiple of 4)`, { size: 11 });
  svg.text(t, y0 + 70, `dashed: the other ξ, ${xi} in all`, { size: 11 });
  const y2 = y0 + kg * px + 50;
  const lines = [
    `step 1 (04_winograd_1_weight.wgsl, LAYOUT 1) writes U[ξ, g, j, ci]: for each ξ and group a row-major ${kg} x ${cg} matrix`,
    `step 2 (04_winograd_2_input.wgsl, LAYOUT 2) writes V[ξ, c, col]: for each ξ a ${s.c} x ${cols} matrix, the images side by side`,
    `the GEMM step: gemm() with M = ${kg}, N = ${cols}, K = ${cg}, batch = ${xi}, on matmul/09_subgroup_broadcast (08 where subgroups are not 8 wide)`,
    `step 3 (04_winograd_3_output.wgsl, LAYOUT 1) reads M[ξ, k, col] and writes the ${fy.m}x${fy.m} pixels of each tile`,
    `Rung 04 keeps V image by image, V[n, ξ·C + c, ty, tx], because its GEMM is rung 03's kernel run as a 1x1 convolution.`,
  ];
  lines.forEach((l, i) => svg.text(20, y2 + i * 20, l, { size: 12 }));
  return svg.toString();
}

/** 06 (matmul 09): one subgroup's block, and the rows of A that its lanes load and broadcast. */
function subgroupBroadcast(): string {
  const file = 'matmul/09_subgroup_broadcast.wgsl';
  const RB = wgslConst(file, 'RB');
  wgslHas(file, 'let sg = li / 8u;');
  wgslHas(file, 'let colv = ((wid.x * SG_N + sg % SG_N) * 8u + lane) * 2u;   // this lane\'s first vec4 column');
  const lanes = 8;
  const vecs = 2; // vec4 columns per lane
  const rows = 8 * RB;
  const ncol = lanes * vecs * 4;
  const cw = 7;
  const rh = 14;
  const ax = 60;
  const cx = ax + 4 * rh + 30;
  const by = 84;
  const cy = by + 4 * rh + 24;
  const pick = 3;
  const svg = new Svg(1000, cy + rows * rh + 80, '09_subgroup_broadcast: one subgroup of 8 lanes');
  svg.text(20, 22, `matmul 09: a subgroup of ${lanes} lanes computes ${rows} rows x ${ncol} columns of C (RB = ${RB} blocks of 8 rows; ${vecs} vec4 columns per lane)`, { bold: true });
  svg.text(20, 40, 'colour = the lane: in A the lane that loads the row, in B and C the lane that owns the columns', { size: 11 });
  // A: rows x 4 k, row r loaded by lane r mod 8
  svg.text(ax + 2 * rh, by + 3 * rh + 14 + 10, 'A: 4 k', { anchor: 'middle', size: 11 });
  svg.grid(ax, cy, rows, 4, rh, (r) => colour(r % lanes));
  for (let r = 0; r < rows; r++) svg.text(ax - 6, cy + r * rh + 11, `row ${r}`, { anchor: 'end', size: 10 });
  // B: 4 k x ncol, columns owned by lane floor(col / (4 vecs))
  svg.text(cx - 8, by + 2 * rh + 4, 'B: 4 k', { anchor: 'end', size: 11 });
  const span = 4 * vecs * cw; // one lane's columns
  for (let l = 0; l < lanes; l++) {
    svg.rect(cx + l * span, by, span, 4 * rh, { fill: colour(l), opacity: 0.8 });
    svg.text(cx + l * span + span / 2, by - 6, `lane ${l}`, { anchor: 'middle', size: 10 });
    // C: rows x ncol
    for (let r = 0; r < rows; r++) svg.rect(cx + l * span, cy + r * rh, span, rh, { fill: colour(l), opacity: r === pick ? 0.9 : 0.3 });
  }
  // thin lines: rows of k and of C, and the vec4 columns
  for (let k = 1; k < 4; k++) svg.line(cx, by + k * rh, cx + ncol * cw, by + k * rh, '#fff', 1);
  for (let r = 1; r < rows; r++) svg.line(cx, cy + r * rh, cx + ncol * cw, cy + r * rh, '#fff', 1);
  for (let v = 1; v < lanes * vecs; v++) {
    svg.line(cx + v * 4 * cw, by, cx + v * 4 * cw, by + 4 * rh, '#fff', v % vecs ? 0.5 : 1.5);
    svg.line(cx + v * 4 * cw, cy, cx + v * 4 * cw, cy + rows * rh, '#fff', v % vecs ? 0.5 : 1.5);
  }
  svg.rect(cx, by, ncol * cw, 4 * rh, { stroke: '#333' });
  svg.rect(cx, cy, ncol * cw, rows * rh, { stroke: '#333', width: 1.5 });
  svg.line(cx, cy + 8 * rh, cx + ncol * cw, cy + 8 * rh, '#333', 1.5);
  svg.rect(ax, cy + pick * rh, 4 * rh, rh, { stroke: '#000', width: 2 });
  svg.rect(cx, cy + pick * rh, ncol * cw, rh, { stroke: '#000', width: 2 });
  svg.line(ax + 4 * rh, cy + pick * rh + rh / 2, cx, cy + pick * rh + rh / 2, '#000', 2);
  const t = cx + ncol * cw + 24;
  svg.text(t, cy + 12, `Per 4 steps of k, lane l loads:`, { size: 12, bold: true });
  svg.text(t, cy + 30, `${RB} texels of A: rows l${RB > 1 ? ' and 8 + l' : ''} (one each),`, { size: 12 });
  svg.text(t, cy + 46, `${4 * vecs} texels of B: 4 k x its ${vecs} vec4 columns.`, { size: 12 });
  svg.text(t, cy + 74, `Row ${pick} (black): subgroupBroadcast(lo, ${pick}u)`, { size: 12 });
  svg.text(t, cy + 90, `hands lane ${pick}'s texel to all ${lanes} lanes:`, { size: 12 });
  svg.text(t, cy + 106, 'on lavapipe an extract and a splat,', { size: 12 });
  svg.text(t, cy + 122, 'no memory access.', { size: 12 });
  const fmas = rows * vecs * 4 * 4;
  const y2 = cy + rows * rh + 28;
  svg.text(20, y2, `Each lane then does ${rows * vecs} vec4 mad4 steps: ${fmas} multiply-adds per 4 steps of k, for ${RB + 4 * vecs} texel loads (09).`, { size: 12 });
  svg.text(20, y2 + 18, `08_image_operands, where every lane loads all ${rows} rows of A itself, takes a ${rows} x 16 block: ${rows + 16} texel loads for ${2 * fmas}.`, { size: 12 });
  svg.text(20, y2 + 36, `Lines: the ${RB} blocks of 8 rows (RB). The lanes are neighbours along N: together their ${lanes * vecs} vec4 columns are ${lanes * vecs * 16} contiguous bytes of a B row.`, { size: 11 });
  return svg.toString();
}

/** Every figure: its file under docs/img/conv2d/ and how to draw it (in reading order). */
export const FIGURES: ReadonlyArray<{ file: string; draw: () => string }> = [
  { file: '01_naive.svg', draw: naive },
  { file: '02_im2col.svg', draw: im2col },
  { file: '03_implicit_gemm.svg', draw: implicitGemm },
  { file: '05_tiled_gemm.svg', draw: tiledGemm },
  { file: '04_winograd.svg', draw: winograd },
  { file: '04_winograd_s2d.svg', draw: spaceToDepth },
  { file: '06_winograd_gemm.svg', draw: winogradGemm },
  { file: '06_subgroup_broadcast.svg', draw: subgroupBroadcast },
];
export const FIGURE_DIR = 'docs/img/conv2d';
