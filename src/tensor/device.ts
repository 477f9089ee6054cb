// SPDX-License-Identifier: MIT
// The device: one GPUDevice, a pipeline cache, a bind-group cache, a uniform arena and a
// command encoder that collects dispatches until something has to wait for the GPU.
//
// How a tensor op becomes GPU work:
//   op (src/tensor/ops/*.ts) -> device.dispatch(kernel, bindings, params, workgroups)
//   -> the dispatch is recorded into the open compute pass (no submit)
//   -> device.flush() submits everything recorded so far in ONE command buffer;
//      it runs when a readback needs data, an upload could race a reused buffer,
//      or the uniform arena is full.
// Its parts, one file each: the buffer pool (buffer-pool.ts), the bind-group cache
// (bind-groups.ts), the uniform arena (uniform-arena.ts), the sleep before a wait on a CPU
// driver (quiet-waits.ts), timestamp-query timing (timestamps.ts), the operand images some
// CPU-driver kernels read (image-pool.ts), the pipeline cache (pipelines.ts) and opening the
// adapter (adapter.ts).
// This file never imports a Node module: it works on `navigator.gpu` too.

import type { KernelPath } from '../kernels/wgsl.generated.js';
import { BindGroupCache } from './bind-groups.js';
import { BufferPool, BufferUsage, STORAGE_USAGE } from './buffer-pool.js';
import { openAdapter, NO_ADAPTER_HELP, type OptionalFeature } from './adapter.js';
import { GpuErrors } from './gpu-errors.js';
import { copyIntoImage, ImagePool, type OperandImage } from './image-pool.js';
import { QuietWaits } from './quiet-waits.js';
import { Timestamps } from './timestamps.js';
import { UniformArena, type Params } from './uniform-arena.js';
import { PipelineCache } from './pipelines.js';

export type { Params } from './uniform-arena.js';
export { NO_ADAPTER_HELP, type DeviceInfo, type DeviceFeatures } from './adapter.js';
import type { DeviceInfo, DeviceFeatures } from './adapter.js';

const MAP_MODE_READ = 0x0001;



export interface DeviceStats {
  dispatches: number;
  submits: number;
  /** bind groups created (a cache serves repeated dispatches on the same buffers) */
  bindGroupsCreated: number;
  /** compute pipelines created (one per kernel and set of override constants, then cached) */
  pipelinesCreated: number;
  /** milliseconds slept on a timer before waits (quiet waits, CPU drivers) */
  sleptMs: number;
  bytesRead: number;
  buffersCreated: number;
  /** operand images created (image-pool.ts; pooled like buffers) */
  texturesCreated: number;
}

// ---- kernels -----------------------------------------------------------------------------

/** A binding: a whole buffer, or a byte range of one (for tensors split into chunks). */
export interface Binding {
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

/** A storage-texture binding: an operand image (Device.image). */
export interface ImageBinding {
  view: GPUTextureView;
}

export class Device {
  readonly gpu: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly features: DeviceFeatures;
  readonly info: DeviceInfo;
  readonly pool: BufferPool;
  readonly images: ImagePool;
  readonly stats: DeviceStats = { dispatches: 0, submits: 0, bytesRead: 0, buffersCreated: 0, bindGroupsCreated: 0, pipelinesCreated: 0, sleptMs: 0, texturesCreated: 0 };

  private readonly pipelines: PipelineCache;
  private readonly bindGroups: BindGroupCache;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private readonly uniforms: UniformArena;
  /** A 256-byte storage buffer to bind where a kernel's optional input is absent. */
  readonly dummy: GPUBuffer;
  private readonly errors: GpuErrors;
  private destroyed = false;
  private readonly waits: QuietWaits;
  private readonly timestamps: Timestamps;

  /**
   * The GPU instance and adapter must stay reachable as long as the device lives: dawn.node
   * frees the native instance when its JS object is collected, and the next event poll then
   * touches freed memory (seen as random segfaults and futex errors).
   */
  private readonly keepAlive: [GPU, GPUAdapter];

