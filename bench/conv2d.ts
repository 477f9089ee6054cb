// conv2d kernel benchmark: GFLOP/s of every forward, data-gradient and weight-gradient
// version on AlexNet's five conv layers (batch 8, no groups, like the tfjs-webgpu peer
// baseline), timed on the GPU with timestamp queries (warm-up, then the median of several
// runs), with the max relative error against the float64 oracle
// (src/tensor/reference/conv2d.ts) on a random sample of the outputs in the same row.
// No Node imports: it runs unchanged in a page (npm run bench:browser). From the command line:
//   node dist/bench/conv2d-cli.js [--batch 8] [--versions 03_implicit_gemm,04_winograd] [--layers conv1,conv3]
//      [--repeats 5] [--naive-batch 1] [--skip-slow] [--gemm tiled|prefetch] [--bk 8|16] [--json]   (after npm run build)
import { conv2dDataGradRefAt, conv2dRefAt, conv2dWeightGradRefAt, sampledRelError } from '../src/tensor/reference/index.js';
import { median, randomFloats, versionWanted } from './common.js';
import { Tensor, tidy, type Device } from '../src/tensor/index.js';
import {
  conv2d, conv2dBackwardData, conv2dBackwardWeight, convFlops, convShape, explainConv2d,
  conv2dVersions, type Conv2dOptions,
} from '../src/tensor/ops/conv2d/index.js';

export interface ConvBenchOptions {
  batch?: number;
  /** version names to run (each runs every pass it has, e.g. 03_implicit_gemm); default all conv2dVersions() lists */
  versions?: string[];
  layers?: string[];
  /** print JSON lines instead of a table */
  json?: boolean;
  /** timed runs per row (median reported); default 5 */
  repeats?: number;
  /** batch for the naive version 01_naive (slow); default 1 */
  naiveBatch?: number;
  /** skip 01_naive altogether */
  skipSlow?: boolean;
  /** sampled outputs per error check; default 200 */
  samples?: number;
  device: Device;
  /** print rows as they are measured (default true when run directly) */
  log?: boolean;
}

export interface ConvBenchRow {
  layer: string;
  pass: 'forward' | 'dgrad' | 'wgrad';
  version: string;
  batch: number;
  shape: string;
  gflop: number;
  ms: number;
  gflops: number;
  maxRelError: number;
  device: string;
}

interface Layer { name: string; c: number; hw: number; k: number; kern: number; opts: Conv2dOptions }
export const ALEXNET_CONV_LAYERS: Layer[] = [
  { name: 'conv1', c: 3, hw: 227, k: 96, kern: 11, opts: { stride: 4 } },
  { name: 'conv2', c: 96, hw: 27, k: 256, kern: 5, opts: { padding: 2 } },
  { name: 'conv3', c: 256, hw: 13, k: 384, kern: 3, opts: { padding: 1 } },
  { name: 'conv4', c: 384, hw: 13, k: 384, kern: 3, opts: { padding: 1 } },
  { name: 'conv5', c: 384, hw: 13, k: 256, kern: 3, opts: { padding: 1 } },
];

