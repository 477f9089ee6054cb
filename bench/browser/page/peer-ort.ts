// SPDX-License-Identifier: MIT
// Peer: ONNX Runtime Web's WebGPU execution provider, inference only. The model is the peer
// AlexNet exported from PyTorch (bench/browser/export_onnx.py, seeded init) with PyTorch's
// float64 logits for a fixed input; the row's error is ORT's logits against those. ORT's own
// JavaScript and WebAssembly come from the page's server (node_modules/onnxruntime-web/dist
// under /ort/), never from a CDN. Its own bundle (peer-ort.js).
import type * as Ort from 'onnxruntime-web/webgpu';
import type { BenchRow } from '../../common.js';
import type { WorkloadOptions } from '../../workloads.js';
import { checkOutput, timeSteps } from './peer-common.js';

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`onnxruntime-web: ${url}: HTTP ${r.status} (the harness exports the model with bench/browser/export_onnx.py)`);
  return r.arrayBuffer();
}

export async function runOrt(opts: WorkloadOptions): Promise<BenchRow[]> {
  const batch = opts.batch ?? 8;
  const size = 227;
  const base = new URL('/ort/', location.href).href;
  const ort = (await import(`${base}ort.webgpu.min.mjs`)) as typeof Ort;
  ort.env.wasm.wasmPaths = base;
  ort.env.wasm.numThreads = 1; // threads need a cross-origin-isolated page; the GPU does the work
  ort.env.wasm.proxy = false;
  const [model, inputBytes, refBytes] = await Promise.all(
    ['/onnx/alexnet.onnx', `/onnx/input-b${batch}.bin`, `/onnx/logits-b${batch}.bin`].map((u) => fetchBytes(u)),
  );
  const input = new Float32Array(inputBytes);
  const ref = new Float64Array(refBytes);
  if (input.length !== batch * 3 * size * size || ref.length !== batch * 2) {
    throw new Error(`onnxruntime-web: input-b${batch}.bin has ${input.length} floats, logits-b${batch}.bin ${ref.length} (expected ${batch * 3 * size * size} and ${batch * 2})`);
  }
  const session = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' });
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, [batch, 3, size, size]) };
  let logits: ArrayLike<number> = [];
  let shape: readonly number[] = [];
  const ms = await timeSteps(opts, async () => {
    const out = await session.run(feeds);
    const y = out[session.outputNames[0]!]!;
    logits = (await y.getData()) as Float32Array;
    shape = y.dims;
    y.dispose();
  });
  const check = checkOutput('onnxruntime-web forward: the logits', logits, shape, [batch, 2]);
  // max |ORT - PyTorch| over the largest |PyTorch logit|: relative to the logits' scale
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(logits[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  await session.release();
  return [{
    bench: `AlexNet forward b${batch}`, shape: `${size}x${size}`, version: `onnxruntime-web ${ort.env.versions.web ?? '?'} webgpu`,
    ms, gflops: NaN, maxRelError: diff / Math.max(scale, 1e-30), timing: 'wall', imagesPerSec: (batch * 1000) / ms,
    note: `${check}; error against PyTorch's float64 logits`,
  }];
}