  private constructor(gpu: GPUDevice, info: DeviceInfo, features: Device['features'], keepAlive: [GPU, GPUAdapter]) {
    this.gpu = gpu;
    this.keepAlive = keepAlive;
    this.limits = gpu.limits;
    this.info = info;
    this.features = features;
    this.waits = new QuietWaits(info.isCpu, this.stats);
    this.timestamps = new Timestamps(gpu, features.timestamp, {
      encoder: () => {
        this.ensurePass();
        this.endPass();
        return this.encoder!;
      },
      setPass: (pass) => {
        this.pass = pass;
      },
      read: (buf, offset, bytes) => this.read(buf, offset, bytes),
    });
    this.pipelines = new PipelineCache(gpu, this.stats);
    this.bindGroups = new BindGroupCache(gpu, this.stats);
    this.pool = new BufferPool(gpu);
    this.images = new ImagePool(gpu, gpu.limits.maxTextureDimension2D);
    this.pool.onTrim = () => this.bindGroups.clear();
    this.uniforms = new UniformArena(gpu);
    this.dummy = gpu.createBuffer({ size: 256, usage: STORAGE_USAGE });
    this.errors = new GpuErrors(gpu); // thrown at the next dispatch, flush, read or sync
  }

  /**
   * Acquires an adapter and a device from a `GPU` object (`navigator.gpu` in a browser, or
   * `create()` from the `webgpu` package in Node) with the adapter's real limits and the
   * optional features we can use, less those named in `without` (`['subgroups']` runs the
   * kernels an adapter without subgroups gets, as in Firefox).
   */
  static async create(gpu: GPU | undefined | null, opts: { powerPreference?: GPUPowerPreference; without?: readonly OptionalFeature[] } = {}): Promise<Device> {
    const r = await openAdapter(gpu, opts.powerPreference ?? 'high-performance', opts.without);
    return new Device(r.device, r.info, r.features, [r.gpu, r.adapter]);
  }

  private bindingLimitOverride = 0;

  /** Bytes one storage binding may cover; larger tensors are processed in chunks. */
  get maxBinding(): number {
    const real = this.limits.maxStorageBufferBindingSize;
    return this.bindingLimitOverride > 0 ? Math.min(real, this.bindingLimitOverride) : real;
  }

  /**
   * Pretends the binding limit is `bytes` (0 restores the adapter's), so tests can check the
   * chunked paths that AlexNet's 151 MB fc6 weight takes on lavapipe with small tensors.
   */
  setBindingLimitForTesting(bytes: number): void {
    this.bindingLimitOverride = bytes;
  }

  get alignment(): number {
    return this.limits.minStorageBufferOffsetAlignment;
  }

  /** A one-line description: adapter and driver, for benchmark tables and errors. */
  describe(): string {
    const i = this.info;
    return [i.description || i.device, i.vendor, i.architecture].filter(Boolean).join(' / ');
  }

  // ---- pipelines ----------------------------------------------------------------------

  /** The compute pipeline for a WGSL file (path under src/kernels/wgsl) and override constants. */
  pipeline(kernel: KernelPath, constants: Record<string, number> = {}): GPUComputePipeline {
    return this.pipelines.get(kernel, constants);
  }

  // ---- recording ----------------------------------------------------------------------

