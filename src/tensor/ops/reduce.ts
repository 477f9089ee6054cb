// SPDX-License-Identifier: MIT
// Reductions over axes: sum, mean, max, min, argmax, and sumToShape (the backward of
// broadcasting). Kernels: src/kernels/wgsl/reduce/.

import { fmtShape, record, sizeOf, Tensor, type Shape } from '../tensor.js';
import { add, broadcastTo, equal, maximum, minimum, mul, mulScalar } from './elementwise.js';
import { assertFloat, bind, chunkElements, grid, grid1, normAxis, outOrEmpty, range, sameShape } from './util.js';

const REDUCE_OP = { sum: 0, max: 1, min: 2 } as const;
type ReduceKind = keyof typeof REDUCE_OP;

/** Reduces x viewed as [outer, r, inner] over r. Result: [outer * inner] (flat). */
function reduceRaw(kind: ReduceKind, x: Tensor, outer: number, r: number, inner: number, scale: number, dst?: Tensor): Tensor {
  const d = x.device;
  const out = dst ?? Tensor.empty([outer * inner], 'float32', d);
  const run = (src: Tensor, srcStart: number, o: number, rr: number, dst: Tensor, dstStart: number, s: number) => {
    // a CPU driver: one invocation per output (no barriers), when there are outputs enough to share out
    const serial = d.info.isCpu && o * inner >= 64;
    d.dispatch('reduce/reduce_axis.wgsl',
      [range(src, srcStart, o * rr * inner), range(dst, dstStart, o * inner)],
      [{ u: o }, { u: rr }, { u: inner }, { f: s }], serial ? grid(o * inner, 64) : grid1(o * inner), { OP: REDUCE_OP[kind], SERIAL: serial ? 1 : 0 });
  };
  if (x.byteLength <= d.maxBinding) {
    run(x, 0, outer, r, out, 0, scale);
    return out;
  }
  // Too big for one binding. Split the outer axis when one row fits, else split r and
  // combine the partial results (sum: add, max/min: max/min).
  const rowElems = r * inner;
  if (outer > 1 && rowElems * 4 <= d.maxBinding) {
    const rowsPer = Math.floor(chunkElements(d, rowElems) / rowElems);
    for (let o = 0; o < outer; o += rowsPer) {
      const n = Math.min(rowsPer, outer - o);
      run(x, o * rowElems, n, r, out, o * inner, scale);
    }
    return out;
  }
  if (outer === 1) {
    const rPer = Math.floor(chunkElements(d, inner) / inner);
    let acc: Tensor | null = null;
    for (let s = 0; s < r; s += rPer) {
      const n = Math.min(rPer, r - s);
      const part = Tensor.empty([inner], 'float32', d);
      run(x, s * inner, 1, n, part, 0, scale);
      if (!acc) acc = part;
      else {
        const next: Tensor = kind === 'sum' ? add(acc, part) : kind === 'max' ? maximum(acc, part) : minimum(acc, part);
        acc.dispose();
        part.dispose();
        acc = next;
      }
    }
    if (!dst) {
      out.dispose();
      return acc!;
    }
    d.copy(acc!.buffer, acc!.byteOffset, dst.buffer, dst.byteOffset, dst.byteLength);
    acc!.dispose();
    return dst;
  }
  throw new Error(`reduce: ${fmtShape(x.shape)} has rows of ${rowElems} elements, too large for one binding`);
}

function axesOf(op: string, x: Tensor, axis: number | number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = (Array.isArray(axis) ? axis : [axis]).map((a) => normAxis(op, a, x.rank));
  return [...new Set(list)].sort((a, b) => a - b);
}

function reducedShape(shape: Shape, axes: number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** Reduces over `axes` one contiguous run at a time, no graph; the last pass writes `dst` if given. */
function reduceAxes(kind: ReduceKind, x: Tensor, axes: number[], scale: number, dst?: Tensor): Tensor {
  // Group the sorted axes into runs of adjacent axes; each run is one [outer, r, inner] pass.
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a - 1) last[1] = a;
    else runs.push([a, a]);
  }
  let cur = x;
  let shape = [...x.shape];
  // Last run first, so the earlier axis numbers stay valid.
  for (let i = runs.length - 1; i >= 0; i--) {
    const [a0, a1] = runs[i]!;
    const outer = sizeOf(shape.slice(0, a0));
    const r = sizeOf(shape.slice(a0, a1 + 1));
    const inner = sizeOf(shape.slice(a1 + 1));
    const next = reduceRaw(kind, cur, outer, r, inner, i === 0 ? scale : 1, i === 0 ? dst : undefined);
    if (cur !== x) cur.dispose();
    cur = next;
    shape = [...shape.slice(0, a0), ...shape.slice(a1 + 1)];
  }
  return cur;
}

