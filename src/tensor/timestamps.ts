// SPDX-License-Identifier: MIT
// Timestamp-query timing of recorded work: `device.timed(label, record)` records a region in
// compute passes whose start and end the GPU stamps; `device.readTimings()` resolves the
// stamps and returns each region's duration. The profiler, the benchmarks and the
// autotuner (through timing.ts) time kernels this way. Without the adapter's
// 'timestamp-query' feature a region is recorded untimed and reads as NaN.

import { BufferUsage } from './buffer-pool.js';

export interface TimedRegion {
  label: string;
  index: number;
}

/** What the timestamps need from the device's command recording. */
export interface PassControl {
  /** the open command encoder, with no compute pass open (the device opens one if needed) */
  encoder(): GPUCommandEncoder;
  /** makes `pass` the device's open compute pass: the region's dispatches are recorded into it */
  setPass(pass: GPUComputePassEncoder): void;
  /** copies bytes back to the CPU (submits what was recorded, waits) */
  read(buf: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer>;
}

export class Timestamps {
  private querySet: GPUQuerySet | null = null;
  private capacity = 0;
  private regions: TimedRegion[] = [];
  private openRegion: TimedRegion | null = null;

  constructor(private readonly gpu: GPUDevice, readonly supported: boolean, private readonly ctl: PassControl) {}

  /**
   * While true, work recorded through around() outside any region gets a region of its own:
   * the device labels each dispatch with its kernel file and each copy with what it copies
   * (the per-kernel table of `alexnet profile --kernels`). Each then runs in a pass of its own,
   * which costs a little.
   */
  each = false;

  /** Runs `record` in a region of its own when `each` is on and no region is open, else as is. */
  around(label: string, record: () => void): void {
    if (this.each && this.supported && this.openRegion === null) this.timed(label, record);
    else record();
  }

  /** The label of the region being recorded, or null. */
  get open(): string | null {
    return this.openRegion?.label ?? null;
  }

  /**
   * Runs `record` inside its own compute pass whose start and end are timestamped.
   * Without the feature the region is recorded untimed.
   */
  timed(label: string, record: () => void): void {
    if (!this.supported) {
      record();
      return;
    }
    if (this.openRegion) throw new Error('timed regions do not nest');
    const index = this.regions.length;
    if (2 * (index + 1) > this.capacity) this.grow(2 * (index + 1));
    // The start is written when the first pass of the region begins; the end by an empty
    // pass after the region, so work that closes passes inside it (copies) stays inside.
    this.ctl.setPass(this.ctl.encoder().beginComputePass({
      timestampWrites: { querySet: this.querySet!, beginningOfPassWriteIndex: 2 * index },
    }));
    const region = { label, index };
    this.openRegion = region;
    try {
      record();
    } finally {
      this.openRegion = null;
    }
    this.ctl.encoder().beginComputePass({
      timestampWrites: { querySet: this.querySet!, endOfPassWriteIndex: 2 * index + 1 },
    }).end();
    this.regions.push(region);
  }

  private grow(n: number): void {
    if (this.regions.length > 0 && this.querySet) {
      throw new Error('too many timed regions before readTimings(); call it more often');
    }
    this.querySet?.destroy();
    this.capacity = Math.max(n, 4096);
    this.querySet = this.gpu.createQuerySet({ type: 'timestamp', count: this.capacity });
  }

  /** Durations in milliseconds of the regions recorded since the last call (NaN untimed). */
  async read(): Promise<{ label: string; ms: number }[]> {
    const regions = this.regions;
    this.regions = [];
    if (!this.supported || regions.length === 0) {
      return regions.map((r) => ({ label: r.label, ms: NaN }));
    }
    const count = 2 * regions.length;
    const resolve = this.gpu.createBuffer({ size: count * 8, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    this.ctl.encoder().resolveQuerySet(this.querySet!, 0, count, resolve, 0);
    const raw = await this.ctl.read(resolve, 0, count * 8);
    resolve.destroy();
    const t = new BigUint64Array(raw);
    return regions.map((r) => ({ label: r.label, ms: Number(t[2 * r.index + 1]! - t[2 * r.index]!) / 1e6 }));
  }

  destroy(): void {
    this.querySet?.destroy();
    this.querySet = null;
  }
}
