// SPDX-License-Identifier: MIT
// The conv2d benchmark (bench/conv2d.ts) from the command line, on Node's device (Dawn): the
// Node-only part (arguments, the device) around the browser-safe body.
//   node dist/bench/conv2d-cli.js [--batch 8] [--versions 03_implicit_gemm,04_winograd] [--layers conv1,conv3]
//      [--repeats 5] [--naive-batch 1] [--skip-slow] [--gemm tiled|prefetch] [--bk 8|16] [--json]   (after npm run build)
import { initDevice } from '../src/node/device.js';
import { GPU_GEMM } from '../src/tensor/ops/matmul/index.js';
import { benchConv } from './conv2d.js';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const list = (v: string | undefined) => v?.split(',').filter(Boolean);
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const json = args.includes('--json');
// --gemm tiled: the GPU path (05_tiled_gemm) through matmul/05 instead of 06
const g = arg('--gemm');
if (g === 'tiled' || g === 'prefetch') GPU_GEMM.version = g;
const bk = arg('--bk');
if (bk === '8' || bk === '16') GPU_GEMM.bk = Number(bk) as 8 | 16;
const device = await initDevice();
try {
  const rows = await benchConv({
    device, batch: num(arg('--batch')), versions: list(arg('--versions')), layers: list(arg('--layers')),
    repeats: num(arg('--repeats')), naiveBatch: num(arg('--naive-batch')), skipSlow: args.includes('--skip-slow'),
    json, log: true,
  });
  if (!json && rows[0]) console.log(`device: ${rows[0].device}`);
} finally {
  device.destroy();
}
