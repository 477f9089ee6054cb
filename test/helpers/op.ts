// checkOp: run an op on the GPU against its float64 CPU reference, then check every input's
// gradient (through L = sum(y * w) for a random w) against central finite differences of
// the same reference.
import { Tensor, mul, sum, tidy } from '../../src/tensor/index.js';
import { expectClose, numericGrads, product, randomArray } from './check.js';

export interface OpCase {
  name: string;
  shapes: number[][];
  gpu: (...xs: Tensor[]) => Tensor;
  ref: (...xs: Float64Array[]) => ArrayLike<number>;
  /** which inputs get a gradient check (default: all) */
  gradInputs?: number[];
  grad?: boolean;
  lo?: number;
  hi?: number;
  seed?: number;
  /** custom input data (float64, rounded to float32 before use) */
  data?: Float64Array[];
  atol?: number;
  rtol?: number;
  gradAtol?: number;
  gradRtol?: number;
}

const f32 = (x: Float64Array) => Float64Array.from(Float32Array.from(x));

export async function checkOp(c: OpCase): Promise<void> {
  const seed = c.seed ?? 1234;
  const inputs = c.shapes.map((s, i) => f32(c.data?.[i] ?? randomArray(product(s), seed + 17 * i, c.lo ?? -1, c.hi ?? 1)));
  const expected = c.ref(...inputs.map((x) => Float64Array.from(x)));
  const w = f32(randomArray(expected.length, seed + 999, -1, 1));
  const wantGrad = c.grad !== false;
  const gradInputs = c.gradInputs ?? inputs.map((_, i) => i);
  const xs = inputs.map((x, i) => {
    const t = Tensor.fromArray(Float32Array.from(x), c.shapes[i]!);
    if (wantGrad && gradInputs.includes(i)) t.requiresGrad_();
    return t;
  });
  try {
    const { y, grads } = await tidy(async () => {
      const out = c.gpu(...xs);
      const y = await out.data();
      if (!wantGrad) return { y, grads: [] as (Float32Array | null)[] };
      const wt = Tensor.fromArray(Float32Array.from(w), out.shape);
      const loss = sum(mul(out, wt));
      loss.backward();
      const grads: (Float32Array | null)[] = [];
      for (const x of xs) grads.push(x.grad ? await x.grad.data() : null);
      return { y, grads };
    });
    expectClose(y, expected, { atol: c.atol ?? 1e-5, rtol: c.rtol ?? 1e-4, name: `${c.name} forward` });
    if (wantGrad) {
      const num = numericGrads(c.ref, inputs.map((x) => Float64Array.from(x)), w);
      for (const i of gradInputs) {
        const g = grads[i];
        if (!g) throw new Error(`${c.name}: input ${i} got no gradient`);
        expectClose(g, num[i]!, { atol: c.gradAtol ?? 1e-4, rtol: c.gradRtol ?? 1e-3, name: `${c.name} d/dx${i}` });
      }
    }
  } finally {
    for (const x of xs) {
      x.grad?.dispose();
      x.dispose();
    }
  }
}