/** Runs the benchmark; returns one row per (layer, pass, version). */
export async function benchConv(opts: ConvBenchOptions): Promise<ConvBenchRow[]> {
  const d = opts.device;
  const batch = opts.batch ?? 8;
  const repeats = opts.repeats ?? 5;
  const samples = opts.samples ?? 200;
  const want = (v: string) => versionWanted(opts.versions, v) && !(opts.skipSlow && v === '01_naive');
  const rows: ConvBenchRow[] = [];
  const device = d.describe();
  for (const L of ALEXNET_CONV_LAYERS) {
    if (opts.layers && !opts.layers.includes(L.name)) continue;
    // every (version, pass) of the ladder that can run the layer, forward passes first:
    // 04_winograd on the stride-1 layers (conv2-5), 04_winograd_s2d on the strided conv1
    // (forward only: its gradients run through autograd and show in the training step's profile)
    const ls = convShape([1, L.c, L.hw, L.hw], [L.k, L.c, L.kern, L.kern], L.opts);
    const todo = conv2dVersions().filter((v) => !v.unsupported(ls) && want(v.name)).map((v) => ({ pass: v.pass, version: v.name }));
    for (const job of todo) {
      const nb = job.version === '01_naive' ? Math.min(batch, opts.naiveBatch ?? 1) : batch;
      const xs = [nb, L.c, L.hw, L.hw];
      const ws = [L.k, L.c, L.kern, L.kern];
      const s = convShape(xs, ws, L.opts);
      const x = randomFloats(s.n * s.c * s.h * s.w, 1);
      const w = randomFloats(s.k * s.c * s.kh * s.kw, 2).map((v) => v * 0.1);
      const dy = randomFloats(s.n * s.k * s.oh * s.ow, 3);
      const row = await tidy(async () => {
        const X = Tensor.fromArray(x, xs, 'float32', d);
        const W = Tensor.fromArray(w, ws, 'float32', d);
        const DY = Tensor.fromArray(dy, [s.n, s.k, s.oh, s.ow], 'float32', d);
        const run = (): Tensor => {
          if (job.pass === 'forward') return conv2d(X, W, null, { ...L.opts, version: job.version as never });
          if (job.pass === 'dgrad') return conv2dBackwardData(DY, W, xs, { ...L.opts, version: job.version as never });
          return conv2dBackwardWeight(X, DY, ws, { ...L.opts, version: job.version as never });
        };
        // warm-up (pipeline creation, pool buffers), then timed runs
        run().dispose();
        await d.sync();
        let out = null as Tensor | null;
        const runs = job.version === '01_naive' ? Math.min(repeats, 3) : repeats;
        // `inner` back-to-back repetitions per timed region (about 20 ms of work), so a fast
        // GPU does not clock down between runs (see timeGpu in common.ts); 1 on lavapipe
        let inner = 1;
        for (let r = 0; r <= runs; r++) {
          d.timed(`${L.name} ${job.pass} ${job.version}`, () => {
            for (let j = 0; j < inner; j++) {
              out?.dispose();
              out = run();
            }
          });
          await d.sync();
          if (r === 0) {
            const probe = (await d.readTimings())[0]?.ms ?? 1e9;
            inner = d.features.timestamp ? Math.max(1, Math.min(50, Math.ceil(20 / Math.max(probe, 1e-3)))) : 1;
          }
        }
        const ms = median((await d.readTimings()).map((t) => t.ms / inner));
        const got = await out!.data();
        let err: number;
        // the float64 oracle (src/tensor/reference/conv2d.ts) on a sample of the output
        if (job.pass === 'forward') err = sampledRelError(got, [s.n, s.k, s.oh, s.ow], samples, (n, co, oy, ox) => conv2dRefAt(s, x, w, null, n!, co!, oy!, ox!), 7);
        else if (job.pass === 'dgrad') err = sampledRelError(got, [s.n, s.c, s.h, s.w], samples, (n, c, iy, ix) => conv2dDataGradRefAt(s, dy, w, n!, c!, iy!, ix!), 8);
        else err = sampledRelError(got, [s.k, s.c / s.groups, s.kh, s.kw], Math.min(samples, 64), (co, ci, ky, kx) => conv2dWeightGradRefAt(s, x, dy, co!, ci!, ky!, kx!), 9);
        const gflop = convFlops(s) / 1e9;
        return {
          layer: L.name, pass: job.pass, version: job.version, batch: nb,
          shape: `${L.c}x${L.hw}x${L.hw}->${L.k} k${L.kern}`,
          gflop, ms, gflops: gflop / (ms / 1e3), maxRelError: err, device,
        } satisfies ConvBenchRow;
      });
      rows.push(row);
      if (opts.log) {
        if (opts.json) console.log(JSON.stringify(row));
        else console.log(`${row.layer.padEnd(6)} ${row.pass.padEnd(8)} ${row.version.padEnd(16)} b${String(row.batch).padEnd(3)} ${row.ms.toFixed(2).padStart(9)} ms ${row.gflops.toFixed(2).padStart(7)} GFLOP/s  err ${row.maxRelError.toExponential(1)}`);
      }
    }
    if (opts.log && !opts.json) console.log(`       (${explainConv2d(convShape([batch, L.c, L.hw, L.hw], [L.k, L.c, L.kern, L.kern], L.opts), d)})`);
  }
  return rows;
}
