// Exits 0 when WebGPU (dawn.node) finds an adapter, 1 otherwise; prints what it found.
// With --verbose also prints the adapter's features and the limits the kernels care about.
import { create } from 'webgpu';

const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) {
  console.log('webgpu: no adapter');
  process.exit(1);
}
const i = adapter.info;
console.log(`webgpu: adapter ${[i.description || i.device, i.vendor, i.architecture].filter(Boolean).join(' / ')}`);
if (process.argv.includes('--verbose')) {
  console.log(`features: ${[...adapter.features].sort().join(' ')}`);
  const keys = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension',
    'maxStorageBuffersPerShaderStage', 'minSubgroupSize', 'maxSubgroupSize'];
  for (const k of keys) if (adapter.limits[k] !== undefined) console.log(`  ${k} = ${adapter.limits[k]}`);
}
const device = await adapter.requestDevice();
device.destroy();
process.exit(0);
