// SPDX-License-Identifier: MIT
// The uniform arena: every dispatch's parameters (sizes, strides, scalars) packed into a
// 256-byte slot of one CPU array, copied to one GPU uniform buffer right before the submit
// that uses them. Shapes are never cached by value, and a dispatch costs no buffer of its own.

import { BufferUsage } from './buffer-pool.js';

/** Uniform parameters, packed in declaration order as 4-byte words. */
export type Params = ReadonlyArray<{ u: number } | { i: number } | { f: number }> | Uint32Array;

const SLOT = 256; // minUniformBufferOffsetAlignment is at most 256
const ARENA_BYTES = 1 << 20;

export class UniformArena {
  readonly buffer: GPUBuffer;
  private cpu = new Uint8Array(ARENA_BYTES);
  private used = 0;

  constructor(gpu: GPUDevice) {
    this.buffer = gpu.createBuffer({ size: ARENA_BYTES, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  }

  /**
   * Packs `params` into the next slot; returns its binding (offset and size in `buffer`).
   * When the arena is full, `flush` runs first (it submits the recorded work, whose
   * parameters `upload()` then writes, and the arena starts again at 0).
   */
  write(params: Params, flush: () => void): { offset: number; size: number } {
    const words = params.length;
    const bytes = Math.max(16, Math.ceil((words * 4) / 16) * 16);
    if (bytes > SLOT * 16) throw new Error('uniform parameters too large');
    const slot = Math.ceil(bytes / SLOT) * SLOT;
    if (this.used + slot > ARENA_BYTES) flush();
    const offset = this.used;
    const view = new DataView(this.cpu.buffer, offset, bytes);
    if (params instanceof Uint32Array) {
      for (let i = 0; i < words; i++) view.setUint32(i * 4, params[i]!, true);
    } else {
      params.forEach((p, i) => {
        if ('u' in p) view.setUint32(i * 4, p.u >>> 0, true);
        else if ('i' in p) view.setInt32(i * 4, p.i, true);
        else view.setFloat32(i * 4, p.f, true);
      });
    }
    this.used += slot;
    return { offset, size: bytes };
  }

  /** Copies the slots written since the last upload to the GPU (before a submit). */
  upload(queue: GPUQueue): void {
    if (this.used === 0) return;
    queue.writeBuffer(this.buffer, 0, this.cpu, 0, this.used);
    this.used = 0;
  }

  destroy(): void {
    this.buffer.destroy();
  }
}
