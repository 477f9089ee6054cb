// SPDX-License-Identifier: MIT
// Running one GEMM: bind each operand from an aligned offset and dispatch the version's
// kernel with its launch (versions.ts), splitting the GEMM into blocks along the batch, M,
// N or K when an operand is larger than one storage binding (AlexNet's fc6 weight is 151 MB;
// lavapipe binds at most 128 MiB). K blocks accumulate into C.

import type { Device } from '../../device.js';
import { Tensor } from '../../tensor.js';
import { grid } from '../util.js';
import { cCol, type Gemm, special } from './gemm.js';
import { selectMatmul } from './select.js';
import { isImage, isTiled, MATMUL_KERNELS, MATMUL_LAUNCH, matmulUnsupported, resolveMatmulVersion, type MatmulVersion, type MatmulVersionName } from './versions.js';

/** Records one GEMM dispatch; the operands must each fit one binding. */
function dispatchGemm(d: Device, g: Gemm, version: MatmulVersion): void {
  const bad = matmulUnsupported(version, g, d);
  if (bad) throw new Error(`matmul: ${bad}`);
  if (g.relu && !g.bias) throw new Error('matmul: the ReLU epilogue needs a bias');
  // Bind each operand from an aligned element offset just below its first used element.
  const alignElems = d.alignment / 4;
  const span = (t: Tensor, off: number, last: number) => {
    const start = Math.floor(off / alignElems) * alignElems;
    return { binding: { buffer: t.buffer, offset: t.byteOffset + start * 4, size: Math.max(4, (last + 1 - start) * 4) }, rel: off - start };
  };
  const kExtent = g.kTotal || g.k;
  const aLast = g.aOff + (g.batch - 1) * g.aSb + (g.m - 1) * g.aSm + (kExtent - 1) * g.aSk;
  const bLast = g.bOff + (g.batch - 1) * g.bSb + (kExtent - 1) * g.bSk + (g.n - 1) * g.bSn;
  const cLast = g.cOff + (g.batch - 1) * g.cSb + (g.m - 1) * g.cSm + cCol(g, g.n - 1);
  const A = span(g.a, g.aOff, aLast);
  const B = span(g.b, g.bOff, bLast);
  const C = span(g.c, g.cOff, cLast);
  const bias = g.bias ? { buffer: g.bias.buffer, offset: g.bias.byteOffset, size: g.bias.byteLength } : { buffer: d.dummy, offset: 0, size: 16 };
  const params = [
    { u: g.m }, { u: g.n }, { u: g.k }, { u: g.batch },
    { u: g.aSm }, { u: g.aSk }, { u: g.bSk }, { u: g.bSn },
    { u: g.cSm }, { u: g.aSb }, { u: g.bSb }, { u: g.cSb },
    { u: A.rel }, { u: B.rel }, { u: C.rel }, { f: g.alpha },
  ];
  // 05 and 06 take four more: the folded store, the split-K extent and the row-bias offset
  if (isTiled(version)) params.push({ u: g.fold ?? 0 }, { u: g.cSf ?? 0 }, { u: g.kTotal ?? 0 }, { u: g.biasOff ?? 0 });
  const launch = MATMUL_LAUNCH[version](g);
  const constants = { ACCUMULATE: g.accumulate ? 1 : 0, EPILOGUE: g.bias ? (g.relu ? 2 : 1) : 0, ...launch.constants };
  if (isImage(version)) {
    // 08 and 09 read A and B as images: copy each operand's span into a pooled texture (the
    // span starts at an aligned offset, a multiple of 4 elements = one texel); Aᵀ (a weight
    // gradient dYᵀ·X) is first copied into [batch, M, K] rows
    const image = (b: { buffer: GPUBuffer; offset: number; size: number }) =>
      d.image(b.buffer, b.offset, Math.min(Math.ceil(b.size / 16), Math.floor((b.buffer.size - b.offset) / 16)));
    let rows: Tensor | null = null;
    if (g.aSm === 1 && g.aSk !== 1) {
      rows = Tensor.empty([g.batch * g.m * g.k], 'float32', d);
      d.dispatch('shape/permute.wgsl', [A.binding, { buffer: rows.buffer, offset: rows.byteOffset, size: rows.byteLength }],
        [{ u: rows.size }, { u: 3 }, { u: A.rel }, { u: 0 }, { u: g.batch }, { u: g.m }, { u: g.k }, { u: 1 }, { u: 0 }, { u: 0 }, { u: 0 }, { u: 0 },
          { u: g.aSb }, { u: g.aSm }, { u: g.aSk }, { u: 0 }, { u: 0 }, { u: 0 }, { u: 0 }, { u: 0 }],
        grid(rows.size));
      params[4] = { u: g.k }; // a_sm
      params[5] = { u: 1 };   // a_sk
      params[9] = { u: g.m * g.k }; // a_sb
      params[12] = { u: 0 };  // a_off
    }
    const imgA = image(rows ? { buffer: rows.buffer, offset: rows.byteOffset, size: rows.byteLength } : A.binding);
    const imgB = image(B.binding);
    params.push({ u: imgA.shift }, { u: imgB.shift }, { u: 0 }, { u: 0 });
    d.dispatch(MATMUL_KERNELS[version], [imgA, imgB, bias, C.binding], params, launch.wg, constants);
    // safe to reuse now: later work that takes these textures is recorded after this read
    d.releaseImage(imgA);
    d.releaseImage(imgB);
    rows?.dispose();
    return;
  }
  d.dispatch(MATMUL_KERNELS[version], [A.binding, B.binding, bias, C.binding], params, launch.wg, constants);
}

