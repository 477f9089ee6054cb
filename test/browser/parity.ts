// Three SGD steps of the small demo model on fixed inputs, as source text: the browser tests run
// it in the page (on window.alexnet) and in Node (on the core module) and compare the losses and
// what the steps did to every tensor of the model. Plain JavaScript in a string, so no bundler
// helper ends up in the page.
//
// It returns the losses and, for every parameter and buffer, a digest of its change over the
// steps, d = after - before: its size, sum of squares, largest |d|, and its projection on a fixed
// +-1 pattern (a random direction: two different changes of the same size differ there).
export const PARITY_STEPS = `async (lib) => {
  const { alexnet, SGD, compile, fit } = lib;
  const size = 67;
  const model = alexnet({ preset: 'keras-bn', numClasses: 2, inputSize: size, width: 0.25, seed: 1 });
  const n = 4;
  const x = new Float32Array(n * 3 * size * size);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = (s >>> 8) / 16777216;
  }
  const y = new Int32Array([0, 1, 1, 0]);
  const state = () => Promise.all([...model.stateDict()].map(async ([name, t]) => [name, Float32Array.from(await t.data())]));
  const before = await state();
  const optimizer = new SGD(model.namedParameters(), { lr: 0.01, momentum: 0.9 });
  compile(model, { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const h = await fit(model, { x, y, sampleShape: [3, size, size] }, { epochs: 3, batchSize: n, verbose: 0, seed: 5 });
  const after = await state();
  const changes = after.map(([name, a], i) => {
    const b = before[i][1];
    let sumsq = 0, proj = 0, max = 0;
    for (let k = 0; k < a.length; k++) {
      const d = a[k] - b[k];
      sumsq += d * d;
      proj += (Math.imul(k + 1, 0x9e3779b1) >>> 31) ? d : -d;
      max = Math.max(max, Math.abs(d));
    }
    return { name, n: a.length, sumsq, proj, max };
  });
  optimizer.dispose();
  model.dispose();
  return { losses: h.history.loss, changes };
}`;

export interface ParityChange {
  name: string;
  n: number;
  sumsq: number;
  proj: number;
  max: number;
}
export interface ParityResult {
  losses: number[];
  changes: ParityChange[];
}

/**
 * Where `got` (a browser's steps) differs from `want` (Node's) by more than `tol`: the losses,
 * and each tensor's change — its size (root of the sum of squares), its projection (against
 * the size) and its largest element. Tensors whose change is rounding noise on both sides (conv
 * biases before training-mode BatchNorm, whose gradient is exactly 0) are compared by size only:
 * both must stay below 1e-6 of the largest change.
 */
export function parityProblems(got: ParityResult, want: ParityResult, tol: number): { problems: string[]; worst: number } {
  const problems: string[] = [];
  let worst = 0;
  if (got.losses.length !== want.losses.length) problems.push(`${got.losses.length} losses, Node has ${want.losses.length}`);
  got.losses.forEach((l, i) => {
    if (!(Math.abs(l - want.losses[i]!) < 1e-4)) problems.push(`step ${i + 1}: loss ${l} vs Node ${want.losses[i]}`);
  });
  const largest = Math.max(...want.changes.map((c) => c.max));
  if (got.changes.map((c) => c.name).join() !== want.changes.map((c) => c.name).join()) problems.push('not the same tensors as Node');
  got.changes.forEach((c, i) => {
    const w = want.changes[i]!;
    if (w.max < 1e-6 * largest) {
      if (!(c.max < 1e-6 * largest)) problems.push(`${c.name}: changed by ${c.max}, Node's change is rounding noise (${w.max})`);
      return;
    }
    const norm = Math.sqrt(w.sumsq);
    const err = {
      size: Math.abs(Math.sqrt(c.sumsq) - norm) / norm,
      direction: Math.abs(c.proj - w.proj) / norm,
      largest: Math.abs(c.max - w.max) / w.max,
    };
    for (const [k, e] of Object.entries(err)) {
      worst = Math.max(worst, e);
      if (!(e < tol)) problems.push(`${c.name}: its change's ${k} differs from Node's by ${e.toExponential(2)} (tolerance ${tol})`);
    }
  });
  return { problems, worst };
}

/** The tensors whose change over Node's steps is rounding noise (see parityProblems). */
export function unchanged(r: ParityResult): string[] {
  const largest = Math.max(...r.changes.map((c) => c.max));
  return r.changes.filter((c) => !(c.max >= 1e-6 * largest)).map((c) => c.name);
}
