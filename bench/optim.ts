// SPDX-License-Identifier: MIT
// Optimizer step over AlexNet's parameters (the peer layout, 58M floats): time per step and
// the bytes it must move, with the error of one step against the float64 oracle of the
// update rules (src/tensor/reference/optim.ts) on the first parameter (vec4 path) and the
// last (2 floats: the scalar path). Each kind runs
// twice: flat (parameters, gradients and state in arenas: a few dispatches over all of them)
// and per tensor (one or two dispatches per parameter tensor).
//   npm run bench -- optim
import { peerAlexnet } from './alexnet.js';
import { Adam, SGD, type Optimizer } from '../src/optim/index.js';
import { rand, type Device, type Tensor } from '../src/tensor/index.js';
import { adamRef, maxRelError, sgdRef } from '../src/tensor/reference/index.js';
import { timeGpu, type BenchRow } from './common.js';

type Kind = 'SGD' | 'SGD momentum 0.9' | 'Adam';

/** One step from fresh state by the float64 oracle (src/tensor/reference/optim.ts). */
function reference(kind: Kind, p: Float32Array, g: Float32Array): Float64Array {
  if (kind === 'Adam') return adamRef(p, [g], { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, amsgrad: false, decoupled: false });
  return sgdRef(p, [g], { lr: 0.01, momentum: kind === 'SGD' ? 0 : 0.9, dampening: 0, nesterov: false, wd: 0 });
}

function make(kind: Kind, params: Tensor[], flat: boolean): Optimizer {
  if (kind === 'Adam') return new Adam(params, { lr: 1e-3, flat });
  return new SGD(params, { lr: 0.01, momentum: kind === 'SGD' ? 0 : 0.9, flat });
}

export async function benchOptim(device: Device, opts: { runs?: number } = {}): Promise<BenchRow[]> {
  const model = peerAlexnet(2, 227);
  const params = model.parameters();
  params.forEach((p, i) => (p.grad = rand(p.shape, { seed: 100 + i })));
  const count = params.reduce((s, p) => s + p.size, 0);
  const rows: BenchRow[] = [];
  for (const [kind, flat] of (['SGD', 'SGD momentum 0.9', 'Adam'] as const).flatMap((k) => [[k, true], [k, false]] as const)) {
    const checked = [params[0]!, params[params.length - 1]!];
    const before = await Promise.all(checked.map((p) => p.data()));
    const grads = await Promise.all(checked.map((p) => p.grad!.data()));
    const opt = make(kind, params, flat);
    opt.step();
    const after = await Promise.all(checked.map((p) => p.data()));
    let err = 0;
    checked.forEach((_, t) => (err = Math.max(err, maxRelError(after[t]!, reference(kind, before[t]!, grads[t]!)))));
    const ms = await timeGpu(device, () => opt.step(), opts.runs ?? 3, 1);
    const dispatches = opt.lastStepDispatches; // of a warm step
    // floats read + written per parameter: p, g, p' (+ buf, buf' | m, v, m', v')
    const moved = kind === 'SGD' ? 3 : kind === 'Adam' ? 7 : 5;
    rows.push({
      bench: `optimizer ${kind}`, shape: `${count} parameters in ${params.length} tensors`, version: flat ? 'flat' : 'per tensor', ms,
      gflops: NaN, maxRelError: err, note: `${((moved * 4 * count) / ms / 1e6).toFixed(1)} GB/s moved, ${dispatches} dispatches`,
    });
    opt.dispose();
  }
  for (const p of params) p.grad?.dispose();
  model.dispose();
  return rows;
}
