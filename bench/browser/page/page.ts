// SPDX-License-Identifier: MIT
// The benchmark page (npm run bench:browser; bundled by bench/browser/assets.ts into page.js):
// runs one engine's jobs on `navigator.gpu` when the harness asks, and keeps the rows for it
// to read. The library's workloads are bench/workloads.ts, the same code Node runs; the peers
// (peer-tfjs.ts, peer-ort.ts) are bundles of their own, loaded only by their page.
// The harness drives it with small evaluate calls: start(job), then poll() until done, so no
// single call outlives the browser protocol's timeout however long a job runs.
import { createWebDevice } from '../../../src/web/device.js';
import type { Device } from '../../../src/tensor/device.js';
import type { BenchRow } from '../../common.js';
import { isWorkload, runWorkload } from '../../workloads.js';
import type { AdapterFacts, PageJob, PageState } from '../protocol.js';
import type * as TfjsPeer from './peer-tfjs.js';
import type * as OrtPeer from './peer-ort.js';

const state: PageState = { status: 'idle', rows: [], log: [], blocked: [] };
document.addEventListener('securitypolicyviolation', (e) => state.blocked.push(`${e.violatedDirective}: ${e.blockedURI}`));

let device: Device | null = null;

async function adapterFacts(): Promise<AdapterFacts> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu gave no adapter (is WebGPU enabled in this browser?)');
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const strings = info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') : '';
  return {
    description: strings || '(adapter info hidden)',
    isFallbackAdapter: (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? null,
    timestamp: adapter.features.has('timestamp-query'),
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    userAgent: navigator.userAgent,
  };
}

async function runJob(job: PageJob): Promise<BenchRow[]> {
  const log = (s: string) => state.log.push(s);
  const opts = { ...job.opts, log };
  if (job.engine === 'library') {
    if (!isWorkload(job.workload)) throw new Error(`unknown workload '${job.workload}'`);
    device ??= await createWebDevice();
    return runWorkload(job.workload, device, opts);
  }
  if (job.workload !== 'forward' && job.workload !== 'train') throw new Error(`${job.engine}: only forward and train (asked: ${job.workload})`);
  if (job.engine === 'tfjs') {
    const peer = (await import(new URL('./peer-tfjs.js', import.meta.url).href)) as typeof TfjsPeer;
    return peer.runTfjs(job.workload, opts);
  }
  if (job.workload !== 'forward') throw new Error('onnxruntime-web: inference only (forward)');
  const peer = (await import(new URL('./peer-ort.js', import.meta.url).href)) as typeof OrtPeer;
  return peer.runOrt(opts);
}

const api = {
  adapter: adapterFacts,
  /** Starts a job; poll() says when it is done. Refuses a second while one runs. */
  start(job: PageJob): boolean {
    if (state.status === 'running') return false;
    Object.assign(state, { status: 'running', job, rows: [], log: [], error: undefined, ms: undefined });
    const t0 = performance.now();
    runJob(job).then(
      (rows) => Object.assign(state, { status: 'done', rows, ms: performance.now() - t0 }),
      (e: unknown) => Object.assign(state, { status: 'error', error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) }),
    );
    return true;
  },
  /** The job's state; the log is handed over once (drained). NaN and Infinity travel as null. */
  poll(): string {
    const out = JSON.stringify(state, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? { nonFinite: String(v) } : v));
    state.log = [];
    return out;
  },
};

(globalThis as { benchPage?: typeof api }).benchPage = api;
document.body.dataset.bench = 'ready';
