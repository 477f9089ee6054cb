// SPDX-License-Identifier: MIT
// Small helpers shared by the ops: dispatch grids, binding ranges, shape checks.

import type { Binding, Device } from '../device.js';
import { fmtShape, sizeOf, Tensor, type Shape } from '../tensor.js';

/** A 2-D grid of workgroups covering `n` invocations (one dimension holds at most 65535). */
export function grid(n: number, perWorkgroup = 256): [number, number] {
  const groups = Math.max(1, Math.ceil(n / perWorkgroup));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x)];
}

/** A 2-D grid with exactly one workgroup per item (for one-workgroup-per-output kernels). */
export function grid1(items: number): [number, number] {
  const x = Math.min(Math.max(1, items), 65535);
  return [x, Math.ceil(Math.max(1, items) / x)];
}

/** The whole tensor as a binding (exactly its bytes, not the pooled buffer's bucket). */
export function bind(t: Tensor): Binding {
  return { buffer: t.buffer, offset: t.byteOffset, size: Math.max(4, t.byteLength) };
}

/** Elements per chunk so a range of them fits one storage binding and starts aligned. */
export function chunkElements(device: Device, itemsPerRow = 1): number {
  const alignElems = device.alignment / 4;
  const maxElems = Math.floor(device.maxBinding / 4);
  const rows = Math.floor(maxElems / itemsPerRow);
  let n = rows * itemsPerRow;
  n -= n % (alignElems * itemsPerRow);
  if (n <= 0) throw new Error(`a row of ${itemsPerRow} elements does not fit one storage binding`);
  return n;
}

/**
 * For elementwise kernels with a vec4 form (the optimizers): the ranges of [0, n) to run
 * four at a time — up to the last multiple of the binding alignment, so the rest starts at
 * an offset the device accepts — and the scalar rest (fewer than 64 elements), if any.
 */
export function vec4Ranges(device: Device, n: number): { vec4: Array<[start: number, count: number]>; rest: [start: number, count: number] | null } {
  const align = Math.max(4, device.alignment / 4);
  const n4 = n - (n % align);
  return { vec4: n4 > 0 ? [...flatChunks(device, n4)] : [], rest: n4 < n ? [n4, n - n4] : null };
}

/**
 * Splits [0, n) into ranges that fit one storage binding, each starting at an offset the
 * device accepts. Tensors under the limit (almost all) get one range.
 */
export function* flatChunks(device: Device, n: number): Generator<[start: number, count: number]> {
  if (n * 4 <= device.maxBinding) {
    yield [0, n];
    return;
  }
  const step = chunkElements(device);
  for (let s = 0; s < n; s += step) yield [s, Math.min(step, n - s)];
}

export function range(t: Tensor, start: number, count: number): Binding {
  return { buffer: t.buffer, offset: t.byteOffset + start * 4, size: Math.max(4, count * 4) };
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * An op's `out` option: the tensor to write the result into (an arena slot, from
 * autograd's gradTarget), checked before any dispatch; else a new tensor.
 */
export function outOrEmpty(op: string, out: Tensor | undefined, shape: Shape, device: Device, inputs: Tensor[] = []): Tensor {
  if (!out) return Tensor.empty(shape, 'float32', device);
  if (out.isDisposed) throw new Error(`${op}: out was disposed`);
  if (out.dtype !== 'float32' || out.size !== sizeOf(shape)) {
    throw new Error(`${op}: out is ${out.dtype} ${fmtShape(out.shape)}, the result is float32 ${fmtShape(shape)}`);
  }
  if (out.device !== device) throw new Error(`${op}: out lives on another device`);
  // WebGPU does not let one dispatch bind a buffer for writing and also for anything else,
  // even at ranges that do not overlap: out must be in another buffer (arena) than the inputs
  if (inputs.some((t) => t.buffer === out.buffer)) {
    throw new Error(`${op}: out ${fmtShape(out.shape)} is in the same buffer as an input (a dispatch cannot read and write one buffer)`);
  }
  return out;
}

export function assertFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== 'float32') throw new Error(`${op}: expected float32, got ${t.dtype} tensor ${fmtShape(t.shape)}`);
  }
}

export function assertSameDevice(op: string, ...ts: Tensor[]): Device {
  const d = ts[0]!.device;
  for (const t of ts) if (t.device !== d) throw new Error(`${op}: tensors live on different devices`);
  return d;
}

/** Normalises a possibly negative axis, with an error naming the op. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Packs up to 8 dims into the `array<vec4u, 2>` uniform layout used by several kernels. */
export function pack8(values: readonly number[], rank: number): { u: number }[] {
  const out: { u: number }[] = [];
  for (let i = 0; i < 8; i++) out.push({ u: i < rank ? values[i]! : 1 });
  return out;
}
