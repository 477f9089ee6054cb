// Exits 0 when WebGPU (dawn.node) finds an adapter, 1 otherwise; prints what it found.
import { create } from 'webgpu';

const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) {
  console.log('webgpu: no adapter');
  process.exit(1);
}
const i = adapter.info;
console.log(`webgpu: adapter ${[i.description || i.device, i.vendor, i.architecture].filter(Boolean).join(' / ')}`);
const device = await adapter.requestDevice();
device.destroy();
process.exit(0);
