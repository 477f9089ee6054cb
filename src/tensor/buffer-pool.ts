// SPDX-License-Identifier: MIT
// The buffer pool: storage buffers bucketed by size, so a warm training step reuses the
// buffers of the step before and creates none. `Tensor.dispose()` gives a buffer back here
// (through the device); the counters are what the profiler and the memory tests read.

// WebGPU's numeric flags, written out so the core does not depend on globals that only a
// browser (or `Object.assign(globalThis, globals)` in Node) defines.
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  QUERY_RESOLVE: 0x0200,
} as const;

/** The usage of every tensor's buffer: bound as storage, copied from and to. */
export const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/**
 * Size-bucketed pool of storage buffers. Sizes round up to one of 8 steps per power of two
 * (at most 12.5% waste), so buffers of similar size are reused across training steps and a
 * warm step creates no new buffers.
 */
export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  /** bytes handed out to live tensors (bucket sizes) */
  liveBytes = 0;
  /** bytes of every buffer the pool owns, live or free */
  reservedBytes = 0;
  peakLiveBytes = 0;
  buffersCreated = 0;

  /** called after trim() destroyed buffers (the device drops bind groups that name them) */
  onTrim: (() => void) | null = null;

  constructor(private device: GPUDevice) {}

  static bucket(bytes: number): number {
    const b = Math.max(256, bytes);
    const top = 2 ** Math.ceil(Math.log2(b));
    const step = top / 16; // 8 steps between top/2 and top
    return Math.ceil(b / step) * step;
  }

  acquire(bytes: number): GPUBuffer {
    const size = BufferPool.bucket(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (!buf) {
      buf = this.device.createBuffer({ size, usage: STORAGE_USAGE });
      this.reservedBytes += size;
      this.buffersCreated++;
    }
    this.liveBytes += size;
    this.peakLiveBytes = Math.max(this.peakLiveBytes, this.liveBytes);
    return buf;
  }

  release(buf: GPUBuffer): void {
    const size = buf.size;
    this.liveBytes -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
  }

  /** Destroys a live buffer instead of keeping it for reuse (its size will not come back). */
  discard(buf: GPUBuffer): void {
    this.liveBytes -= buf.size;
    this.reservedBytes -= buf.size;
    buf.destroy();
  }

  /** Destroys every free buffer; returns the bytes given back. */
  trim(): number {
    let n = 0;
    for (const list of this.free.values()) {
      for (const b of list) {
        n += b.size;
        b.destroy();
      }
    }
    this.free.clear();
    this.reservedBytes -= n;
    if (n > 0) this.onTrim?.();
    return n;
  }
}
