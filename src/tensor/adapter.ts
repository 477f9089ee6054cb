// SPDX-License-Identifier: MIT
// Opening the adapter: the adapter's real limits, the optional features the kernels can use
// (timestamps, subgroups, f16), and what kind of adapter it is (a CPU driver such as
// lavapipe or SwiftShader gets other kernels). No Node module: it works on `navigator.gpu` too.

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

export interface DeviceFeatures {
  timestamp: boolean;
  subgroups: boolean;
  f16: boolean;
  /** the one size every subgroup has (min = max), or 0 when it varies or there are no subgroups */
  subgroupSize: number;
}

/** The optional features the library asks for when the adapter has them. */
export type OptionalFeature = 'timestamp-query' | 'subgroups' | 'shader-f16';

/**
 * Acquires an adapter and a device from a `GPU` object (`navigator.gpu` in a browser, or
 * `create()` from the `webgpu` package in Node) with the adapter's real limits and the
 * optional features we can use, less those in `without` (e.g. 'subgroups', to run Node with
 * the kernels a browser without subgroups gets).
 */
export async function openAdapter(gpu: GPU | undefined | null, powerPreference: GPUPowerPreference, without: readonly OptionalFeature[] = []): Promise<{ gpu: GPU; adapter: GPUAdapter; device: GPUDevice; info: DeviceInfo; features: DeviceFeatures }> {
  if (!gpu) throw new Error(NO_ADAPTER_HELP);
  const adapter = await gpu.requestAdapter({ powerPreference });
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
    maxTextureDimension2D: a.maxTextureDimension2D,
  };
  const want: OptionalFeature[] = ['timestamp-query', 'subgroups', 'shader-f16'];
  const requiredFeatures: GPUFeatureName[] = want.filter((f) => adapter.features.has(f) && !without.includes(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const ai = adapter.info;
  const text = `${ai.vendor} ${ai.architecture} ${ai.device} ${ai.description}`.toLowerCase();
  const info: DeviceInfo = {
    vendor: ai.vendor,
    architecture: ai.architecture,
    device: ai.device,
    description: ai.description,
    // Firefox hides the vendor strings; both browsers mark their CPU adapters as fallback adapters
    isCpu: /llvmpipe|lavapipe|swiftshader|software|cpu/.test(text) || (ai as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
  };
  const subgroups = requiredFeatures.includes('subgroups');
  const sizes = ai as { subgroupMinSize?: number; subgroupMaxSize?: number };
  const features: DeviceFeatures = {
    timestamp: requiredFeatures.includes('timestamp-query'),
    subgroups,
    f16: requiredFeatures.includes('shader-f16'),
    subgroupSize: subgroups && sizes.subgroupMinSize && sizes.subgroupMinSize === sizes.subgroupMaxSize ? sizes.subgroupMinSize : 0,
  };
  return { gpu, adapter, device, info, features };
}