function reduceOp(kind: ReduceKind, name: string, x: Tensor, axis: number | number[] | undefined, keepdim: boolean, mean: boolean): Tensor {
  assertFloat(name, x);
  const axes = axesOf(name, x, axis);
  const count = sizeOf(axes.map((a) => x.shape[a]!));
  if (count === 0) throw new Error(`${name}: cannot reduce over an empty axis of ${fmtShape(x.shape)}`);
  const outShape = reducedShape(x.shape, axes, keepdim);
  const keptShape = reducedShape(x.shape, axes, true);
  const flat = axes.length === 0 ? x.alias() : reduceAxes(kind, x, axes, mean ? 1 / count : 1);
  const y = flat.reshape(outShape);
  flat.dispose();
  return record(y, name, [x], (g) => {
    const gb = broadcastTo(g.reshape(keptShape), x.shape);
    if (kind === 'sum') return [mean ? mulScalar(gb, 1 / count) : gb];
    // max/min: the gradient flows to every element equal to the result (ties share it)
    const mask = equal(x, broadcastTo(y.reshape(keptShape), x.shape));
    return [mul(gb, mask)];
  });
}

/**
 * Σ over `axes` with no graph, into `out` when given (a gradient's arena slot: backward
 * rules use this for bias gradients), else into a new tensor. Shape: x without the axes.
 */
export function sumAxes(x: Tensor, axes: number[], out?: Tensor): Tensor {
  assertFloat('sum', x);
  const list = axesOf('sum', x, axes);
  const shape = reducedShape(x.shape, list, false);
  if (out) outOrEmpty('sum', out, shape, x.device, [x]);
  if (list.length === 0) {
    if (!out) return x.alias();
    x.device.copy(x.buffer, x.byteOffset, out.buffer, out.byteOffset, out.byteLength);
    return out;
  }
  const flat = reduceAxes('sum', x, list, 1, out);
  if (flat === out) return out;
  const y = flat.reshape(shape);
  flat.dispose();
  return y;
}

export function sum(x: Tensor, axis?: number | number[], keepdim = false): Tensor {
  return reduceOp('sum', 'sum', x, axis, keepdim, false);
}

export function mean(x: Tensor, axis?: number | number[], keepdim = false): Tensor {
  return reduceOp('sum', 'mean', x, axis, keepdim, true);
}

export function max(x: Tensor, axis?: number | number[], keepdim = false): Tensor {
  return reduceOp('max', 'max', x, axis, keepdim, false);
}

export function min(x: Tensor, axis?: number | number[], keepdim = false): Tensor {
  return reduceOp('min', 'min', x, axis, keepdim, false);
}

/** Index of the largest value along `axis` (int32; first one on ties). No gradient. */
export function argmax(x: Tensor, axis = -1, keepdim = false): Tensor {
  assertFloat('argmax', x);
  const a = normAxis('argmax', axis, x.rank);
  const outer = sizeOf(x.shape.slice(0, a));
  const r = x.shape[a]!;
  const inner = sizeOf(x.shape.slice(a + 1));
  if (x.byteLength > x.device.maxBinding) throw new Error(`argmax: ${fmtShape(x.shape)} exceeds one storage binding`);
  const out = Tensor.empty(reducedShape(x.shape, [a], keepdim), 'int32', x.device);
  x.device.dispatch('reduce/argmax.wgsl', [bind(x), bind(out)],
    [{ u: outer }, { u: r }, { u: inner }, { u: 0 }], grid(outer * inner));
  return out;
}

/**
 * Sums g down to `shape` (the reverse of broadcasting): the gradient of an input that was
 * broadcast. Returns g itself when the shapes already match.
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new Error(`sumToShape: cannot sum ${fmtShape(g.shape)} down to ${fmtShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
    else if (shape[i - lead] !== g.shape[i]) {
      throw new Error(`sumToShape: cannot sum ${fmtShape(g.shape)} down to ${fmtShape(shape)}`);
    }
  }
  const s = sum(g, axes, true);
  const out = s.reshape(shape);
  s.dispose();
  return out;
}
