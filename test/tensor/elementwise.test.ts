import { describe, expect, it } from 'vitest';
import { gpu } from '../helpers/gpu.js';
import { checkOp } from '../helpers/op.js';
import { expectClose } from '../helpers/check.js';
import * as T from '../../src/tensor/index.js';

// float64 references
const map = (f: (v: number) => number) => (x: Float64Array) => x.map(f);

function broadcastRef(f: (a: number, b: number) => number, sa: number[], sb: number[]) {
  const r = Math.max(sa.length, sb.length);
  const pa = [...Array(r - sa.length).fill(1), ...sa];
  const pb = [...Array(r - sb.length).fill(1), ...sb];
  const out = pa.map((d, i) => Math.max(d, pb[i]!));
  const n = out.reduce((x, y) => x * y, 1);
  const strides = (s: number[]) => {
    const st = new Array(r).fill(0);
    let acc = 1;
    for (let i = r - 1; i >= 0; i--) {
      st[i] = s[i] === 1 ? 0 : acc;
      acc *= s[i]!;
    }
    return st;
  };
  const sta = strides(pa);
  const stb = strides(pb);
  return (a: Float64Array, b: Float64Array) => {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let rem = i;
      let ia = 0;
      let ib = 0;
      for (let d = r - 1; d >= 0; d--) {
        const c = rem % out[d]!;
        rem = Math.floor(rem / out[d]!);
        ia += c * sta[d];
        ib += c * stb[d];
      }
      y[i] = f(a[ia]!, b[ib]!);
    }
    return y;
  };
}

describe.skipIf(!gpu)('elementwise ops against float64 references, with gradient checks', () => {
  const shapes = [[1], [3, 17], [2, 65, 3], [129, 5]];
  const unary: [string, (x: T.Tensor) => T.Tensor, (v: number) => number, number, number][] = [
    ['neg', T.neg, (v) => -v, -1, 1],
    ['relu', T.relu, (v) => Math.max(v, 0), -1, 1],
    ['exp', T.exp, Math.exp, -2, 2],
    ['log', T.log, Math.log, 0.5, 3],
    ['sqrt', T.sqrt, Math.sqrt, 0.5, 3],
    ['pow 3', (x) => T.pow(x, 3), (v) => v ** 3, -1.5, 1.5],
    ['pow 0.5', (x) => T.pow(x, 0.5), (v) => v ** 0.5, 0.5, 2],
    ['sigmoid', T.sigmoid, (v) => 1 / (1 + Math.exp(-v)), -4, 4],
    ['tanh', T.tanh, Math.tanh, -2, 2],
    ['abs', T.abs, Math.abs, -1, 1],
    ['square', T.square, (v) => v * v, -2, 2],
    ['scaleShift', (x) => T.scaleShift(x, -2.5, 0.75), (v) => -2.5 * v + 0.75, -1, 1],
  ];
  for (const [name, fn, f, lo, hi] of unary) {
    for (const s of shapes) {
      it(`${name} x=${JSON.stringify(s)}`, async () => {
        // relu/abs have kinks at 0: keep inputs away from it for finite differences
        await checkOp({ name, shapes: [s], gpu: fn, ref: map(f), lo, hi,
          data: name === 'relu' || name === 'abs' ? [awayFromZero(s)] : undefined });
      });
    }
  }

  const binary: [string, (a: T.Tensor, b: T.Tensor) => T.Tensor, (a: number, b: number) => number][] = [
    ['add', T.add, (a, b) => a + b],
    ['sub', T.sub, (a, b) => a - b],
    ['mul', T.mul, (a, b) => a * b],
    ['div', T.div, (a, b) => a / b],
    ['maximum', T.maximum, (a, b) => Math.max(a, b)],
  ];
  const pairs: [number[], number[]][] = [
    [[3, 17], [3, 17]],
    [[2, 65, 3], [65, 1]],
    [[1], [5, 129]],
    [[4, 1, 7], [1, 3, 1]],
    [[129], [1]],
  ];
  for (const [name, fn, f] of binary) {
    for (const [sa, sb] of pairs) {
      it(`${name} a=${JSON.stringify(sa)} b=${JSON.stringify(sb)}`, async () => {
        await checkOp({ name, shapes: [sa, sb], gpu: fn, ref: broadcastRef(f, sa, sb),
          // div: keep the denominator away from 0
          data: name === 'div' ? [undefined as never, awayFromZero(sb, 0.5)] : undefined });
      });
    }
  }

  it('broadcastTo and its gradient', async () => {
    await checkOp({ name: 'broadcastTo', shapes: [[3, 1, 5]], gpu: (x) => T.broadcastTo(x, [2, 3, 4, 5]),
      ref: (x) => broadcastRef((a) => a, [3, 1, 5], [2, 3, 4, 5])(x, x) });
  });

  it('a tensor used twice gets both gradients (x*x + x)', async () => {
    await checkOp({ name: 'x*x+x', shapes: [[17]], gpu: (x) => T.add(T.mul(x, x), x), ref: map((v) => v * v + v) });
  });

  it('add(a, a): a leaf that receives the same gradient twice', async () => {
    await checkOp({ name: 'a+a', shapes: [[5, 3]], gpu: (a) => T.add(a, a), ref: map((v) => 2 * v) });
  });

  it('fills, zeros/ones, and int tensors round-trip', async () => {
    expect(Array.from(await T.full([2, 3], 2.5).data())).toEqual([2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
    expect(Array.from(await T.zeros([5]).data())).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(await T.full([3], -7, 'int32').toArray())).toEqual([-7, -7, -7]);
    const i = T.Tensor.fromArray(new Int32Array([1, -2, 3]));
    expect(i.dtype).toBe('int32');
    expect(Array.from(await i.toArray())).toEqual([1, -2, 3]);
    expect(await T.Tensor.fromArray([4.25]).item()).toBe(4.25);
  });

  it('rand/randn: seeded, same seed same numbers, right moments', async () => {
    const a = await T.rand([4099], { seed: 7 }).data();
    const b = await T.rand([4099], { seed: 7 }).data();
    const c = await T.rand([4099], { seed: 8 }).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
    const n = await T.randn([20000], { seed: 3, mean: 1, std: 2 }).data();
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const sd = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    expect(Math.abs(sd - 2)).toBeLessThan(0.05);
  });

  it('axpy_ accumulates in place', async () => {
    const y = T.Tensor.fromArray([1, 2, 3]);
    T.axpy_(y, T.Tensor.fromArray([10, 20, 30]), 0.5, 2);
    expectClose(await y.data(), [7, 14, 21]);
  });

  it('errors name the op and both shapes, before any dispatch', () => {
    const a = T.zeros([2, 3]);
    const b = T.zeros([4, 5]);
    const c = T.zeros([3, 2]);
    const i = T.zeros([2], 'int32');
    const before = gpu!.stats.dispatches;
    expect(() => T.add(a, b)).toThrow('add: shapes [2, 3] and [4, 5] cannot be broadcast together');
    expect(() => T.mul(a, c)).toThrow(/mul: shapes \[2, 3\] and \[3, 2\]/);
    expect(() => T.relu(i)).toThrow(/relu: expected float32, got int32/);
    expect(() => a.reshape([4, 2])).toThrow(/reshape: cannot view \[2, 3\]/);
    expect(gpu!.stats.dispatches).toBe(before);
  });
});

function awayFromZero(shape: number[], min = 0.1): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = min + ((i * 0.37) % 1);
    out[i] = i % 2 ? v : -v;
  }
  return out;
}
