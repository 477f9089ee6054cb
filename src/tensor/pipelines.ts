// SPDX-License-Identifier: MIT
// The device's pipeline cache: one compute pipeline per kernel file and set of override
// constants, and the shader modules behind them (one per file, or one per pipeline for a
// kernel whose `// @unroll` loops are expanded for its constants: unroll.ts). Each pipeline
// also gets a small number, which the quiet waits hash to recognise a repeated job.

import { WGSL, type KernelPath } from '../kernels/wgsl.generated.js';
import { unrollWgsl } from './unroll.js';

export class PipelineCache {
  private pipelines = new Map<string, GPUComputePipeline>();
  private modules = new Map<string, GPUShaderModule>();
  private ids = new Map<GPUComputePipeline, number>();

  constructor(private readonly gpu: GPUDevice, private readonly stats: { pipelinesCreated: number }) {}

  /** The compute pipeline for a WGSL file (path under src/kernels/wgsl) and override constants. */
  get(kernel: KernelPath, constants: Record<string, number> = {}): GPUComputePipeline {
    const keys = Object.keys(constants).sort();
    const key = kernel + '|' + keys.map((k) => `${k}=${constants[k]}`).join(',');
    let p = this.pipelines.get(key);
    if (p) return p;
    const code = WGSL[kernel];
    if (code === undefined) throw new Error(`unknown kernel '${kernel}' (no src/kernels/wgsl/${kernel})`);
    // a kernel with `// @unroll` loops is expanded for its constants (unroll.ts): a module per pipeline
    const moduleKey = code.includes('@unroll') ? key : kernel;
    let module = this.modules.get(moduleKey);
    if (!module) {
      module = this.gpu.createShaderModule({ code: unrollWgsl(code, constants), label: kernel });
      this.modules.set(moduleKey, module);
    }
    p = this.gpu.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants },
    });
    this.pipelines.set(key, p);
    this.stats.pipelinesCreated++;
    this.ids.set(p, this.ids.size + 1);
    return p;
  }

  /** The pipeline's number (1, 2, ... in order of creation). */
  id(p: GPUComputePipeline): number {
    return this.ids.get(p)!;
  }
}