  private ensurePass(): GPUComputePassEncoder {
    if (this.destroyed) throw new Error('the device was destroyed');
    if (!this.encoder) this.encoder = this.gpu.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /**
   * Records one dispatch. `bindings[0]` of the kernel is always the uniform `params`
   * (when given); the buffers (and images) follow as bindings 1, 2, ... in the order of the
   * WGSL file.
   */
  dispatch(
    kernel: KernelPath,
    buffers: ReadonlyArray<Binding | GPUBuffer | ImageBinding>,
    params: Params | null,
    workgroups: readonly [number, number?, number?],
    constants: Record<string, number> = {},
  ): void {
    this.throwIfErrors();
    const pipeline = this.pipeline(kernel, constants);
    const entries: GPUBindGroupEntry[] = [];
    let binding = 0;
    if (params) {
      // before ensurePass(): a full arena flushes, which closes the pass
      const { offset, size } = this.uniforms.write(params, () => this.flush());
      entries.push({ binding: binding++, resource: { buffer: this.uniforms.buffer, offset, size } });
    }
    this.ensurePass();
    for (const b of buffers) {
      if ('view' in b) {
        entries.push({ binding: binding++, resource: b.view });
        continue;
      }
      const bb = 'buffer' in b ? b : { buffer: b };
      entries.push({ binding: binding++, resource: { buffer: bb.buffer, offset: bb.offset ?? 0, size: bb.size } });
    }
    const pipelineId = this.pipelines.id(pipeline);
    const bindGroup = this.bindGroups.get(pipeline, pipelineId, entries);
    const [x, y = 1, z = 1] = workgroups;
    const maxWg = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxWg || y > maxWg || z > maxWg) {
      throw new Error(`${kernel}: dispatch ${x}x${y}x${z} exceeds maxComputeWorkgroupsPerDimension ${maxWg}`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    this.timestamps.around(kernel, () => {
      const pass = this.ensurePass(); // with profileKernels, the pass around() opens
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y, z);
    });
    this.pending++;
    this.waits.noteDispatch(pipelineId, x, y, z);
    this.stats.dispatches++;
  }

  /** Records a buffer-to-buffer copy (closes the open compute pass). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.timestamps.around('(buffer copy)', () => {
      this.ensurePass();
      this.endPass();
      this.encoder!.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    });
    this.pending++;
  }

  /**
   * Records a copy of `texels` texels (16 bytes each) of `buf`, from `byteOffset` (a multiple
   * of 16), into a pooled operand image and returns it (image-pool.ts). Give it back with
   * releaseImage() once the dispatches that read it are recorded.
   */
  image(buf: GPUBuffer, byteOffset: number, texels: number): OperandImage {
    const img = this.images.acquire(texels);
    this.stats.texturesCreated = this.images.texturesCreated;
    this.timestamps.around('(copy into an operand image)', () => {
      this.ensurePass();
      this.endPass();
      copyIntoImage(this.encoder!, img, buf, byteOffset, texels);
    });
    this.pending++;
    return img;
  }

  releaseImage(img: OperandImage): void {
    if (!this.destroyed) this.images.release(img);
  }

  /** Each dispatch and copy in a timed region of its own, labelled by kernel (`alexnet profile --kernels`). */
  get profileKernels(): boolean { return this.timestamps.each; }
  set profileKernels(on: boolean) { this.timestamps.each = on; }

  /** True inside timed(): a flush there would split the region, so callers skip it. */
  get inTimedRegion(): boolean {
    return this.timestamps.open !== null;
  }

  /** Submits everything recorded so far as one command buffer. Does not wait. */
  flush(): void {
    this.throwIfErrors();
    if (!this.encoder) return;
    this.endPass();
    if (this.timestamps.open !== null) throw new Error(`flush inside timed region '${this.timestamps.open}'`);
    this.uniforms.upload(this.gpu.queue);
    this.gpu.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pending = 0;
    this.stats.submits++;
  }

  // ---- buffers, uploads, readbacks ----------------------------------------------------

  /** A storage buffer from the pool, at least `bytes` long (contents undefined). */
  acquire(bytes: number): GPUBuffer {
    const size = BufferPool.bucket(bytes);
    if (size > this.limits.maxBufferSize) {
      throw new Error(`a buffer of ${bytes} bytes (${size} pooled) exceeds this adapter's maxBufferSize (${this.limits.maxBufferSize} bytes)`);
    }
    const b = this.pool.acquire(bytes);
    this.stats.buffersCreated = this.pool.buffersCreated;
    return b;
  }

  release(buf: GPUBuffer): void {
    if (!this.destroyed) this.pool.release(buf);
  }

  /**
   * Gives a buffer back to the GPU instead of the pool (a parameter moved into an arena:
   * nothing else will want its size). Recorded work that uses it is submitted first.
   */
  discard(buf: GPUBuffer): void {
    if (this.destroyed) return;
    if (this.pending > 0) this.flush();
    this.pool.discard(buf);
  }

  /**
   * Writes data into a buffer. Queue writes run before any command still being recorded,
   * and the target may be a pooled buffer that recorded commands still use, so recorded
   * work is submitted first.
   */
  upload(buf: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    if (this.pending > 0) this.flush();
    const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    // writeBuffer wants a multiple of 4 bytes
    const n = bytes.byteLength & ~3;
    if (n > 0) this.gpu.queue.writeBuffer(buf, offset, bytes, 0, n);
    if (n < bytes.byteLength) {
      const tail = new Uint8Array(4);
      tail.set(bytes.subarray(n));
      this.gpu.queue.writeBuffer(buf, offset + n, tail);
    }
  }

  /** Copies `bytes` from a buffer back to the CPU. The only operation that waits on the GPU. */
  async read(buf: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    this.throwIfErrors();
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.gpu.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.copy(buf, offset, staging, 0, size);
    this.flush();
    try {
      await this.waits.wait(() => staging.mapAsync(MAP_MODE_READ));
      const out = staging.getMappedRange().slice(0, bytes);
      staging.unmap();
      this.stats.bytesRead += bytes;
      this.throwIfErrors();
      return out;
    } finally {
      staging.destroy();
    }
  }

  /** Waits until every submitted command has finished. */
  async sync(): Promise<void> {
    this.flush();
    await this.waits.wait(() => this.gpu.queue.onSubmittedWorkDone());
    this.throwIfErrors();
  }

  /**
   * Whether waits sleep on a timer first (quiet-waits.ts): on for CPU adapters, where
   * dawn.node's polling would take a core from the driver's threads.
   */
  get quietWaits(): boolean {
    return this.waits.enabled;
  }

  set quietWaits(on: boolean) {
    this.waits.enabled = on;
  }

  /** Whether a pending wait submits nothing every 2 ms (quiet-waits.ts: for Firefox's 100 ms poll). */
  get nudgedWaits(): boolean { return this.waits.nudge !== null; }
  set nudgedWaits(on: boolean) { this.waits.nudge = on ? () => this.gpu.queue.submit([]) : null; }

  /** Validation errors seen since the last call (the first few of them; and clears them). */
  takeErrors(): string[] {
    return this.errors.take();
  }

  /**
   * Throws the GPU errors reported so far, once: recording, flushing and reading stop at the
   * first call after an error arrives, so a failing model does not go on submitting work.
   */
  private throwIfErrors(): void {
    this.errors.throwIfAny();
  }

  // ---- timestamp queries (timestamps.ts) ---------------------------------------------

  /**
   * Runs `record` inside its own compute pass whose start and end are timestamped.
   * Results come from `readTimings()`. Without 'timestamp-query' the region is recorded
   * untimed (readTimings then returns NaN for it).
   */
  timed(label: string, record: () => void): void {
    this.timestamps.timed(label, record);
  }

  /** Durations in milliseconds of the timed regions recorded since the last call. */
  readTimings(): Promise<{ label: string; ms: number }[]> {
    return this.timestamps.read();
  }

  // ---- shutdown -----------------------------------------------------------------------

  /** Releases every buffer and the device. dawn.node keeps polling (and a core busy) until this runs. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.encoder = null;
    this.pass = null;
    this.pool.trim(); // live buffers go with the device below
    this.images.trim();
    this.uniforms.destroy();
    this.dummy.destroy();
    this.timestamps.destroy();
    this.gpu.destroy();
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }
}

// ---- the default device ------------------------------------------------------------------

let current: Device | null = null;

/** Makes `d` the device that tensor constructors use when none is given. */
export function setDevice(d: Device | null): void {
  current = d;
}

export function getDevice(): Device {
  if (!current || current.isDestroyed) {
    throw new Error('no device: call `await initDevice()` (webgpu-alexnet/node) or `setDevice(await Device.create(navigator.gpu))` first');
  }
  return current;
}

export function hasDevice(): boolean {
  return current !== null && !current.isDestroyed;
}
