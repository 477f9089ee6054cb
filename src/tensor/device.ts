// SPDX-License-Identifier: MIT
// The device runtime: one GPUDevice, a pipeline cache, a buffer pool, a uniform arena and a
// command encoder that collects dispatches until something has to wait for the GPU.
//
// How a tensor op becomes GPU work:
//   op (src/tensor/ops/*.ts) -> device.dispatch(kernel, bindings, params, workgroups)
//   -> the dispatch is recorded into the open compute pass (no submit)
//   -> device.flush() submits everything recorded so far in ONE command buffer;
//      it runs when a readback needs data, an upload could race a reused buffer,
//      or the uniform arena is full.
// This file never imports a Node module: it works on `navigator.gpu` too.

import { WGSL } from '../kernels/wgsl.generated.js';

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
const MAP_MODE_READ = 0x0001;

const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/** How to get an adapter when there is none: printed by every "no adapter" error. */
export const NO_ADAPTER_HELP = [
  'No WebGPU adapter was found.',
  'On a machine with a GPU: install its Vulkan driver (NVIDIA, AMD or Intel).',
  'On a machine without a GPU: install Mesa lavapipe, a software Vulkan driver:',
  '  sudo bash scripts/install-lavapipe.sh',
  '  (Debian 12: apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1)',
].join('\n');

export interface DeviceInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** true for CPU drivers such as lavapipe and SwiftShader: kernels are chosen differently */
  isCpu: boolean;
}

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
}

// ---- buffer pool -------------------------------------------------------------------------

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

// ---- kernels -----------------------------------------------------------------------------

/** A binding: a whole buffer, or a byte range of one (for tensors split into chunks). */
export interface Binding {
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

/** Uniform parameters, packed in declaration order as 4-byte words. */
export type Params = ReadonlyArray<{ u: number } | { i: number } | { f: number }> | Uint32Array;

/** One step of an FNV-style hash (the key of quiet waits' estimates). */
const mix = (h: number, v: number) => Math.imul(h ^ v, 16777619) >>> 0;

/**
 * The part of the expected wait that a CPU driver's waits sleep through first (waitQuietly).
 * On lavapipe's AlexNet step 0.75, 0.85 and 0.95 measured the same (2645, 2612, 2650 ms).
 */
const QUIET_FRACTION = 0.85;
/** a wait answered within this many ms of asking, after a sleep, means the sleep was too long */
const OVERSLEPT_MS = 2;
/** bind groups kept (a training step of AlexNet uses about 100) */
const BIND_GROUP_CACHE = 4096;
const UNIFORM_SLOT = 256; // minUniformBufferOffsetAlignment is at most 256
const ARENA_BYTES = 1 << 20;

export interface TimedRegion {
  label: string;
  index: number;
}

export class Device {
  readonly gpu: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly features: { timestamp: boolean; subgroups: boolean; f16: boolean };
  readonly info: DeviceInfo;
  readonly pool: BufferPool;
  readonly stats: DeviceStats = { dispatches: 0, submits: 0, bytesRead: 0, buffersCreated: 0, bindGroupsCreated: 0, pipelinesCreated: 0, sleptMs: 0 };

  private pipelines = new Map<string, GPUComputePipeline>();
  private modules = new Map<string, GPUShaderModule>();
  private pipelineIds = new Map<GPUComputePipeline, number>();
  private layouts = new Map<GPUComputePipeline, GPUBindGroupLayout>();
  private bindGroups = new Map<string, GPUBindGroup>();
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private arena: GPUBuffer;
  /** A 256-byte storage buffer to bind where a kernel's optional input is absent. */
  readonly dummy: GPUBuffer;
  private arenaCpu = new Uint8Array(ARENA_BYTES);
  private arenaUsed = 0;
  private errors: string[] = [];
  private destroyed = false;
  // timestamp queries (benchmarks and the profiler)
  private querySet: GPUQuerySet | null = null;
  private queryCapacity = 0;
  private regions: TimedRegion[] = [];
  private openRegion: TimedRegion | null = null;

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
    this.quietWaits = info.isCpu;
    this.features = features;
    this.pool = new BufferPool(gpu);
    this.pool.onTrim = () => this.bindGroups.clear();
    this.arena = gpu.createBuffer({ size: ARENA_BYTES, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
    this.dummy = gpu.createBuffer({ size: 256, usage: STORAGE_USAGE });
    gpu.addEventListener('uncapturederror', (ev: Event) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.errors.push(err.message);
    });
  }