function spanBytes(off: number, last: number): number {
  return (last - off + 1) * 4;
}

/**
 * Runs a GEMM (the version given, by file stem or old short name, else selectMatmul's),
 * splitting it into blocks when an operand is larger than one storage binding. Splits happen
 * at multiples of 4 so every block keeps the alignment vec4 needs.
 */
export function gemm(g: Gemm, name?: MatmulVersionName): void {
  const version = name === undefined ? undefined : resolveMatmulVersion('matmul', name);
  const d = g.c.device;
  const limit = d.maxBinding;
  const kExtent = g.kTotal || g.k;
  const aBytes = spanBytes(g.aOff, g.aOff + (g.batch - 1) * g.aSb + (g.m - 1) * g.aSm + (kExtent - 1) * g.aSk);
  const bBytes = spanBytes(g.bOff, g.bOff + (g.batch - 1) * g.bSb + (kExtent - 1) * g.bSk + (g.n - 1) * g.bSn);
  const cBytes = spanBytes(g.cOff, g.cOff + (g.batch - 1) * g.cSb + (g.m - 1) * g.cSm + cCol(g, g.n - 1));
  // alignment slack: a block may start up to one alignment unit before its first element
  const fits = (bytes: number) => bytes + d.alignment <= limit;
  if (fits(aBytes) && fits(bBytes) && fits(cBytes)) {
    dispatchGemm(d, g, version ?? selectMatmul(g, d).version);
    return;
  }
  if (special(g)) throw new Error(`matmul: a ${g.m}x${g.n}x${kExtent} GEMM with a folded store or split-K must fit one binding per operand (the caller chunks it)`);
  // halves stay multiples of 4 so vec4 offsets stay aligned (binding offsets are aligned
  // down in dispatchGemm and the remainder travels as an element offset)
  const half = (x: number) => Math.max(4, Math.ceil(x / 2 / 4) * 4);
  if (g.batch > 1) {
    const b1 = Math.ceil(g.batch / 2);
    gemm({ ...g, batch: b1 }, version);
    gemm({ ...g, batch: g.batch - b1, aOff: g.aOff + b1 * g.aSb, bOff: g.bOff + b1 * g.bSb, cOff: g.cOff + b1 * g.cSb }, version);
    return;
  }
  // Split the dimension that shrinks the largest operand most: C (and A or B) along M or N,
  // or A and B along K, accumulating the second K block into the first.
  const mSpan = Math.max((g.m - 1) * g.aSm * 4, (g.m - 1) * g.cSm * 4);
  const nSpan = Math.max((g.n - 1) * g.bSn * 4, (g.n - 1) * 4);
  const kSpan = Math.max((g.k - 1) * g.aSk * 4, (g.k - 1) * g.bSk * 4);
  const best = Math.max(g.m > 4 ? mSpan : -1, g.n > 4 ? nSpan : -1, g.k > 4 ? kSpan : -1);
  if (best < 0) throw new Error(`matmul: a ${g.m}x${g.n}x${g.k} block still exceeds ${limit} bytes per binding`);
  if (best === mSpan && g.m > 4) {
    const m1 = half(g.m);
    gemm({ ...g, m: m1 }, version);
    gemm({ ...g, m: g.m - m1, aOff: g.aOff + m1 * g.aSm, cOff: g.cOff + m1 * g.cSm }, version);
  } else if (best === nSpan && g.n > 4) {
    const n1 = half(g.n);
    const b1 = g.bias ? biasSlice(g.bias, 0, n1) : null;
    const b2 = g.bias ? biasSlice(g.bias, n1, g.n - n1) : null;
    gemm({ ...g, n: n1, bias: b1 }, version);
    gemm({ ...g, n: g.n - n1, bOff: g.bOff + n1 * g.bSn, cOff: g.cOff + n1, bias: b2 }, version);
    // safe to free now: later work that reuses the buffers is recorded after these reads
    b1?.dispose();
    b2?.dispose();
  } else {
    const k1 = half(g.k);
    // epilogue (bias, ReLU) only after the last K block, when the sum is complete
    gemm({ ...g, k: k1, bias: null, relu: false }, version);
    gemm({ ...g, k: g.k - k1, aOff: g.aOff + k1 * g.aSk, bOff: g.bOff + k1 * g.bSk, accumulate: true }, version);
  }
}

/** A view of bias[start, start+n) as its own tensor handle (copies n floats). */
function biasSlice(bias: Tensor, start: number, n: number): Tensor {
  const d = bias.device;
  const t = Tensor.empty([n], 'float32', d);
  d.copy(bias.buffer, bias.byteOffset + start * 4, t.buffer, t.byteOffset, n * 4);
  return t;
}