  /**
   * Acquires an adapter and a device from a `GPU` object (`navigator.gpu` in a browser, or
   * `create()` from the `webgpu` package in Node) with the adapter's real limits and the
   * optional features we can use.
   */
  static async create(gpu: GPU | undefined | null, opts: { powerPreference?: GPUPowerPreference } = {}): Promise<Device> {
    if (!gpu) throw new Error(NO_ADAPTER_HELP);
    const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
    if (!adapter) throw new Error(NO_ADAPTER_HELP);
    const a = adapter.limits;
    const requiredLimits: Record<string, number> = {
      maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
      maxBufferSize: a.maxBufferSize,
      maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: a.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupsPerDimension: a.maxComputeWorkgroupsPerDimension,
    };
    const want: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];
    const requiredFeatures = want.filter((f) => adapter.features.has(f));
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    const ai = adapter.info;
    const text = `${ai.vendor} ${ai.architecture} ${ai.device} ${ai.description}`.toLowerCase();
    const info: DeviceInfo = {
      vendor: ai.vendor,
      architecture: ai.architecture,
      device: ai.device,
      description: ai.description,
      isCpu: /llvmpipe|lavapipe|swiftshader|software|cpu/.test(text),
    };
    return new Device(device, info, {
      timestamp: requiredFeatures.includes('timestamp-query'),
      subgroups: requiredFeatures.includes('subgroups'),
      f16: requiredFeatures.includes('shader-f16'),
    }, [gpu, adapter]);
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
  pipeline(kernel: string, constants: Record<string, number> = {}): GPUComputePipeline {
    const keys = Object.keys(constants).sort();
    const key = kernel + '|' + keys.map((k) => `${k}=${constants[k]}`).join(',');
    let p = this.pipelines.get(key);
    if (p) return p;
    let module = this.modules.get(kernel);
    if (!module) {
      const code = WGSL[kernel];
      if (code === undefined) throw new Error(`unknown kernel '${kernel}' (no src/kernels/wgsl/${kernel})`);
      module = this.gpu.createShaderModule({ code, label: kernel });
      this.modules.set(kernel, module);
    }
    p = this.gpu.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants },
    });
    this.pipelines.set(key, p);
    this.stats.pipelinesCreated++;
    this.pipelineIds.set(p, this.pipelineIds.size + 1);
    return p;
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

  private writeParams(params: Params): number {
    const words = params.length;
    const bytes = Math.max(16, Math.ceil((words * 4) / 16) * 16);
    if (bytes > UNIFORM_SLOT * 16) throw new Error('uniform parameters too large');
    const slot = Math.ceil(bytes / UNIFORM_SLOT) * UNIFORM_SLOT;
    if (this.arenaUsed + slot > ARENA_BYTES) this.flush();
    const off = this.arenaUsed;
    const view = new DataView(this.arenaCpu.buffer, off, bytes);
    if (params instanceof Uint32Array) {
      for (let i = 0; i < words; i++) view.setUint32(i * 4, params[i]!, true);
    } else {
      params.forEach((p, i) => {
        if ('u' in p) view.setUint32(i * 4, p.u >>> 0, true);
        else if ('i' in p) view.setInt32(i * 4, p.i, true);
        else view.setFloat32(i * 4, p.f, true);
      });
    }
    this.arenaUsed += slot;
    return off;
  }

  /**
   * Records one dispatch. `bindings[0]` of the kernel is always the uniform `params`
   * (when given); the buffers follow as bindings 1, 2, ... in the order of the WGSL file.
   */
  dispatch(
    kernel: string,
    buffers: ReadonlyArray<Binding | GPUBuffer>,
    params: Params | null,
    workgroups: readonly [number, number?, number?],
    constants: Record<string, number> = {},
  ): void {
    const pipeline = this.pipeline(kernel, constants);
    const entries: GPUBindGroupEntry[] = [];
    let binding = 0;
    if (params) {
      // before ensurePass(): a full arena flushes, which closes the pass
      const off = this.writeParams(params);
      const size = Math.max(16, Math.ceil((params.length * 4) / 16) * 16);
      entries.push({ binding: binding++, resource: { buffer: this.arena, offset: off, size } });
    }
    const pass = this.ensurePass();
    for (const b of buffers) {
      const bb = 'buffer' in b ? b : { buffer: b };
      entries.push({ binding: binding++, resource: { buffer: bb.buffer, offset: bb.offset ?? 0, size: bb.size } });
    }
    const bindGroup = this.bindGroup(pipeline, entries);
    const [x, y = 1, z = 1] = workgroups;
    const maxWg = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxWg || y > maxWg || z > maxWg) {
      throw new Error(`${kernel}: dispatch ${x}x${y}x${z} exceeds maxComputeWorkgroupsPerDimension ${maxWg}`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.pending++;
    this.workSince = mix(mix(mix(mix(this.workSince, this.pipelineIds.get(pipeline)!), x), y), z);
    this.stats.dispatches++;
  }

  /**
   * The bind group for a pipeline and its entries, from a cache: a warm training step binds
   * the same pooled buffers at the same offsets (and the same uniform-arena slots) every
   * step, so after the first step no bind group is created. Keyed by the pipeline and every
   * entry's buffer id, offset and size; dropped wholesale when the pool destroys buffers.
   */
  private bindGroup(pipeline: GPUComputePipeline, entries: GPUBindGroupEntry[]): GPUBindGroup {
    let key = String(this.pipelineIds.get(pipeline));
    for (const e of entries) {
      const r = e.resource as GPUBufferBinding;
      let id = this.bufferIds.get(r.buffer);
      if (id === undefined) this.bufferIds.set(r.buffer, (id = this.nextBufferId++));
      key += `|${id}:${r.offset ?? 0}:${r.size ?? -1}`;
    }
    let bg = this.bindGroups.get(key);
    if (!bg) {
      let layout = this.layouts.get(pipeline);
      if (!layout) this.layouts.set(pipeline, (layout = pipeline.getBindGroupLayout(0)));
      bg = this.gpu.createBindGroup({ layout, entries });
      if (this.bindGroups.size >= BIND_GROUP_CACHE) this.bindGroups.clear();
      this.bindGroups.set(key, bg);
      this.stats.bindGroupsCreated++;
    }
    return bg;
  }

  /** Records a buffer-to-buffer copy (closes the open compute pass). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.ensurePass();
    this.endPass();
    this.encoder!.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.pending++;
  }

  /** True inside timed(): a flush there would split the region, so callers skip it. */
  get inTimedRegion(): boolean {
    return this.openRegion !== null;
  }

  /** Submits everything recorded so far as one command buffer. Does not wait. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.openRegion) throw new Error(`flush inside timed region '${this.openRegion.label}'`);
    if (this.arenaUsed > 0) {
      this.gpu.queue.writeBuffer(this.arena, 0, this.arenaCpu, 0, this.arenaUsed);
      this.arenaUsed = 0;
    }
    this.gpu.queue.submit([this.encoder.finish()]);
    if (this.workStarted < 0) this.workStarted = performance.now();
    this.encoder = null;
    this.pending = 0;
    this.stats.submits++;
  }

  // ---- buffers, uploads, readbacks ----------------------------------------------------

  /** A storage buffer from the pool, at least `bytes` long (contents undefined). */
  acquire(bytes: number): GPUBuffer {
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
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.gpu.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.copy(buf, offset, staging, 0, size);
    this.flush();
    try {
      await this.waitQuietly(() => staging.mapAsync(MAP_MODE_READ));
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
    await this.waitQuietly(() => this.gpu.queue.onSubmittedWorkDone());
    this.throwIfErrors();
  }

  /**
   * Sleep before a wait, on a CPU driver. While a map or a done-callback is pending,
   * dawn.node polls for it from Node's main thread without pause, and on lavapipe that
   * thread takes a core from the driver's own threads, which are doing the work being waited
   * for. So the device remembers how long the work between two waits took, keyed by a hash
   * of its dispatches (kernel and workgroup counts: a training step or a forward pass
   * repeats exactly), and the next time sleeps through most of it on a plain timer, with no
   * async Dawn operation pending, before asking. Off on GPUs (their waits are short) and
   * with `quietWaits = false`.
   */
  quietWaits: boolean;
  private waitEstimates = new Map<number, number>();
  private workSince = 0;        // hash of the dispatches recorded since the last wait finished
  private workStarted = -1;     // performance.now() at the first submit since then

  private async waitQuietly(wait: () => Promise<unknown>): Promise<void> {
    const key = this.workSince;
    const start = this.workStarted >= 0 ? this.workStarted : performance.now();
    const estimate = this.waitEstimates.get(key);
    let slept = 0;
    if (this.quietWaits && estimate !== undefined) {
      const sleep = QUIET_FRACTION * estimate - (performance.now() - start);
      if (sleep > 2) {
        await new Promise((r) => setTimeout(r, sleep));
        slept = sleep;
        this.stats.sleptMs += sleep;
      }
    }
    const asked = performance.now();
    await wait();
    const end = performance.now();
    const took = end - start;
    // A wait that was answered at once after a sleep says only that the work took at most
    // `took`: the estimate was too long (it came from a first step with its one-off costs, or
    // a slow outlier). Averaging such a figure in would shrink the estimate by 7.5% a step
    // (lavapipe's AlexNet step took 13 steps to come down from 4.5 s to 1.6 s), so it is
    // halved instead; the next wait then sleeps short of the work and measures it.
    const overslept = slept > 0 && end - asked < OVERSLEPT_MS;
    this.waitEstimates.set(key, estimate === undefined ? took : overslept ? 0.5 * Math.min(estimate, took) : 0.5 * estimate + 0.5 * took);
    if (this.waitEstimates.size > 256) this.waitEstimates.clear();
    this.workSince = 0;
    this.workStarted = -1;
  }

  /** Validation errors seen since the last call (and clears them). */
  takeErrors(): string[] {
    const e = this.errors;
    this.errors = [];
    return e;
  }

  private throwIfErrors(): void {
    if (this.errors.length) {
      const e = this.takeErrors();
      throw new Error(`WebGPU reported ${e.length} error(s):\n` + e.slice(0, 5).join('\n'));
    }
  }

  // ---- timestamp queries --------------------------------------------------------------

  /**
   * Runs `record` inside its own compute pass whose start and end are timestamped.
   * Results come from `readTimings()`. Without 'timestamp-query' the region is recorded
   * untimed (readTimings then returns NaN for it).
   */
  timed(label: string, record: () => void): void {
    if (!this.features.timestamp) {
      record();
      return;
    }
    if (this.openRegion) throw new Error('timed regions do not nest');
    const index = this.regions.length;
    if (2 * (index + 1) > this.queryCapacity) this.growQueries(2 * (index + 1));
    this.ensurePass();
    this.endPass();
    // The start is written when the first pass of the region begins; the end by an empty
    // pass after the region, so work that closes passes inside it (copies) stays inside.
    this.pass = this.encoder!.beginComputePass({
      timestampWrites: { querySet: this.querySet!, beginningOfPassWriteIndex: 2 * index },
    });
    const region = { label, index };
    this.openRegion = region;
    try {
      record();
    } finally {
      this.openRegion = null;
    }
    this.ensurePass();
    this.endPass();
    this.encoder!.beginComputePass({
      timestampWrites: { querySet: this.querySet!, endOfPassWriteIndex: 2 * index + 1 },
    }).end();
    this.regions.push(region);
  }

  private growQueries(n: number): void {
    if (this.regions.length > 0 && this.querySet) {
      throw new Error('too many timed regions before readTimings(); call it more often');
    }
    this.querySet?.destroy();
    this.queryCapacity = Math.max(n, 4096);
    this.querySet = this.gpu.createQuerySet({ type: 'timestamp', count: this.queryCapacity });
  }

  /** Durations in milliseconds of the timed regions recorded since the last call. */
  async readTimings(): Promise<{ label: string; ms: number }[]> {
    const regions = this.regions;
    this.regions = [];
    if (!this.features.timestamp || regions.length === 0) {
      return regions.map((r) => ({ label: r.label, ms: NaN }));
    }
    const count = 2 * regions.length;
    const resolve = this.gpu.createBuffer({ size: count * 8, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    this.ensurePass();
    this.endPass();
    this.encoder!.resolveQuerySet(this.querySet!, 0, count, resolve, 0);
    const raw = await this.read(resolve, 0, count * 8);
    resolve.destroy();
    const t = new BigUint64Array(raw);
    return regions.map((r) => ({ label: r.label, ms: Number(t[2 * r.index + 1]! - t[2 * r.index]!) / 1e6 }));
  }

  // ---- shutdown -----------------------------------------------------------------------

  /** Releases every buffer and the device. dawn.node keeps polling (and a core busy) until this runs. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.encoder = null;
    this.pass = null;
    this.pool.trim(); // live buffers go with the device below
    this.arena.destroy();
    this.dummy.destroy();
    this.querySet?.destroy();
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
